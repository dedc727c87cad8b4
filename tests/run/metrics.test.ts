import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  EpisodeWindow,
  EventLoopLagMonitor,
  Heartbeat,
  MetricsWriter,
  parseNvidiaSmiCsv,
  PhaseTimer,
  quantileSorted,
  queryGpus,
} from '../../src/run/metrics.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mario-rl-metrics-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const readRows = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('MetricsWriter', () => {
  it('writes one JSON row per line, NaN as null, flushing by row count and by time', () => {
    let clock = 0;
    const path = join(dir, 'sub', 'metrics.jsonl');
    const w = new MetricsWriter(path, { flushEveryRows: 3, flushIntervalMs: 1000, now: () => clock });
    w.write({ global_step: 8, 'losses/value_loss': 0.5 });
    w.write({ global_step: 16, 'losses/value_loss': NaN });
    expect(readFileSync(path, 'utf8')).toBe(''); // buffered
    w.write({ global_step: 24, 'charts/SPS': Infinity });
    expect(readRows(path)).toEqual([
      { global_step: 8, 'losses/value_loss': 0.5 },
      { global_step: 16, 'losses/value_loss': null },
      { global_step: 24, 'charts/SPS': null },
    ]);
    clock = 5000;
    w.write({ global_step: 32 }); // interval elapsed: written at once
    expect(readRows(path)).toHaveLength(4);
    w.write({ global_step: 40 });
    w.close();
    expect(readRows(path).map((r) => r.global_step)).toEqual([8, 16, 24, 32, 40]);
    expect(() => w.write({})).toThrow(/closed/);
    const again = new MetricsWriter(path); // a resumed run appends
    again.write({ global_step: 48 });
    again.close();
    expect(readRows(path)).toHaveLength(6);
  });
});

describe('EpisodeWindow', () => {
  it('matches numpy-style quantiles', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4], 0.9)).toBeCloseTo(3.7, 12);
    expect(quantileSorted([5], 0.99)).toBe(5);
    expect(quantileSorted([], 0.5)).toBeNaN();
  });

  it('summarises the last K episodes under cleanrl-style names', () => {
    const w = new EpisodeWindow(4);
    expect(w.summary()).toEqual({});
    for (let i = 1; i <= 6; i++) w.add({ return: i * 10, length: i, maxX: 100 * i, flag: i % 2 === 0 });
    // Window holds episodes 3..6.
    const s = w.summary();
    expect(s['charts/episodic_return']).toBe(45);
    expect(s['charts/episodic_return_p50']).toBe(45);
    expect(s['charts/episodic_return_p90']).toBeCloseTo(57, 10);
    expect(s['charts/episodic_return_p99']).toBeCloseTo(59.7, 10);
    expect(s['charts/episodic_length']).toBe(4.5);
    expect(s['charts/max_x_p50']).toBe(450);
    expect(s['charts/flag_rate']).toBe(0.5);
    expect(s['charts/episodes']).toBe(4);
    expect(w.totalEpisodes).toBe(6);
    const restored = EpisodeWindow.fromJSON(JSON.parse(JSON.stringify(w)));
    expect(restored.summary()).toEqual(s);
    expect(restored.totalEpisodes).toBe(6);
    restored.add({ return: 0, length: 1 });
    w.add({ return: 0, length: 1 });
    expect(restored.summary()).toEqual(w.summary());
    expect(() => new EpisodeWindow(0)).toThrow(/for windowEpisodes but received 0/);
  });

  it('gives the range of the returns in the window', () => {
    const w = new EpisodeWindow(3);
    expect(w.returnRange()).toBeUndefined();
    for (const r of [-5, 0, 0, 0]) w.add({ return: r, length: 1 });
    expect(w.returnRange()).toEqual({ min: 0, max: 0 }); // -5 fell out of the window
    w.add({ return: 7, length: 1 });
    expect(w.returnRange()).toEqual({ min: 0, max: 7 });
  });
});

describe('EventLoopLagMonitor', () => {
  it('sees a blocked event loop', async () => {
    const m = new EventLoopLagMonitor(5).start();
    await sleep(20);
    const until = Date.now() + 80;
    while (Date.now() < until) {
      /* block the loop */
    }
    await sleep(20);
    const lag = m.readAndReset();
    m.stop();
    expect(lag.maxMs).toBeGreaterThan(50);
    expect(lag.meanMs).toBeGreaterThan(0);
    expect(m.read()).toEqual({ meanMs: 0, p99Ms: 0, maxMs: 0 });
  });
});

