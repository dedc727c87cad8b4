/**
 * Worker thread of `bench:env`'s machine-ceiling cell: one single-thread VecEnv of `lanes` lanes
 * (the bench's SMB cell, bench/env-cells.ts), stepped in a loop whenever the main thread opens
 * a window. Control lives in a SharedArrayBuffer of two Int32 slots:
 *   [0] state: 0 = idle (the worker sleeps on Atomics.wait), 1 = step, 2 = quit;
 *   [1] agent steps of the whole VecEnv done so far (incremented after every step).
 * It posts 'ready' once its VecEnv is reset and warmed up.
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

import { randomStepper, smbBenchEnv } from './env-cells.js';

interface HalfWorkerData {
  romPath: string;
  lanes: number;
  control: SharedArrayBuffer;
  seed: number;
}

const { romPath, lanes, control, seed } = workerData as HalfWorkerData;
const flags = new Int32Array(control);
const env = smbBenchEnv(readFileSync(romPath), lanes, 1, seed);
const step = randomStepper(env, seed);
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
