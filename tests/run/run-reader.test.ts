/**
 * Reading a run directory back (src/run/run-reader.ts): JSONL with a half-written last line or a
 * damaged middle line, absent optional files, the heartbeat's summary, the host from the
 * TensorBoard file names, and the errors for a folder that is not a run.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { readJsonl, readRun, RunReadError } from '../../src/run/run-reader.js';

const fixture = resolve(import.meta.dirname, 'fixtures/tiny-run');
let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mario-rl-run-reader-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('readJsonl', () => {
  it('reads whole rows, leaves out a truncated last line and says so', () => {
    const f = join(dir, 'metrics.jsonl');
    writeFileSync(f, '{"global_step":1}\n{"global_step":2}\n{"global_st');
    const r = readJsonl(f)!;
    expect(r.rows).toEqual([{ global_step: 1 }, { global_step: 2 }]);
    expect(r.notes).toEqual([expect.stringMatching(/^metrics\.jsonl: the last line is truncated .*read the 2 whole rows before it$/)]);
  });

  it('leaves out damaged middle lines with their line numbers; blank lines are fine; absent is null', () => {
    const f = join(dir, 'evals.jsonl');
    writeFileSync(f, '{"a":1}\n\nnot json\n[1,2]\n{"a":2}\n');
    const r = readJsonl(f)!;
    expect(r.rows).toEqual([{ a: 1 }, { a: 2 }]);
    expect(r.notes).toEqual(['evals.jsonl: left out 2 line(s) that are not JSON objects (line 3, 4)']);
    expect(readJsonl(join(dir, 'none.jsonl'))).toBeNull();
  });
});

describe('readRun', () => {
  it('reads every file of a run directory', () => {
    const run = readRun(fixture);
    expect(run.label).toBe('tiny-run');
    expect(run.metrics).toHaveLength(8);
    expect(run.metrics.at(-1)!.global_step).toBe(1024);
    expect(run.evals).toHaveLength(4);
    expect(run.curriculum).toHaveLength(4);
    expect(run.hints).toEqual([expect.objectContaining({ code: 'entropy-collapse' })]);
    expect(run.adaptive).toHaveLength(1);
    expect(run.config).toMatchObject({ algo: 'ppo', device: 'cpu', threads: 1 });
    expect(run.heartbeat).toMatchObject({ firstTime: '2026-12-07T07:24:28.185Z', gpus: [], gpuUnavailable: 'nvidia-smi not found on PATH' });
    expect(run.heartbeat!.peakRssMiB).toBeGreaterThan(100);
    expect(run.media.map((m) => m.name)).toEqual(['probe-0000000256-1-1-best.gif', 'probe-0000001024-1-1-worst.gif']);
    expect(run.host).toBeNull();
    expect(run.notes).toEqual([]);
  });

  it('leaves absent optional files null, finds the host in the TensorBoard file names, notes a bad config.json', () => {
    writeFileSync(join(dir, 'metrics.jsonl'), '{"global_step":4,"update":1}\n');
    writeFileSync(join(dir, 'config.json'), '{"algo":');
    mkdirSync(join(dir, 'tensorboard'));
    writeFileSync(join(dir, 'tensorboard', 'events.out.tfevents.1765090000.trainer-7.node.1234'), '');
    const run = readRun(dir);
    expect([run.evals, run.curriculum, run.hints, run.adaptive, run.heartbeat, run.config]).toEqual([null, null, null, null, null, null]);
    expect(run.media).toEqual([]);
    expect(run.host).toBe('trainer-7.node');
    expect(run.notes).toEqual(['config.json: not JSON (truncated?); left out']);
  });

  it('refuses a missing folder, a folder without metrics.jsonl and one without a whole row, naming RUN', () => {
    expect(() => readRun(join(dir, 'nope'))).toThrow(RunReadError);
    expect(() => readRun(join(dir, 'nope'))).toThrow(/^Expected a run directory for RUN but received '.*nope' \(no such folder\)$/);
    expect(() => readRun(dir, 'RUN 2')).toThrow(/^Expected a run directory with metrics\.jsonl for RUN 2 but received .* \(it has none/);
    expect(() => readRun(join(fixture, 'metrics.jsonl'))).toThrow(/for RUN but received '.*metrics\.jsonl' \(a file, not a folder\)$/);
    writeFileSync(join(dir, 'metrics.jsonl'), '{"global_st');
    expect(() => readRun(dir)).toThrow(/at least one metrics row for RUN .*the last line is truncated/);
  });

  it('a run being written: the truncated last metrics row is left out with a note', () => {
    const run = join(dir, 'run');
    cpSync(fixture, run, { recursive: true });
    writeFileSync(join(run, 'metrics.jsonl'), '{"global_step":128}\n{"global_step":256,"charts/SP', { flag: 'w' });
    const r = readRun(run);
    expect(r.metrics).toEqual([{ global_step: 128 }]);
    expect(r.notes).toEqual([expect.stringMatching(/^metrics\.jsonl: the last line is truncated/)]);
  });
});
