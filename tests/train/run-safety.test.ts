/**
 * The Trainer under abuse (issue 19's findings): a fresh run never writes into another run's
 * directory; `--resume latest` says what it resumes and why it skipped others, and never writes
 * `latest` without training; a resume drops the rows it trains again and continues
 * `time/elapsed_s`; TensorBoard reaches the disk at checkpoints; a second concurrent `train()`
 * rejects; a full disk names the file and the last good checkpoint; a bad run directory fails up
 * front. Tiny runs on the built-in game (see trainer-helpers.ts).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { readCheckpoint, writeCheckpoint } from '../../src/run/checkpoint-store.js';
import { type TrainerCallback } from '../../src/train/callbacks.js';
import { type TrainerConfigInput, validateConfig } from '../../src/train/config.js';
import { Trainer, TRAINER_CHECKPOINT_FORMAT } from '../../src/train/trainer.js';
import { rows, run, STEPS_PER_UPDATE as U, tiny as tinyWith } from './trainer-helpers.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mario-rl-safety-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const tiny = (runDir: string, extra: TrainerConfigInput = {}) => tinyWith(runDir, { log: { heartbeatSeconds: 0, tensorboard: false }, ...extra });
const quiet = { handleSignals: false, onWarning: () => {} };

/** TFRecords in a TensorBoard event file (lengths only; tensorboard.test.ts checks the contents). */
function recordCount(path: string): number {
  const bytes = readFileSync(path);
  let n = 0;
  for (let pos = 0; pos + 12 <= bytes.length; n++) pos += 12 + Number(bytes.readBigUInt64LE(pos)) + 4;
  return n;
}

