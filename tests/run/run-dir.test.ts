/**
 * The run directory checked up front (a file, a path under a file, /proc, a read-only directory:
 * each a clear error naming the directory and --run-dir, never a spin or a raw errno), an existing
 * run told apart, cleared on overwrite, metrics rows cut back to a resume point, and a full disk
 * (/dev/full) named in the write error.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { writeFileAtomic } from '../../src/run/atomic-file.js';
import { MetricsWriter } from '../../src/run/metrics.js';
import { clearRun, dropRowsAfter, existingRun, prepareRunDir } from '../../src/run/run-dir.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mario-rl-run-dir-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const isRoot = process.getuid?.() === 0;

/** Mounts a read-only tmpfs at `at` (root on Linux); false where that is not possible. */
function mountReadOnly(at: string): boolean {
  if (process.platform !== 'linux' || !isRoot) return false;
  mkdirSync(at, { recursive: true });
  return spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', at]).status === 0;
}

describe('prepareRunDir', () => {
  it('creates missing parents one level at a time and leaves no probe file', () => {
    const runDir = join(dir, 'a', 'b', 'c');
    prepareRunDir(runDir);
    expect(existsSync(runDir)).toBe(true);
    expect(existsSync(join(runDir, `.write-test-${process.pid}`))).toBe(false);
    prepareRunDir(runDir); // an existing directory is fine
  });

  it('a file, or a path under a file, is named as such', () => {
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    expect(() => prepareRunDir(file, 'runDir')).toThrow(
      `Cannot use ${file} as the run directory (runDir): it is a file, not a directory; choose another --run-dir`,
    );
    expect(() => prepareRunDir(join(file, 'run'))).toThrow(`${file} is a file, not a directory`);
  });

  it.runIf(process.platform === 'linux')('a directory under /proc fails at once instead of spinning in a recursive mkdir', () => {
    const t0 = performance.now();
    expect(() => prepareRunDir('/proc/mario-rl-run/x')).toThrow(
      /Cannot use \/proc\/mario-rl-run\/x as the run directory \(runDir\): mkdir failed with E[A-Z]+.*choose another --run-dir/,
    );
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('a read-only mount is reported as EROFS (not ENOENT) (a read-only tmpfs, root on Linux)', (t) => {
    const ro = join(dir, 'ro');
    if (!mountReadOnly(ro)) t.skip(); // no mount here
    try {
      expect(() => prepareRunDir(ro)).toThrow(
        `Cannot use ${ro} as the run directory (runDir): it cannot be written (EROFS: read-only file system); choose another --run-dir`,
      );
      expect(() => prepareRunDir(join(ro, 'run'))).toThrow(/mkdir failed with EROFS: read-only file system/);
    } finally {
      spawnSync('umount', [ro]);
    }
  });

  it.runIf(process.platform !== 'win32' && !isRoot)('a directory without write permission is reported as EACCES', () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked, { mode: 0o555 });
    expect(() => prepareRunDir(locked)).toThrow(/it cannot be written \(EACCES: permission denied\)/);
  });
});

describe('existing runs', () => {
  it('a run is a metrics.jsonl or a checkpoint; a config.json alone is not', () => {
    expect(existingRun(join(dir, 'missing'))).toBeUndefined();
    writeFileSync(join(dir, 'config.json'), '{}');
    expect(existingRun(dir)).toBeUndefined();
    writeFileSync(join(dir, 'metrics.jsonl'), '{"global_step":1}\n{"global_step":2}\n');
    expect(existingRun(dir)).toBe('metrics.jsonl (2 rows)');
    mkdirSync(join(dir, 'checkpoints'));
    writeFileSync(join(dir, 'checkpoints', 'latest.ckpt'), 'x');
    expect(existingRun(dir)).toBe('metrics.jsonl (2 rows), 1 checkpoint in checkpoints/');
  });

  it('clearRun deletes the run files and folders and keeps anything else', () => {
    for (const name of ['config.json', 'metrics.jsonl', 'heartbeat.jsonl', 'evals.jsonl', 'notes.txt']) writeFileSync(join(dir, name), 'x');
    for (const sub of ['checkpoints', 'tensorboard', 'media']) {
      mkdirSync(join(dir, sub));
      writeFileSync(join(dir, sub, 'f'), 'x');
    }
    clearRun(dir);
    expect(existingRun(dir)).toBeUndefined();
    for (const gone of ['config.json', 'metrics.jsonl', 'heartbeat.jsonl', 'evals.jsonl', 'checkpoints', 'tensorboard', 'media'])
      expect(existsSync(join(dir, gone)), gone).toBe(false);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('x');
  });

  it('dropRowsAfter keeps rows up to the step (and rows without one), drops a torn line, and leaves a clean file alone', () => {
    const path = join(dir, 'metrics.jsonl');
    writeFileSync(path, ['{"global_step":64}', '{"note":"x"}', '{"global_step":128}', '{"global_step":192}', '{"global_st'].join('\n'));
    expect(dropRowsAfter(path, 128)).toBe(2);
    expect(readFileSync(path, 'utf8')).toBe('{"global_step":64}\n{"note":"x"}\n{"global_step":128}\n');
    expect(dropRowsAfter(path, 128)).toBe(0);
    expect(dropRowsAfter(join(dir, 'none.jsonl'), 0)).toBe(0);
  });
});

describe('a full disk names the file', () => {
  it.runIf(existsSync('/dev/full'))('MetricsWriter: ENOSPC with the path', () => {
    const w = new MetricsWriter('/dev/full');
    expect(() => w.write({ global_step: 1 })).toThrow('Could not write /dev/full: ENOSPC: no space left on device');
    expect(() => w.close()).toThrow(/ENOSPC/);
  });

  it('writeFileAtomic: a failed open names the target', () => {
    const target = join(dir, 'no', 'such', 'dir', 'x.ckpt');
    expect(() => writeFileAtomic(target, [new Uint8Array(1)])).toThrow(`Could not write ${target}: ENOENT: no such file or directory`);
  });
});
