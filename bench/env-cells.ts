/** VecEnv set-ups shared by the env benches (bench/env.ts, its ceiling worker, bench/env-scaling.ts). */
import { VecEnv } from '../src/index.js';

/** Frame skip of every env bench cell (max-pool of the last two frames, the VecEnv default). */
export const BENCH_FRAME_SKIP = 4;
/** Observation of every env bench cell: 84x84 gray, 4-frame stack. */
export const BENCH_OBS = { width: 84, height: 84, stack: 4, grayscale: true } as const;

/** The Super Mario Bros. cell: `numEnvs` lanes of 1-1 with SIMPLE actions, already reset. */
export function smbBenchEnv(rom: Uint8Array, numEnvs: number, numThreads: number, seed: number, fastPaths = true): VecEnv {
  const env = new VecEnv({ rom, numEnvs, numThreads, stages: ['1-1'], actions: 'simple', frameSkip: BENCH_FRAME_SKIP, obs: BENCH_OBS, seed, fastPaths });
  env.reset();
  return env;
}

/** A step function: uniform random actions for every lane from a seeded LCG, then `env.step`. */
export function randomStepper(env: VecEnv, seed: number): () => void {
  const actions = new Int32Array(env.numEnvs);
  let s = seed >>> 0;
  return () => {
    for (let i = 0; i < actions.length; i++) actions[i] = (s = (s * 1103515245 + 12345) >>> 0) % env.numActions;
    env.step(actions);
  };
}