describe('a fresh run and another run in the same directory', () => {
  it('is refused with what to do, leaving the other run untouched; overwrite replaces it', async () => {
    const runDir = join(dir, 'a');
    await run(tiny(runDir), 2 * U);
    const metrics = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8');
    const checkpoints = readdirSync(join(runDir, 'checkpoints')).sort();
    const t0 = performance.now();
    await expect(run(tiny(runDir, { seed: 9 }), 2 * U)).rejects.toThrow(
      `The run directory ${runDir} already holds a run: metrics.jsonl (2 rows), 2 checkpoints in checkpoints/. A fresh run there would mix its metrics, ` +
        "TensorBoard events and checkpoints with that one. Continue that run with --resume latest (config resume: 'latest'), " +
        'replace it with --overwrite (train option overwrite: true; deletes its files), or pass another --run-dir.',
    );
    expect(performance.now() - t0).toBeLessThan(2000); // before any work
    expect(readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')).toBe(metrics);
    expect(readdirSync(join(runDir, 'checkpoints')).sort()).toEqual(checkpoints);

    const trainer = new Trainer(tiny(runDir, { seed: 9 }), quiet);
    try {
      await expect(trainer.train({ totalSteps: U, overwrite: 'yes' as never })).rejects.toThrow('Expected a boolean for overwrite but received "yes"');
      const summary = await trainer.train({ totalSteps: U, overwrite: true });
      expect(summary).toMatchObject({ globalStep: U, updates: 1 });
      // The same Trainer's next call continues its own run (no refusal).
      expect(await trainer.train({ totalSteps: 2 * U })).toMatchObject({ globalStep: 2 * U, updates: 1 });
    } finally {
      await trainer.close();
    }
    expect(rows(runDir).map((r) => r.global_step)).toEqual([U, 2 * U]);
    expect(readCheckpoint(join(runDir, 'checkpoints', 'latest.ckpt')).header.config).toMatchObject({ seed: 9 });
  });

  it('overwrite with resume is a contradiction, said as one', async () => {
    const trainer = new Trainer(tiny(join(dir, 'b'), { resume: 'latest' }), quiet);
    try {
      await expect(trainer.train({ totalSteps: U, overwrite: true })).rejects.toThrow(
        new RangeError(`Expected resume 'none' with overwrite (overwrite deletes the run that resume would continue) but received "latest"`),
      );
    } finally {
      await trainer.close();
    }
  });
});

describe('resume', () => {
  it("'latest' names the file and step it resumes and the incompatible latest it skipped; with no update to run it leaves latest alone", async () => {
    const runDir = join(dir, 'r');
    await run(tiny(runDir), 2 * U);
    const latest = join(runDir, 'checkpoints', 'latest.ckpt');
    const step128 = join(runDir, 'checkpoints', 'step-000000000128.ckpt');
    // Another run's (a2c) latest lands in the directory.
    writeCheckpoint(
      latest,
      { globalStep: 999, globalUpdate: 9, trainerFormat: TRAINER_CHECKPOINT_FORMAT, config: { ...validateConfig(tiny(runDir)), algo: 'a2c' } },
      {},
    );
    const bytes = readFileSync(latest);
    const warnings: string[] = [];
    const summary = await run(tiny(runDir, { resume: 'latest' }), 2 * U, { onWarning: (m) => warnings.push(m) });
    expect(warnings).toContain(
      `resuming from ${step128} (agent step 128, update 2); skipped: Checkpoint ${latest} is not compatible with this run: algo is a2c, not ppo`,
    );
    expect(summary).toMatchObject({ updates: 0, resumedFrom: step128, latestCheckpoint: step128 });
    expect(readFileSync(latest).equals(bytes)).toBe(true);
  });

  it('drops the metrics rows it trains again, continues time/elapsed_s, and every row carries time/wall', async () => {
    const runDir = join(dir, 'c');
    await run(tiny(runDir), 3 * U);
    const before = rows(runDir);
    const step128 = join(runDir, 'checkpoints', 'step-000000000128.ckpt');
    const elapsed = readCheckpoint(step128).header.elapsedSeconds as number;
    expect(elapsed).toBeGreaterThanOrEqual(before[1]!['time/elapsed_s'] as number);
    const warnings: string[] = [];
    await run(tiny(runDir, { resume: step128 }), 4 * U, { onWarning: (m) => warnings.push(m) });
    const after = rows(runDir);
    expect(after.map((r) => r.global_step)).toEqual([U, 2 * U, 3 * U, 4 * U]);
    expect(after.slice(0, 2)).toEqual(before.slice(0, 2));
    expect(warnings).toContain('metrics.jsonl: dropped 1 row(s) past agent step 128, the interval this resume trains again');
    expect(after[2]!['time/elapsed_s']).toBeGreaterThan(elapsed);
    expect(after[3]!['time/elapsed_s']).toBeGreaterThan(after[2]!['time/elapsed_s'] as number);
    for (const r of after) expect(Date.parse(r['time/wall'] as string)).toBeGreaterThan(Date.parse('2020-01-01'));
    expect(readCheckpoint(join(runDir, 'checkpoints', 'latest.ckpt')).header.elapsedSeconds).toBeGreaterThan(elapsed);
  });
});

describe('while training', () => {
  it('TensorBoard events are on disk at every checkpoint', async () => {
    const runDir = join(dir, 'tb');
    const trainer = new Trainer(tiny(runDir, { log: { heartbeatSeconds: 0, tensorboard: true } }), quiet);
    const seen: number[] = [];
    trainer.on('checkpoint', (c) => {
      const tb = join(runDir, 'tensorboard');
      if (c.kind === 'periodic') seen.push(recordCount(join(tb, readdirSync(tb)[0]!)));
    });
    try {
      await trainer.train({ totalSteps: 2 * U });
    } finally {
      await trainer.close();
    }
    expect(seen[0]).toBeGreaterThanOrEqual(3); // file_version and both rows, under the 32-event batch
  });

  it('a second train() while one runs rejects at once; the first finishes', async () => {
    const trainer = new Trainer(tiny(join(dir, 'twice')), quiet);
    try {
      const first = trainer.train({ totalSteps: 2 * U });
      await expect(trainer.train({ totalSteps: 2 * U })).rejects.toThrow(
        'Trainer.train() is already running: await the first call before calling train() again',
      );
      await expect(first).resolves.toMatchObject({ updates: 2 });
    } finally {
      await trainer.close();
    }
  });
});

/** Mounts a tmpfs with `options` at `at` (root on Linux); false where that is not possible. */
function mountTmpfs(at: string, options: string): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  mkdirSync(at, { recursive: true });
  return spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', at]).status === 0;
}

describe('a bad run directory fails up front', () => {
  it('a file, a path under a file, and a directory under /proc: clear errors, no spin', async () => {
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    await expect(run(tiny(file), U)).rejects.toThrow(
      `Cannot use ${file} as the run directory (runDir): it is a file, not a directory; choose another --run-dir`,
    );
    await expect(run(tiny(join(file, 'run')), U)).rejects.toThrow(`${file} is a file, not a directory`);
    if (process.platform === 'linux') {
      const t0 = performance.now();
      await expect(run(tiny('/proc/mario-rl/run'), U)).rejects.toThrow(
        /Cannot use \/proc\/mario-rl\/run as the run directory \(runDir\): mkdir failed with ENOENT/,
      );
      expect(performance.now() - t0).toBeLessThan(2000);
    }
  });

  it('a read-only directory names EROFS, not ENOENT (a read-only tmpfs, root on Linux)', async (t) => {
    const ro = join(dir, 'ro');
    if (!mountTmpfs(ro, 'ro,size=1m')) t.skip();
    try {
      await expect(run(tiny(ro), U)).rejects.toThrow(
        `Cannot use ${ro} as the run directory (runDir): it cannot be written (EROFS: read-only file system); choose another --run-dir`,
      );
      await expect(run(tiny(join(ro, 'run')), U)).rejects.toThrow(/mkdir failed with EROFS: read-only file system/);
    } finally {
      spawnSync('umount', [ro]);
    }
  });
});

