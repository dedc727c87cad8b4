/**
 * The fault loop (docs/reliability.md): a training run killed with SIGKILL at random moments,
 * some aimed at a checkpoint write (the child pauses between writing a checkpoint and renaming it
 * into place, `--widen-ms`), each time restarted with `--resume latest`, then finished without a
 * kill. What must hold after every kill and at the end:
 *
 *   - every restart resumes (or, before the first checkpoint ever finished, starts over) and says
 *     from which step; it loses at most one checkpoint interval of the killed child's progress;
 *   - its first metrics row is one row past the checkpoint's global step (the rows the killed child
 *     wrote past it are dropped), and metrics.jsonl's steps only ever increase;
 *   - every metrics row any child wrote, kept or later dropped, holds the learning values of the same
 *     run trained without a kill (run first, in another folder), row for row;
 *   - at the end no temp file is left, metrics.jsonl equals the uninterrupted run's row for row
 *     (nothing lost, nothing doubled), and so does the final `latest.ckpt`: every section byte for
 *     byte (parameters, Adam moments, the DQN target network, the replay buffer with its
 *     priorities and cursors) and every header field but the wall-clock and run-identity ones
 *     (RNG streams, counters, the episode window). Rows alone would miss state that has not shown
 *     in a row yet; the checkpoint holds all of it.
 *
 * Progress goes to `progressFile` (JSON lines) as it happens, so a run cut off midway still leaves
 * the kills it checked.
 *
 * Used by scripts/fault-loop.ts (50 kills per algorithm) and tests/train/fault-loop.test.ts (a
 * few). The child is scripts/fault-child.ts; it prints one line per event (see CHILD_EVENTS).
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

import { LATEST_NAME, readCheckpoint } from '../src/run/checkpoint-store.js';
import { type MetricsRow } from '../src/run/metrics.js';
import { type TrainerConfigInput } from '../src/train/config.js';
import { Rng } from '../src/util/rng.js';

/** The algorithms the loop drives. */
export type FaultAlgo = 'ppo' | 'dqn';

/** Agent steps per metrics row and rows per checkpoint of {@link faultConfig}. */
export const FAULT_SIZES: Record<FaultAlgo, { stepsPerRow: number; rowsPerCheckpoint: number }> = {
  ppo: { stepsPerRow: 2 * 32, rowsPerCheckpoint: 2 },
  dqn: { stepsPerRow: 1000, rowsPerCheckpoint: 1 }, // DQN writes a row per ~1000 agent steps (off-policy.ts)
};

/** The run the loop kills: tiny PPO (pixels) or DQN (RAM, replay in the checkpoint) on the built-in game. */
export function faultConfig(algo: FaultAlgo, runDir: string, resume: 'none' | 'latest'): TrainerConfigInput {
  const common: TrainerConfigInput = {
    device: 'cpu',
    threads: 1,
    overlap: false,
    runDir,
    resume,
    seed: 19,
    log: { heartbeatSeconds: 1, tensorboard: true, progress: 'off' },
    hints: { enabled: false },
  };
  if (algo === 'ppo') {
    return {
      ...common,
      network: 'baseline',
      env: { width: 42, height: 42, maxEpisodeSteps: 60 },
      ppo: { numEnvs: 2, numSteps: 32, epochs: 1, minibatches: 2 },
      checkpoint: { interval: FAULT_SIZES.ppo.rowsPerCheckpoint, keep: 3 },
    };
  }
  return {
    ...common,
    algo: 'dqn',
    network: 'mlp',
    env: { obs: 'ram', maxEpisodeSteps: 60 },
    // Cheap rows (125 act calls and 31 gradient steps per 1000 agent steps) so that 50 kills fit
    // in an hour of a loaded machine; the replay wraps within a checkpoint interval all the same.
    dqn: {
      numEnvs: 8,
      bufferSize: 400,
      batchSize: 16,
      learningStarts: 100,
      trainFrequency: 32,
      // Not a divisor of the checkpoint interval (1000 steps): at each checkpoint the target
      // network lags the online one, so a resume that lost the target would show.
      targetUpdateInterval: 48,
      epsilon: 'linear:1:0.05:0.5',
    },
    checkpoint: { interval: FAULT_SIZES.dqn.rowsPerCheckpoint, keep: 3, includeReplay: true },
  };
}

/**
 * What the child prints, one line each: `START <step>` (the step it resumed at, 0 when fresh) once training
 * begins, `ROW <step>` after each metrics row, `WRITING <temp file>` before a checkpoint's rename
 * (then it pauses), `CKPT <step>` after a checkpoint, `DONE <step>` at the end.
 */
