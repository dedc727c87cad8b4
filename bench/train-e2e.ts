/**
 * Agent steps/s of the whole Trainer loop (acting + learning) for PPO with the baseline network
 * on the built-in game, 16 lanes, with overlap on and off in one run (same config otherwise).
 * Each mode trains a fresh run for the same number of updates; the first update (graph builds)
 * is excluded from the measured rate.
 *
 * Run: npm run bench:train-e2e   (node --import tsx bench/train-e2e.ts [--updates N] [--size 84]
 *      [--threads 2] [--device cpu|cuda|auto] [--network baseline|nature|mlp|tiles|tiles-mlp]
 *      [--obs pixels|ram|tiles] [--frame-skip 4] [--tiles-vs-pixels])
 * `--obs ram --network mlp` measures the loop with the cheapest learner, i.e. the loop's own ceiling.
 * `--tiles-vs-pixels` measures, in turns in one run, the tile-grid setup (13 × 16 × 4 tiles,
 * tiles-mlp) and its baseline, the 42 × 42 pixel setup (baseline network), both with overlap on,
 * and prints the speed-up (issue target: ≥ 5× on 2 cores).
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
const network = flag('network', 'baseline') as 'baseline' | 'nature' | 'mlp' | 'tiles' | 'tiles-mlp';
const obs = flag('obs', 'pixels') as 'pixels' | 'ram' | 'tiles';
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
      env: obs === 'tiles' ? { obs, frameSkip } : { width: size, height: size, obs, frameSkip },
      ppo: { numEnvs, numSteps, epochs: 4, minibatches: 4 },
    },
    updates,
  );
}

if (process.argv.includes('--tiles-vs-pixels')) {
  console.log(
    `train-e2e: tiles vs pixels, PPO, ${numEnvs} lanes x ${numSteps} steps, frame skip ${frameSkip}, 4 epochs x 4 minibatches, overlap on, device ${device}, learner threads ${threads}, ${updates} measured updates, cells in turns; load ${loadavg()[0]!.toFixed(2)}`,
  );
  const cells = {
    'pixels 42x42, baseline (baseline)': { network: 'baseline', env: { width: 42, height: 42, obs: 'pixels', frameSkip } },
    'tiles 13x16, tiles-mlp': { network: 'tiles-mlp', env: { obs: 'tiles', frameSkip } },
  } as const;
  const sps: Record<string, number[]> = {};
  for (let round = 0; round < 2; round++) {
    for (const [name, cell] of Object.entries(cells)) {
      const r = await measureTrainLoop({ ...cell, device, threads, overlap: true, seed: 1, ppo: { numEnvs, numSteps, epochs: 4, minibatches: 4 } }, updates);
      (sps[name] ??= []).push(r.sps);
      console.log(
        `  round ${round + 1} ${name}: ${r.sps.toFixed(0)} agent steps/s (env phase ${r.envSps.toFixed(0)}, learner phase ${r.learnerSps.toFixed(0)})`,
      );
    }
  }
  const best = (xs: number[]) => Math.max(...xs);
  const [pixels, tiles] = Object.keys(cells).map((k) => best(sps[k]!));
  console.log(`best of 2: pixels ${pixels!.toFixed(0)}, tiles ${tiles!.toFixed(0)} agent steps/s: tiles ${(tiles! / pixels!).toFixed(2)}x the pixel baseline`);
  process.exit(0);
}

const obsText = obs === 'ram' ? 'RAM (2 KiB)' : obs === 'tiles' ? '13x16 tiles x4' : `${size}x${size} gray x4`;
console.log(
  `train-e2e: PPO, ${network} network, ${numEnvs} lanes x ${numSteps} steps, ${obsText}, frame skip ${frameSkip}, 4 epochs x 4 minibatches, device ${device}, learner threads ${threads}, ${updates} measured updates; load ${loadavg()[0]!.toFixed(2)}`,
);
for (const overlap of [false, true]) {
  const r = await measure(overlap);
  console.log(
    `overlap ${overlap ? 'on ' : 'off'}: ${r.sps.toFixed(0)} agent steps/s (env phase ${r.envSps.toFixed(0)} steps/s, learner phase ${r.learnerSps.toFixed(0)} steps/s)`,
  );
}
