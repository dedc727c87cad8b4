/**
 * Agent steps/s of the whole Trainer loop (acting + learning) for PPO with the baseline network
 * on the built-in game, 16 lanes, with overlap on and off in one run (same config otherwise).
 * Each mode trains a fresh run for the same number of updates; the first update (graph builds)
 * is excluded from the measured rate.
 *
 * Run: npm run bench:train-e2e   (node --import tsx bench/train-e2e.ts [--updates N] [--size 84]
 *      [--threads 2] [--device cpu|cuda|auto] [--network baseline|nature|mlp] [--obs pixels|ram]
 *      [--frame-skip 4])
 * `--obs ram --network mlp` measures the loop with the cheapest learner, i.e. the loop's own ceiling.
 */
import { loadavg } from 'node:os';

import { type LoopMeasurement, measureTrainLoop } from '../src/cli/loop-bench.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}
const updates = Number(flag('updates', '6'));
const size = Number(flag('size', '84'));
const threads = Number(flag('threads', '2'));
const device = flag('device', 'cpu');
const network = flag('network', 'baseline') as 'baseline' | 'nature' | 'mlp';
const obs = flag('obs', 'pixels') as 'pixels' | 'ram';
const frameSkip = Number(flag('frame-skip', '4'));
const numEnvs = 16;
const numSteps = 128;

async function measure(overlap: boolean): Promise<LoopMeasurement> {
  return measureTrainLoop(
    {
      network,
      device,
      threads,
      overlap,
      seed: 1,
      env: { width: size, height: size, obs, frameSkip },
      ppo: { numEnvs, numSteps, epochs: 4, minibatches: 4 },
    },
    updates,
  );
}

const obsText = obs === 'ram' ? 'RAM (2 KiB)' : `${size}x${size} gray x4`;
console.log(
  `train-e2e: PPO, ${network} network, ${numEnvs} lanes x ${numSteps} steps, ${obsText}, frame skip ${frameSkip}, 4 epochs x 4 minibatches, device ${device}, learner threads ${threads}, ${updates} measured updates; load ${loadavg()[0]!.toFixed(2)}`,
);
for (const overlap of [false, true]) {
  const r = await measure(overlap);
  console.log(
    `overlap ${overlap ? 'on ' : 'off'}: ${r.sps.toFixed(0)} agent steps/s (env phase ${r.envSps.toFixed(0)} steps/s, learner phase ${r.learnerSps.toFixed(0)} steps/s)`,
  );
}