/** Fills the filesystem holding `dir` to the last byte. */
function fillDisk(dir: string): void {
  const fd = openSync(join(dir, 'filler'), 'w');
  try {
    for (const chunk of [1 << 20, 4096, 1]) {
      const buf = Buffer.alloc(chunk);
      try {
        for (;;) writeSync(fd, buf);
      } catch {
        // full at this chunk size; go on with smaller ones
      }
    }
  } finally {
    closeSync(fd);
  }
}

describe('a full disk (a real tmpfs, root on Linux)', () => {
  it('names the file that failed and the last good checkpoint, which latest still is', async (t) => {
    const mnt = join(dir, 'disk');
    if (!mountTmpfs(mnt, 'size=64m')) t.skip();
    try {
      const runDir = join(mnt, 'run');
      let filled = false;
      const filler: TrainerCallback = {
        name: 'fill-disk',
        onCheckpoint: (_ctx, info) => {
          if (info.kind === 'periodic' && !filled) {
            filled = true;
            fillDisk(mnt);
          }
        },
      };
      const err = (await run(tiny(runDir), 8 * U, { callbacks: [filler] }).catch((e: unknown) => e)) as Error & { code?: string };
      const step128 = join(runDir, 'checkpoints', 'step-000000000128.ckpt');
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toMatch(
        new RegExp(
          `^Could not write ${runDir}/\\S+: ENOSPC: no space left on device\\. Training stopped at agent step \\d+: ` +
            `the last good checkpoint is ${step128} \\(agent step 128\\); continue from it with --resume latest once the cause is fixed\\.`,
        ),
      );
      expect(err.code).toBe('ENOSPC');
      expect(readCheckpoint(join(runDir, 'checkpoints', 'latest.ckpt')).header.globalStep).toBe(128);
      expect(readdirSync(join(runDir, 'checkpoints')).filter((n) => n.includes('.tmp-'))).toEqual([]);
    } finally {
      if (existsSync(mnt)) spawnSync('umount', [mnt]);
    }
  });
});

describe("the heartbeat's global_step (finding 10)", () => {
  it('is the newest metrics row step: never ahead of metrics.jsonl with a rollout collected ahead, never falling back at a stop', async () => {
    const runDir = join(dir, 'hb');
    let updates = 0;
    const stopper: TrainerCallback = {
      name: 'stop-after-3',
      onUpdateEnd: (ctx) => {
        if (++updates === 3) ctx.requestStop('enough');
      },
    };
    // overlap: each update's learning runs beside the next rollout's collection, so a rollout is
    // collected ahead at every row and at the stop (which drops it).
    const summary = await run(tiny(runDir, { overlap: true, checkpoint: { interval: 0 }, log: { heartbeatSeconds: 0.01, tensorboard: false } }), 40 * U, {
      callbacks: [stopper],
    });
    expect(summary).toMatchObject({ stopReason: 'callback', globalStep: 3 * U });
    const metrics = rows(runDir);
    const beats = readFileSync(join(runDir, 'heartbeat.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { time: string; global_step: number });
    expect(beats.length).toBeGreaterThan(3);
    const steps = beats.map((b) => b.global_step);
    // One meaning: a step some metrics row has (or 0 before the first), in order, ending where the metrics end.
    const rowSteps = new Set([0, ...metrics.map((r) => r.global_step as number)]);
    for (const s of steps) expect(rowSteps.has(s)).toBe(true);
    for (let i = 1; i < steps.length; i++) expect(steps[i]!).toBeGreaterThanOrEqual(steps[i - 1]!);
    expect(steps[steps.length - 1]).toBe(3 * U);
    // Never ahead: each beat's step was already in metrics.jsonl when the beat was written.
    for (const b of beats) {
      const written = metrics.filter((r) => (r['time/wall'] as string) <= b.time).map((r) => r.global_step as number);
      expect(b.global_step).toBeLessThanOrEqual(Math.max(0, ...written));
    }
  }, 300_000);
});