describe('GPU query', () => {
  it('parses nvidia-smi CSV and rejects anything else', () => {
    expect(parseNvidiaSmiCsv('0, 87, 10240, 81559\n1, 0, 1, 81559\n')).toEqual([
      { index: 0, utilizationPercent: 87, memoryUsedMiB: 10240, memoryTotalMiB: 81559 },
      { index: 1, utilizationPercent: 0, memoryUsedMiB: 1, memoryTotalMiB: 81559 },
    ]);
    expect(() => parseNvidiaSmiCsv('0, [N/A], 1, 2')).toThrow(/Unexpected nvidia-smi output line/);
  });

  it('reports a missing tool as a reason instead of throwing', async () => {
    const r = await queryGpus(join(dir, 'no-such-nvidia-smi'));
    expect(r).toEqual({ ok: false, reason: `${join(dir, 'no-such-nvidia-smi')} not found on PATH` });
  });
});

describe('Heartbeat', () => {
  it('writes health rows on a timer, with GPU samples from nvidia-smi, and stops cleanly', async () => {
    const fake = join(dir, 'nvidia-smi');
    writeFileSync(fake, '#!/bin/sh\necho "0, 42, 1000, 80000"\n');
    chmodSync(fake, 0o755);
    let step = 0;
    const hb = new Heartbeat(join(dir, 'heartbeat.jsonl'), { intervalSeconds: 0.05, nvidiaSmi: fake, extra: () => ({ global_step: ++step }) });
    hb.start();
    await hb.settled();
    await sleep(180);
    hb.stop();
    hb.stop();
    const rows = readRows(hb.path);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    const last = rows[rows.length - 1];
    for (const key of ['uptime_s', 'rss_mib', 'heap_used_mib', 'heap_total_mib', 'cpu_percent', 'event_loop_lag_p99_ms']) {
      expect(typeof last[key], key).toBe('number');
    }
    expect(last.rss_mib as number).toBeGreaterThan(1);
    expect(Date.parse(last.time as string)).toBeGreaterThan(0);
    expect(last.gpu).toEqual([{ index: 0, utilizationPercent: 42, memoryUsedMiB: 1000, memoryTotalMiB: 80000 }]);
    expect(rows.map((r) => r.global_step)).toEqual(rows.map((_, i) => i + 1));
    const count = rows.length;
    await sleep(120);
    expect(readRows(hb.path)).toHaveLength(count); // timer gone
  });

  it("never keeps the process alive (unref'd timer)", () => {
    const path = join(dir, 'child-heartbeat.jsonl');
    const child = fileURLToPath(new URL('./fixtures/heartbeat-child.ts', import.meta.url));
    const start = Date.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', child, path], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('work done');
    expect(Date.now() - start).toBeLessThan(20_000);
    expect(readRows(path).length).toBeGreaterThanOrEqual(2); // the explicit beat plus timer beats during the work
  });

  it('records once why GPU metrics are missing', async () => {
    const hb = new Heartbeat(join(dir, 'hb.jsonl'), { intervalSeconds: 60, nvidiaSmi: join(dir, 'absent') }).start();
    await hb.settled();
    const row = hb.beat();
    hb.stop();
    expect(row.gpu_unavailable).toMatch(/not found on PATH/);
    expect(row.gpu).toBeUndefined();
    const off = new Heartbeat(join(dir, 'hb2.jsonl'), { gpu: false }).start();
    const plain = off.beat();
    off.stop();
    expect('gpu' in plain || 'gpu_unavailable' in plain).toBe(false);
  });
});

describe('PhaseTimer', () => {
  it('accumulates overlapping phases separately and resets per period', async () => {
    let clock = 0;
    const timer = new PhaseTimer(() => clock);
    timer.start('env');
    clock += 100;
    timer.start('learner');
    clock += 300;
    expect(timer.stop('env')).toBe(400);
    clock += 50;
    timer.stop('learner');
    const value = await timer.time('env', () => {
      clock += 25;
      return 7;
    });
    expect(value).toBe(7);
    expect(timer.readAndReset()).toEqual({ env: 0.425, learner: 0.35 });
    expect(timer.readAndReset()).toEqual({});
    expect(() => timer.stop('env')).toThrow("phase 'env' was not started");
    timer.start('env');
    expect(() => timer.start('env')).toThrow("phase 'env' is already running");
    await expect(timer.time('x', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(() => timer.stop('x')).toThrow(/not started/); // stopped by time() despite the error
  });
});
