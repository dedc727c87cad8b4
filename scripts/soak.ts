/**
 * `npm run soak -- [--minutes 60] [--out soak-out]`: hours of the things a long run does, in one
 * process, watching for the slow failures (docs/reliability.md has the results):
 *
 *   cycle = PPO training on the built-in game (8 updates: overlapped rollouts, a checkpoint every
 *           4 updates, eval probes, TensorBoard, heartbeat) → a VecEnv created, reset, a burst of
 *           stepAsync, closed → a PrioritizedReplay created, filled, sampled and re-prioritised,
 *           disposed; every 4th cycle also an evaluation, then the Trainer closed and a new one
 *           resumed from `latest`.
 *
 * Every `--sample-seconds` (10) a row goes to OUT/soak.jsonl: RSS, heap, external and
 * ArrayBuffer memory, open file descriptors, event-loop lag (p99, max). At the same point of each
 * cycle (the VecEnv and replay closed, the Trainer open) the descriptors are counted again. At the end
 * (scripts/soak-analysis.ts): a least-squares slope of each memory series after
 * `--warmup-minutes`; the soak fails (exit 1) when a slope exceeds its bound (MiB/h) or the
 * descriptors at the last boundary exceed those at the first after warm-up. OUT/summary.json
 * holds the verdict, OUT/soak.svg the curves. Not part of `npm test` (it runs for an hour).
 */
import { mkdirSync, readdirSync, writeFileSync, appendFileSync, existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { UsageError, intFlag, parseFlags } from '../src/cli/flags.js';
import { VecEnv } from '../src/env/vec-env.js';
import { PrioritizedReplay } from '../src/replay/prioritized-replay.js';
import { EventLoopLagMonitor } from '../src/run/metrics.js';
import { buildSvgReport } from '../src/run/report-svg.js';
import { type RunData } from '../src/run/run-reader.js';
import { type TrainerConfigInput } from '../src/train/config.js';
import { Trainer } from '../src/train/trainer.js';
import { DEFAULT_SOAK_BOUNDS, judgeSoak, type SoakSample } from './soak-analysis.js';

const USAGE =
  'usage: npm run soak -- [--minutes M (60)] [--warmup-minutes W (M/6, at least 1)] [--sample-seconds S (10)] [--out DIR (soak-out)]\n' +
  `                       [--max-rss-slope MiB/h (${DEFAULT_SOAK_BOUNDS.rssMibPerHour})] [--max-heap-slope MiB/h (${DEFAULT_SOAK_BOUNDS.heapMibPerHour})] [--max-external-slope MiB/h (${DEFAULT_SOAK_BOUNDS.externalMibPerHour})]`;

let flags: Record<string, string>;
try {
  flags = parseFlags(process.argv.slice(2), {
    minutes: {},
    'warmup-minutes': {},
    'sample-seconds': {},
    out: {},
    'max-rss-slope': {},
    'max-heap-slope': {},
    'max-external-slope': {},
    help: { boolean: true, short: 'h' },
  });
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  console.error(`${err.message}\n${USAGE}`);
  process.exit(2);
}
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}
const usage = (fn: () => number): number => {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`${err.message}\n${USAGE}`);
    process.exit(2);
  }
};
const minutes = usage(() => intFlag(flags.minutes ?? '60', 'minutes', 1, 24 * 60));
const warmupMinutes = usage(() => intFlag(flags['warmup-minutes'] ?? String(Math.max(1, Math.round(minutes / 6))), 'warmup-minutes', 0, minutes - 1));
const sampleSeconds = usage(() => intFlag(flags['sample-seconds'] ?? '10', 'sample-seconds', 1, 600));
const bounds = {
  rssMibPerHour: usage(() => intFlag(flags['max-rss-slope'] ?? String(DEFAULT_SOAK_BOUNDS.rssMibPerHour), 'max-rss-slope', 0, 100_000)),
  heapMibPerHour: usage(() => intFlag(flags['max-heap-slope'] ?? String(DEFAULT_SOAK_BOUNDS.heapMibPerHour), 'max-heap-slope', 0, 100_000)),
  externalMibPerHour: usage(() => intFlag(flags['max-external-slope'] ?? String(DEFAULT_SOAK_BOUNDS.externalMibPerHour), 'max-external-slope', 0, 100_000)),
};
const out = resolve(flags.out ?? 'soak-out');
mkdirSync(out, { recursive: true });
const runDir = join(out, 'run');
const samplesPath = join(out, 'soak.jsonl');
rmSync(samplesPath, { force: true });

const UPDATES_PER_CYCLE = 8;
const config = (resume: 'none' | 'latest'): TrainerConfigInput => ({
  network: 'baseline',
  device: 'cpu',
  threads: 1,
  overlap: true,
  runDir,
  resume,
  seed: 19,
  totalSteps: Number.MAX_SAFE_INTEGER,
  env: { width: 42, height: 42, maxEpisodeSteps: 400 },
  ppo: { numEnvs: 4, numSteps: 32, epochs: 1, minibatches: 2 },
  checkpoint: { interval: 4, keep: 3 },
  eval: { episodes: 2, interval: 8 },
  log: { heartbeatSeconds: 10, tensorboard: true, progress: 'off' },
  hints: { enabled: false },
});
const quiet = { handleSignals: false, onWarning: () => {} };

const fdCount = (): number => {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
};
const mib = (b: number) => Math.round((b / 1048576) * 100) / 100;