export const CHILD_EVENTS = ['START', 'ROW', 'WRITING', 'CKPT', 'DONE'] as const;

/** Options of {@link runFaultLoop}. */
export interface FaultLoopOptions {
  algo: FaultAlgo;
  /** Folder for the killed run and its uninterrupted reference (both replaced). */
  dir: string;
  kills: number;
  /** Agent steps of the whole run. */
  totalSteps: number;
  /** Seed of the kill schedule. */
  seed: number;
  /** Pause in each checkpoint write before its rename (ms): the window the aimed kills land in. */
  widenMs: number;
  /**
   * A random kill waits for a random number of metrics rows after the child's START (0 to two
   * checkpoint intervals), then a uniform delay in [0, maxDelayMs]: anywhere in a row's work,
   * whatever the machine's speed.
   */
  maxDelayMs: number;
  /** Every k-th kill is aimed instead: it lands in the pause of the second checkpoint write after START (0 = never). */
  aimEvery: number;
  /** Per child: kill and fail if it has not reached START (or DONE) by then. Default 15 min (a loaded machine). */
  childTimeoutMs?: number;
  /** Progress lines. */
  log?: (line: string) => void;
  /** JSON lines appended as the loop goes (replaced at the start): the reference, each kill, the result. */
  progressFile?: string;
}

/** One kill of {@link runFaultLoop}. */
export interface KillRecord {
  /** 'random' or 'checkpoint-write' (aimed at the pause before a checkpoint's rename). */
  moment: 'random' | 'checkpoint-write';
  /** Step the child resumed at ('fresh' start: 0). */
  startStep: number;
  /** Newest metrics row step the child reported before the kill (its progress). */
  progressStep: number;
  /** Step the next child resumed at, and steps of progress it lost. */
  resumedStep: number;
  lostSteps: number;
}

/** What {@link runFaultLoop} found. */
export interface FaultLoopResult {
  algo: FaultAlgo;
  kills: KillRecord[];
  /** Restarts that started over because no checkpoint had finished yet. */
  freshStarts: number;
  /** Largest progress lost to one kill, in agent steps, and the bound (one checkpoint interval). */
  maxLostSteps: number;
  boundSteps: number;
  /** Rows of the final metrics.jsonl, and whether they equal the uninterrupted run's. */
  rows: number;
  identicalToReference: boolean;
  /** Rows the killed children wrote (kept or dropped later), each checked against the uninterrupted run's row at its step. */
  rowsChecked: number;
  /** Whether the final `latest.ckpt` equals the uninterrupted run's (sections byte for byte, header but wall-clock fields). */
  checkpointIdenticalToReference: boolean;
  /** The sections of the final checkpoint compared. */
  checkpointSections: string[];
  /** Failed checks (empty when everything held). */
  failures: string[];
  seconds: number;
}

const CHILD = resolve(import.meta.dirname, 'fault-child.ts');

interface ChildEvent {
  kind: string;
  args: string[];
  /** performance.now() when the parent read it. */
  at: number;
}

interface Child {
  events: ChildEvent[];
  exited: Promise<{ code: number | null; signal: string | null; stderr: string }>;
  kill: () => void;
  /** Resolves with the `count`-th event of `kind` (1 by default; 0 at once), or null when the child exits first. */
  waitFor: (kind: string, count?: number) => Promise<ChildEvent | null>;
}

