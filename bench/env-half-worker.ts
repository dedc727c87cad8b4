/**
 * Worker thread of `bench:env`'s machine-ceiling cell: one single-thread VecEnv of `lanes` lanes
 * (the same configuration as the bench's cells), stepped in a loop whenever the main thread opens
 * a window. Control lives in a SharedArrayBuffer of two Int32 slots:
 *   [0] state: 0 = idle (the worker sleeps on Atomics.wait), 1 = step, 2 = quit;
 *   [1] agent steps of the whole VecEnv done so far (incremented after every step).
 * It posts 'ready' once its VecEnv is reset and warmed up.
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

import { VecEnv } from '../src/index.js';

interface HalfWorkerData {
  romPath: string;
  lanes: number;
  control: SharedArrayBuffer;
  seed: number;
}

const { romPath, lanes, control, seed } = workerData as HalfWorkerData;
const flags = new Int32Array(control);
const env = new VecEnv({ rom: readFileSync(romPath), numEnvs: lanes, numThreads: 1, stages: ['1-1'], actions: 'simple',
  frameSkip: 4, obs: { width: 84, height: 84, stack: 4, grayscale: true }, seed });
env.reset();
const actions = new Int32Array(lanes);
let s = seed;
const step = () => {
  for (let i = 0; i < lanes; i++) actions[i] = (s = (s * 1103515245 + 12345) >>> 0) % 7;
  env.step(actions);
};
for (let i = 0; i < 3; i++) step();
parentPort!.postMessage('ready');
for (;;) {
  const state = Atomics.load(flags, 0);
  if (state === 2) break;
  if (state === 0) {
    Atomics.wait(flags, 0, 0);
    continue;
  }
  step();
  Atomics.add(flags, 1, 1);
}
env.close();
