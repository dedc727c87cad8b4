/**
 * VecEnv thread scaling on the built-in game (no ROM needed): agent steps/s of N lanes (default
 * 64) for each thread count up to the machine's cores, frame skip 4 with max-pool, 84x84 gray,
 * 4-frame stack, random actions. The one-thread cell is the baseline; the cells take turns window
 * by window (`measureInTurns`), so every cell sees the same quiet and busy moments.
 *
 *   npm run bench:env-scaling   (env BENCH_SECONDS per cell, default 2; BENCH_LANES, one N,
 *                                default 64; BENCH_THREADS=2,4 to pick the thread counts, 1
 *                                always included)
 *
 * `bench:env` is the Super Mario Bros. bench with the jsnes baseline; this one answers "how far
 * does the pool scale" on machines with many cores, where the SMB image may not be.
 */
import { cpus, loadavg } from 'node:os';

import { VecEnv } from '../src/index.js';
import { measureInTurns } from '../src/util/throughput.js';
import { benchSeconds, intListFromEnv } from './env-args.js';
import { BENCH_FRAME_SKIP, BENCH_OBS, randomStepper } from './env-cells.js';

const cores = cpus().length;
const SECONDS = benchSeconds();
const lanes = intListFromEnv('BENCH_LANES', [64], 512);
if (lanes.length !== 1) {
  console.error(`Expected BENCH_LANES to be one integer for this bench but received '${process.env.BENCH_LANES}'`);
  process.exit(2);
}
const N = lanes[0]!;
// One thread is the in-run baseline: always measured, first.
const chosen = intListFromEnv('BENCH_THREADS', [1, 2, 4, 8, 16, 32, 64].filter((t) => t < cores).concat(cores), 256);
const THREADS = [1, ...chosen.filter((t) => t !== 1)];

const envs = THREADS.map((t) => new VecEnv({ game: 'runner', numEnvs: N, numThreads: t, frameSkip: BENCH_FRAME_SKIP, obs: BENCH_OBS, seed: 1 }));
for (const env of envs) env.reset();
const cells = envs.map((env) => ({ itemsPerStep: N, step: randomStepper(env, 1) }));
const best = measureInTurns(cells, { seconds: SECONDS, windows: 5 });
for (const env of envs) env.close();

console.log(
  `VecEnv thread scaling: built-in game, ${N} lanes, skip ${BENCH_FRAME_SKIP} + max-pool, ${BENCH_OBS.width}x${BENCH_OBS.height} gray x ${BENCH_OBS.stack}, random actions, ${SECONDS} s per cell in turns, ` +
    `${cores} cores (${cpus()[0]?.model ?? '?'}), load ${loadavg()[0]!.toFixed(1)}, Node ${process.version}`,
);
console.log('| threads | agent steps/s | emulated frames/s | per thread | vs 1 thread |');
console.log('|---:|---:|---:|---:|---:|');
const one = best[0]!;
THREADS.forEach((t, k) => {
  const v = best[k]!;
  console.log(`| ${t} | ${v.toFixed(0)} | ${(v * BENCH_FRAME_SKIP).toFixed(0)} | ${(v / t).toFixed(0)} | ${(v / one).toFixed(2)}x |`);
});