function startChild(algo: FaultAlgo, runDir: string, totalSteps: number, resume: boolean, widenMs: number): Child {
  const args = ['--import', 'tsx', CHILD, '--algo', algo, '--run-dir', runDir, '--total-steps', String(totalSteps), '--widen-ms', String(widenMs)];
  const proc = spawn(process.execPath, resume ? [...args, '--resume'] : args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Child['events'] = [];
  const waiters: { kind: string; count: number; resolve: (e: ChildEvent | null) => void }[] = [];
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const [kind, ...rest] = line.trim().split(' ');
    if (!kind || !(CHILD_EVENTS as readonly string[]).includes(kind)) return;
    const e: ChildEvent = { kind, args: rest, at: performance.now() };
    events.push(e);
    const n = events.filter((x) => x.kind === kind).length;
    const due = waiters.filter((w) => w.kind === kind && w.count <= n);
    for (const w of due) w.resolve(e);
    waiters.splice(0, waiters.length, ...waiters.filter((w) => !due.includes(w)));
  });
  const exited = new Promise<{ code: number | null; signal: string | null; stderr: string }>((done) =>
    proc.on('exit', (code, signal) => {
      for (const w of waiters) w.resolve(null);
      waiters.length = 0;
      done({ code, signal, stderr });
    }),
  );
  return {
    events,
    exited,
    kill: () => proc.kill('SIGKILL'),
    waitFor: (kind, count = 1) => {
      if (count === 0) return Promise.resolve({ kind, args: [], at: performance.now() });
      const seen = events.filter((e) => e.kind === kind)[count - 1];
      if (seen) return Promise.resolve(seen);
      if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(null);
      return new Promise((r) => waiters.push({ kind, count, resolve: r }));
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** metrics.jsonl rows of a run directory ([] when absent). */
export function metricsRows(runDir: string): MetricsRow[] {
  const path = join(runDir, 'metrics.jsonl');
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8').trim();
  return text ? text.split('\n').map((l) => JSON.parse(l) as MetricsRow) : [];
}

/** A row's learning values: without wall-clock fields (speeds, times, event-loop lag). */
function learning(row: MetricsRow): MetricsRow {
  return Object.fromEntries(Object.entries(row).filter(([k]) => !/SPS|^time\/|^perf\//.test(k)));
}

/** Header fields of a checkpoint that differ between two identical runs: when and where, not what. */
const WALL_CLOCK_HEADER = new Set(['savedAt', 'elapsedSeconds', 'runId', 'sections', 'dataLength']);

/**
 * Differences between two runs' `latest.ckpt` (empty when equal): every section byte for byte, and
 * every header field but {@link WALL_CLOCK_HEADER} and the run directory in the stored config.
 */
export function compareLatestCheckpoints(runDir: string, refDir: string): { sections: string[]; differences: string[] } {
  const a = readCheckpoint(join(runDir, 'checkpoints', LATEST_NAME));
  const b = readCheckpoint(join(refDir, 'checkpoints', LATEST_NAME));
  const differences: string[] = [];
  const names = [...new Set([...Object.keys(a.sections), ...Object.keys(b.sections)])].sort();
  for (const name of names) {
    const x = a.sections[name];
    const y = b.sections[name];
    if (!x || !y) differences.push(`section ${name} only in the ${x ? 'killed' : 'reference'} run's`);
    else if (!Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength)))
      differences.push(`section ${name} differs (${x.byteLength} vs ${y.byteLength} bytes)`);
  }
  const what = (h: Record<string, unknown>): Record<string, unknown> => {
    const out = Object.fromEntries(Object.entries(h).filter(([k]) => !WALL_CLOCK_HEADER.has(k)));
    if (out.config && typeof out.config === 'object') out.config = { ...(out.config as Record<string, unknown>), runDir: null, resume: null };
    return out;
  };
  const ha = what(a.header);
  const hb = what(b.header);
  for (const k of [...new Set([...Object.keys(ha), ...Object.keys(hb)])].sort())
    if (JSON.stringify(ha[k]) !== JSON.stringify(hb[k]))
      differences.push(`header field ${k}: ${JSON.stringify(ha[k])?.slice(0, 300)} vs ${JSON.stringify(hb[k])?.slice(0, 300)}`);
  return { sections: names, differences };
}

/** Finished checkpoints in the run's store (no temp files). */
function checkpointFiles(runDir: string): string[] {
  const dir = join(runDir, 'checkpoints');
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.ckpt') && !n.includes('.tmp-')) : [];
}

/** Kills a training run `kills` times and checks each resume; see the file comment. */
export async function runFaultLoop(o: FaultLoopOptions): Promise<FaultLoopResult> {
  const t0 = performance.now();
  const log = o.log ?? (() => {});
  const { stepsPerRow, rowsPerCheckpoint } = FAULT_SIZES[o.algo];
  const boundSteps = stepsPerRow * rowsPerCheckpoint;
  const timeout = o.childTimeoutMs ?? 900_000;
  const runDir = join(o.dir, `${o.algo}-killed`);
  const refDir = join(o.dir, `${o.algo}-reference`);
  rmSync(runDir, { recursive: true, force: true });
  rmSync(refDir, { recursive: true, force: true });
  mkdirSync(o.dir, { recursive: true });
  const rng = new Rng(o.seed);
  const failures: string[] = [];
  const kills: KillRecord[] = [];
  let freshStarts = 0;
  const fail = (m: string) => {
    failures.push(m);
    log(`FAIL: ${m}`);
  };
  if (o.progressFile) writeFileSync(o.progressFile, '');
  const progress = (event: string, fields: object) => {
    if (o.progressFile) appendFileSync(o.progressFile, `${JSON.stringify({ event, algo: o.algo, at: new Date().toISOString(), ...fields })}\n`);
  };
  /** `p`, or 'timeout' (the child killed) when it has not settled within the per-child limit. */
  const guard = async <T>(p: Promise<T>, child: Child): Promise<T | 'timeout'> => {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'timeout'>((done) => {
      timer = setTimeout(() => {
        child.kill();
        done('timeout');
      }, timeout);
    });
    try {
      return await Promise.race([p, expired]);
    } finally {
      clearTimeout(timer);
    }
  };

  // The same run without a kill, first: each killed child's rows are checked against it as they come.
  progress('start', { kills: o.kills, totalSteps: o.totalSteps, seed: o.seed, widenMs: o.widenMs, maxDelayMs: o.maxDelayMs, aimEvery: o.aimEvery });
  const ref = startChild(o.algo, refDir, o.totalSteps, false, 0);
  const refEnd = await guard(ref.exited, ref);
  if (refEnd === 'timeout' || refEnd.code !== 0) fail(`the reference run failed: ${refEnd === 'timeout' ? 'timeout' : refEnd.stderr.trim().slice(-2000)}`);
  const want = metricsRows(refDir).map(learning);
  const wantByStep = new Map(want.map((r) => [Number(r.global_step), JSON.stringify(r)]));
  progress('reference', { rows: want.length, ok: failures.length === 0, seconds: (performance.now() - t0) / 1000 });
  log(`${o.algo} reference: ${want.length} rows without a kill in ${((performance.now() - t0) / 60_000).toFixed(1)} min`);
  let rowsChecked = 0;

  // Each round: start (resume when a checkpoint exists), check where it started, kill it.
  let previous: { progressStep: number; checkpointStep: number; moment: KillRecord['moment']; startStep: number } | null = null;
  let done = false;
  for (let k = 0; k <= o.kills && !done; k++) {
    const resume = checkpointFiles(runDir).length > 0;
    if (!resume && k > 0) freshStarts++;
    const spawnedAt = performance.now();
    const child = startChild(o.algo, runDir, o.totalSteps, resume, o.widenMs);
    const start = await guard(child.waitFor('START'), child);
    if (start === 'timeout' || start === null) {
      const end = await child.exited;
      fail(
        `restart ${k}: the child never started training (${start === null ? `exit ${end.code ?? end.signal}` : 'timeout'}): ${end.stderr.trim().slice(-2000)}`,
      );
      break;
    }
    const startStep = Number(start.args[0]);
    if (previous) {
      const lost = previous.progressStep - startStep;
      kills.push({ moment: previous.moment, startStep: previous.startStep, progressStep: previous.progressStep, resumedStep: startStep, lostSteps: lost });
      if (resume && startStep < previous.checkpointStep)
        fail(`restart ${k}: resumed at step ${startStep}, before the checkpoint at step ${previous.checkpointStep} the killed child had finished`);
      if (lost > boundSteps)
        fail(`restart ${k}: lost ${lost} steps of progress (${previous.progressStep} → ${startStep}), more than one checkpoint interval (${boundSteps})`);
    }
    if (k === o.kills) {
      // The last child runs to the end.
      const end = await guard(child.exited, child);
      const doneEvent = child.events.find((e) => e.kind === 'DONE');
      if (end === 'timeout' || end.code !== 0 || !doneEvent) {
        fail(`the final child did not finish: ${end === 'timeout' ? 'timeout' : `exit ${end.code ?? end.signal}: ${end.stderr.trim().slice(-2000)}`}`);
      }
      done = true;
    } else {
      const aimed = o.aimEvery > 0 && (k + 1) % o.aimEvery === 0;
      const reached = aimed
        ? await guard(child.waitFor('WRITING', 2), child)
        : await guard(child.waitFor('ROW', rng.nextInt(2 * rowsPerCheckpoint + 1)), child);
      if (reached === null) {
        done = true; // the run ended first: nothing left to kill
        log(`${o.algo} restart ${k}: the child exited before the kill moment (events: ${child.events.map((e) => e.kind).join(' ')})`);
      } else if (!aimed) await Promise.race([sleep(Math.floor(rng.nextFloat() * o.maxDelayMs)), child.exited]);
      child.kill();
      const end = await child.exited;
      if (end.signal !== 'SIGKILL') {
        if (end.code === 0) {
          done = true; // the run ended before the kill: the loop stops early
          log(`${o.algo} restart ${k}: the run finished before its kill`);
        } else fail(`restart ${k}: the child failed before its kill (exit ${end.code}): ${end.stderr.trim().slice(-2000)}`);
      }
    }
    // The child's own rows: the first is one row past where it started; all increase.
    const rowsSeen = child.events.filter((e) => e.kind === 'ROW').map((e) => Number(e.args[0]));
    if (rowsSeen.length && rowsSeen[0] !== startStep + stepsPerRow)
      fail(`restart ${k}: first row at step ${rowsSeen[0]}, expected ${startStep + stepsPerRow} (one row past the resume step ${startStep})`);
    const ckpts = child.events.filter((e) => e.kind === 'CKPT').map((e) => Number(e.args[0]));
    const rowsNow = metricsRows(runDir);
    // This child's rows (the file's tail past its start, kept or dropped by the next resume) against the reference's at the same step.
    for (const row of rowsNow.filter((r) => Number(r.global_step) > startStep)) {
      rowsChecked++;
      const expected = wantByStep.get(Number(row.global_step));
      const got = JSON.stringify(learning(row));
      if (got !== expected)
        fail(`restart ${k}: the row at step ${String(row.global_step)} differs from the uninterrupted run's: ${got} vs ${expected ?? 'none'}`);
    }
    const steps = rowsNow.map((r) => Number(r.global_step));
    if (steps.some((s, i) => i > 0 && s <= steps[i - 1]!)) fail(`restart ${k}: metrics.jsonl steps do not only increase: ${steps.join(',')}`);
    const moment: KillRecord['moment'] = o.aimEvery > 0 && (k + 1) % o.aimEvery === 0 ? 'checkpoint-write' : 'random';
    previous = {
      progressStep: rowsSeen.length ? rowsSeen[rowsSeen.length - 1]! : startStep,
      checkpointStep: ckpts.length ? ckpts[ckpts.length - 1]! : startStep,
      moment,
      startStep,
    };
    if (k < o.kills && !done)
      log(
        `${o.algo} kill ${k + 1}/${o.kills} (${moment}): started at ${startStep} after ${((start.at - spawnedAt) / 1000).toFixed(1)} s, reached ${previous.progressStep}`,
      );
    // The kill before this restart, now that the restart has shown where it resumed.
    if (k > 0) progress('kill', { kill: k, ...kills[k - 1], rowsChecked, failures: failures.length, seconds: (performance.now() - t0) / 1000 });
  }
  const leftovers = existsSync(join(runDir, 'checkpoints')) ? readdirSync(join(runDir, 'checkpoints')).filter((n) => n.includes('.tmp-')) : [];
  if (leftovers.length) fail(`temp files left in checkpoints/: ${leftovers.join(', ')}`);

  const got = metricsRows(runDir).map(learning);
  const identical = got.length === want.length && JSON.stringify(got) === JSON.stringify(want);
  if (!identical) {
    const i = got.findIndex((r, j) => JSON.stringify(r) !== JSON.stringify(want[j]));
    fail(
      `metrics.jsonl differs from the uninterrupted run's: ${got.length} rows vs ${want.length}` +
        (i >= 0 ? `; first difference at row ${i} (step ${String(got[i]?.global_step)}): ${JSON.stringify(got[i])} vs ${JSON.stringify(want[i])}` : ''),
    );
  }
  let checkpoint: { sections: string[]; differences: string[] } = { sections: [], differences: ['not compared'] };
  try {
    checkpoint = compareLatestCheckpoints(runDir, refDir);
  } catch (err) {
    checkpoint.differences = [`could not read a latest.ckpt: ${(err as Error).message}`];
  }
  if (checkpoint.differences.length) fail(`the final latest.ckpt differs from the uninterrupted run's: ${checkpoint.differences.join('; ')}`);
  const result: FaultLoopResult = {
    algo: o.algo,
    kills,
    freshStarts,
    maxLostSteps: Math.max(0, ...kills.map((x) => x.lostSteps)),
    boundSteps,
    rows: got.length,
    identicalToReference: identical,
    rowsChecked,
    checkpointIdenticalToReference: checkpoint.differences.length === 0,
    checkpointSections: checkpoint.sections,
    failures,
    seconds: (performance.now() - t0) / 1000,
  };
  progress('result', { ...result, kills: undefined });
  return result;
}
