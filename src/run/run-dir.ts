/**
 * The run directory as a whole, before and around a run: checked up front (it exists or can be
 * made, is a directory, can be written), told apart from another run's directory (a fresh run
 * never writes into one), cleared on `--overwrite`, and cut back to a checkpoint on resume (rows
 * of the re-trained interval are dropped, so metrics.jsonl never holds a step twice).
 *
 * Every error names the directory and what to do; a failing write names the file (see
 * {@link fileWriteError}). The layout itself is in run-logger.ts.
 */
import {
  accessSync,
  appendFileSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import { describeFsError, fileWriteError, writeFileAtomic } from './atomic-file.js';
import { runPaths } from './run-logger.js';

/**
 * Makes sure `runDir` is a writable directory, creating it (and missing parents) one level at a
 * time. Throws one clear Error naming `option` and the directory when it is a file, sits under a
 * file, cannot be created (e.g. under /proc, where Node's recursive mkdir spins forever) or cannot
 * be written (EROFS, EACCES), always before any training work starts.
 */
export function prepareRunDir(runDir: string, option = 'runDir'): void {
  const dir = resolve(runDir);
  const fail = (why: string, err?: unknown): never => {
    throw new Error(`Cannot use ${dir} as the run directory (${option}): ${why}; choose another --run-dir`, err === undefined ? undefined : { cause: err });
  };
  // The nearest existing ancestor must be a directory; everything below it is created here.
  const missing: string[] = [];
  let at = dir;
  while (!existsSync(at)) {
    missing.unshift(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  let st;
  try {
    st = statSync(at);
  } catch (err) {
    fail(`cannot inspect ${at} (${describeFsError(err)})`, err);
  }
  if (!st!.isDirectory()) fail(at === dir ? 'it is a file, not a directory' : `${at} is a file, not a directory`);
  for (const path of missing) {
    try {
      mkdirSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && statSync(path).isDirectory()) continue;
      const where = path === dir ? '' : ` (creating ${path})`;
      const pseudo = (err as NodeJS.ErrnoException).code === 'ENOENT' ? ' although its parent exists (a pseudo-filesystem such as /proc or /sys?)' : '';
      fail(`mkdir failed with ${describeFsError(err)}${pseudo}${where}`, err);
    }
  }
  // Writable: create and remove a probe file (access() alone says yes to root on a read-only mount).
  const probe = join(dir, `.write-test-${process.pid}`);
  try {
    accessSync(dir, constants.W_OK);
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
  } catch (err) {
    rmSync(probe, { force: true });
    fail(`it cannot be written (${describeFsError(err)})`, err);
  }
}

/** Files in a run directory that belong to its run (see run-logger.ts for the layout). */
const RUN_FILES = ['config.json', 'metrics.jsonl', 'heartbeat.jsonl', 'hints.jsonl', 'evals.jsonl', 'adaptive.jsonl', 'curriculum.jsonl', 'start-states.bin'];
/** Folders in a run directory written only by its run. */
const RUN_FOLDERS = ['tensorboard', 'checkpoints', 'media'];

/**
 * What in `runDir` shows that a run already lives there — a `metrics.jsonl` or a checkpoint
 * (`checkpoints/*.ckpt`) — as a short list for messages ("metrics.jsonl (12 rows), 3 checkpoints");
 * undefined when there is none (a missing or empty directory, or only a config.json).
 */
export function existingRun(runDir: string): string | undefined {
  const paths = runPaths(runDir);
  const found: string[] = [];
  if (existsSync(paths.metrics)) {
    const rows = readFileSync(paths.metrics, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '').length;
    found.push(`metrics.jsonl (${rows} row${rows === 1 ? '' : 's'})`);
  }
  if (existsSync(paths.checkpoints) && statSync(paths.checkpoints).isDirectory()) {
    const ckpts = readdirSync(paths.checkpoints).filter((n) => n.endsWith('.ckpt') && !n.startsWith('.'));
    if (ckpts.length) found.push(`${ckpts.length} checkpoint${ckpts.length === 1 ? '' : 's'} in checkpoints/`);
  }
  return found.length ? found.join(', ') : undefined;
}

/** The error a fresh run gives when `runDir` holds another run (see {@link existingRun}). */
export function existingRunError(runDir: string, what: string, resume: string): Error {
  const resumed = resume === 'none' ? '' : ` (resume '${resume}' found no usable checkpoint of it)`;
  return new Error(
    `The run directory ${runDir} already holds a run: ${what}${resumed}. A fresh run there would mix its metrics, ` +
      "TensorBoard events and checkpoints with that one. Continue that run with --resume latest (config resume: 'latest'), " +
      'replace it with --overwrite (train option overwrite: true; deletes its files), or pass another --run-dir.',
  );
}

/**
 * Deletes the files of the run in `runDir` (`--overwrite`): its config, jsonl logs, start states,
 * and the tensorboard/, checkpoints/ and media/ folders. Anything else in the directory is kept.
 */
export function clearRun(runDir: string): void {
  for (const name of RUN_FILES) rmSync(join(runDir, name), { force: true });
  for (const name of RUN_FOLDERS) rmSync(join(runDir, name), { recursive: true, force: true });
}

/**
 * Rewrites a jsonl file atomically without the rows whose `global_step` is above `globalStep`
 * (the interval a resume trains again). Rows without a numeric `global_step` are kept; a line that is
 * not JSON (torn by a crash) is dropped. Returns the number of rows dropped; a missing file drops none.
 */
export function dropRowsAfter(path: string, globalStep: number): number {
  if (!existsSync(path)) return 0;
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const kept: string[] = [];
  for (const line of lines) {
    let step: unknown;
    try {
      step = (JSON.parse(line) as { global_step?: unknown }).global_step;
    } catch {
      continue; // a row torn by a crash: readers could not parse the rows after it
    }
    if (typeof step === 'number' && step > globalStep) continue;
    kept.push(line);
  }
  const dropped = lines.length - kept.length;
  if (dropped > 0) {
    try {
      writeFileAtomic(path, [new TextEncoder().encode(kept.length ? `${kept.join('\n')}\n` : '')]);
    } catch (err) {
      throw fileWriteError(err, path);
    }
  }
  return dropped;
}

/** Appends `text` to a jsonl file of the run (evals, hints, ...); a failure (full disk) names the file. */
export function appendRunFile(path: string, text: string): void {
  try {
    appendFileSync(path, text);
  } catch (err) {
    throw fileWriteError(err, path);
  }
}