const t0 = performance.now();
const seconds = () => (performance.now() - t0) / 1000;
const lag = new EventLoopLagMonitor(10).start();
const samples: SoakSample[] = [];
const boundaryFds: [number, number][] = [];
let cycles = 0;
let globalStep = 0;
const sample = () => {
  const m = process.memoryUsage();
  const l = lag.readAndReset();
  const row: SoakSample = {
    t_s: Math.round(seconds() * 10) / 10,
    rss_mib: mib(m.rss),
    heap_used_mib: mib(m.heapUsed),
    external_mib: mib(m.external),
    array_buffers_mib: mib(m.arrayBuffers),
    fds: fdCount(),
    event_loop_lag_p99_ms: Math.round(l.p99Ms * 100) / 100,
    event_loop_lag_max_ms: Math.round(l.maxMs * 100) / 100,
    cycles,
    global_step: globalStep,
  };
  samples.push(row);
  appendFileSync(samplesPath, `${JSON.stringify(row)}\n`);
};
const timer = setInterval(sample, sampleSeconds * 1000);

/** A VecEnv created, reset, stepped in a burst of stepAsync calls, closed. */
async function vecEnvCycle(seed: number): Promise<void> {
  const env = new VecEnv({ game: 'runner', numEnvs: 8, numThreads: 2, frameSkip: 4, obs: { width: 42, height: 42, frameStack: 4 }, seed });
  try {
    env.reset({ seed });
    const actions = new Int32Array(env.numEnvs);
    for (let t = 0; t < 200; t++) {
      for (let i = 0; i < actions.length; i++) actions[i] = (t * 7 + i * 3) % env.numActions;
      await env.stepAsync(actions);
    }
  } finally {
    env.close();
  }
}

/** A replay created, filled past its capacity, sampled and re-prioritised, disposed. */
function replayCycle(seed: number): void {
  const N = 8;
  const replay = new PrioritizedReplay({ capacity: 4096, numEnvs: N, frameShape: [42, 42], stack: 4, nStep: 3, seed });
  try {
    const obs = new Uint8Array(N * 4 * 42 * 42);
    const step = { actions: new Int32Array(N), rewards: new Float32Array(N), terminated: new Uint8Array(N), truncated: new Uint8Array(N), obs };
    replay.begin(obs);
    for (let t = 0; t < 600; t++) {
      obs.fill(t & 255);
      step.rewards.fill((t % 5) - 2);
      step.terminated.fill(t % 97 === 96 ? 1 : 0);
      replay.addBatch(step);
      if (t >= 64 && t % 4 === 0) {
        const batch = replay.sample(32);
        const td = new Float32Array(batch.indices.length).map((_, i) => ((i * 13 + t) % 17) / 4);
        replay.updatePriorities(batch.indices, td);
      }
    }
  } finally {
    replay.dispose();
  }
}

console.log(`soak: ${minutes} min (warm-up ${warmupMinutes} min), a sample every ${sampleSeconds} s into ${samplesPath}`);
const endAt = minutes * 60;
let trainer = new Trainer(config('none'), quiet);
let first = true;
try {
  if (existsSync(runDir)) rmSync(runDir, { recursive: true, force: true });
  while (seconds() < endAt) {
    const summary = await trainer.train({ totalSteps: trainer.globalStep + UPDATES_PER_CYCLE * 4 * 32, ...(first ? { overwrite: true } : {}) });
    first = false;
    globalStep = summary.globalStep;
    await vecEnvCycle(cycles);
    replayCycle(cycles);
    // Counted here, where every cycle has the same things open (the Trainer and its learner).
    boundaryFds.push([Math.round(seconds() * 10) / 10, fdCount()]);
    if (cycles % 4 === 3) {
      await trainer.evaluate({ episodes: 4, numEnvs: 2 });
      await trainer.close();
      trainer = new Trainer(config('latest'), quiet);
    }
    cycles++;
  }
} finally {
  await trainer.close();
  clearInterval(timer);
  lag.stop();
}
sample();
const verdict = judgeSoak(samples, boundaryFds, warmupMinutes * 60, bounds);
const summary = { minutes, warmupMinutes, sampleSeconds, cycles, globalStep, bounds, boundaryFds, ...verdict };
writeFileSync(join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);

// The curves against time, through the report's SVG writer (x: seconds).
const curves: RunData = {
  dir: out,
  label: 'soak',
  metrics: samples.map((s) => ({ ...s, global_step: s.t_s })),
  evals: null,
  curriculum: null,
  hints: null,
  adaptive: null,
  config: null,
  machine: null,
  heartbeat: null,
  host: null,
  media: [],
  configTime: null,
  metricsTime: null,
  notes: [],
};
const { svg } = buildSvgReport(
  [curves],
  [
    { id: 'memory', title: 'Memory (MiB)', keys: ['rss_mib', 'heap_used_mib', 'external_mib'] },
    { id: 'fds', title: 'Open file descriptors', keys: ['fds'] },
    { id: 'lag', title: 'Event-loop lag (ms)', keys: ['event_loop_lag_p99_ms'] },
  ],
  { xLabel: 'seconds' },
);
writeFileSync(join(out, 'soak.svg'), svg);

const s = verdict.slopes;
console.log(
  `soak: ${cycles} cycles, ${globalStep} agent steps in ${(seconds() / 60).toFixed(1)} min; after warm-up (${verdict.samplesFitted} samples): ` +
    `RSS ${s.rss.toFixed(1)} MiB/h, heap ${s.heap.toFixed(1)} MiB/h, external ${s.external.toFixed(1)} MiB/h; ` +
    `descriptors ${verdict.fdsAfterWarmup} → ${verdict.fdsAtEnd}; event-loop lag p99 ≤ ${verdict.maxLagP99Ms} ms (max ${verdict.maxLagMs} ms)`,
);
if (!verdict.ok) {
  for (const f of verdict.failures) console.error(`soak: FAIL: ${f}`);
  process.exit(1);
}
console.log('soak: PASS');
