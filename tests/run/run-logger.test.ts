import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { defaultConfig } from '../../src/train/config.js';
import { EpisodeWindow } from '../../src/run/metrics.js';
import { RunLogger, runPaths } from '../../src/run/run-logger.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mario-rl-runlog-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Counts TFRecords and collects the tags by scanning for the length-delimited tag strings. */
function eventFileTags(path: string): { records: number; text: string } {
  const bytes = readFileSync(path);
  let pos = 0;
  let records = 0;
  while (pos < bytes.length) {
    const len = Number(bytes.readBigUInt64LE(pos));
    pos += 12 + len + 4;
    records++;
  }
  expect(pos).toBe(bytes.length);
  return { records, text: bytes.toString('latin1') };
}

describe('RunLogger', () => {
  it('writes config.json, one metrics row per update with window stats and lag, and matching TensorBoard scalars', () => {
    const runDir = join(dir, 'run');
    const config = defaultConfig();
    const log = new RunLogger(runDir, { config, heartbeatSeconds: 0, windowEpisodes: 3 });
    expect(JSON.parse(readFileSync(log.paths.config, 'utf8'))).toEqual(config);
    const first = log.update(4096, 1, { 'losses/value_loss': 0.5, 'charts/SPS': 900 });
    expect(first['charts/episodic_return']).toBeUndefined();
    for (const r of [1, 2, 3, 4]) log.episode({ return: r, length: 10 * r, flag: r === 4 });
    const second = log.update(8192, 2, { 'losses/value_loss': 0.25, note: 'text stays out of TensorBoard' });
    log.histogram('charts/advantages', [1, 2, 3], 8192);
    log.close();
    log.close();
    expect(() => log.update(1, 1, {})).toThrow(/closed/);

    const rows = readFileSync(log.paths.metrics, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(2);
    expect(rows[1]).toEqual(second);
    expect(rows[1]).toMatchObject({ global_step: 8192, update: 2, 'losses/value_loss': 0.25, 'charts/episodic_return': 3, 'charts/flag_rate': 1 / 3 });
    expect(typeof rows[1]['perf/event_loop_lag_p99_ms']).toBe('number');

    const files = readdirSync(log.paths.tensorboard);
    expect(files).toHaveLength(1);
    const { records, text } = eventFileTags(join(log.paths.tensorboard, files[0]));
    expect(records).toBe(4); // file_version, two updates, one histogram
    expect(text).toContain('losses/value_loss');
    expect(text).toContain('charts/episodic_return_p90');
    expect(text).not.toContain('text stays out');
    expect(existsSync(log.paths.heartbeat)).toBe(false);
  });

  it("puts the heartbeat's nvidia-smi sample into each row as perf/gpu<i>_* scalars", async () => {
    const fake = join(dir, 'nvidia-smi');
    writeFileSync(fake, '#!/bin/sh\necho "0, 42, 1000, 80000"\necho "1, 7, 20, 80000"\n');
    chmodSync(fake, 0o755);
    const log = new RunLogger(join(dir, 'gpu'), { tensorboard: false, heartbeatSeconds: 60, nvidiaSmi: fake });
    await log.settled();
    const row = log.update(10, 1, {});
    log.close();
    expect(row).toMatchObject({
      'perf/gpu0_utilization_percent': 42,
      'perf/gpu0_memory_used_mib': 1000,
      'perf/gpu1_utilization_percent': 7,
      'perf/gpu1_memory_used_mib': 20,
    });
    const none = new RunLogger(join(dir, 'nogpu'), { tensorboard: false, heartbeatSeconds: 60, nvidiaSmi: join(dir, 'missing') });
    await none.settled();
    const plain = none.update(1, 1, {});
    none.close();
    expect(Object.keys(plain).filter((k) => k.startsWith('perf/gpu'))).toEqual([]);
  });

  it('runs a heartbeat, skips TensorBoard when asked, and continues a restored window', () => {
    const restored = new EpisodeWindow(5);
    restored.add({ return: 7, length: 1 });
    const log = new RunLogger(dir, { tensorboard: false, heartbeatSeconds: 60, gpu: false, window: restored, heartbeatExtra: () => ({ global_step: 1 }) });
    expect(log.window).toBe(restored);
    expect(log.update(1, 1, {})['charts/episodic_return']).toBe(7);
    log.close();
    expect(existsSync(runPaths(dir).tensorboard)).toBe(false);
    const hb = readFileSync(runPaths(dir).heartbeat, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(hb).toHaveLength(1); // the final row written by stop()
    expect(hb[0].global_step).toBe(1);
  });
});
