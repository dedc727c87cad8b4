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
import { loadavg, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { Trainer } from '../src/train/trainer.js';

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

async function measure(overlap: boolean): Promise<{ sps: number; envSps: number; learnerSps: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'mario-rl-bench-e2e-'));
  const trainer = new Trainer({
    network, device, threads, overlap, runDir: dir, seed: 1,
    env: { width: size, height: size, obs, frameSkip },
    ppo: { numEnvs, numSteps, epochs: 4, minibatches: 4 },
    checkpoint: { interval: 0 },
    log: { heartbeatSeconds: 0, tensorboard: false },
  }, { handleSignals: false });
  const rows: Record<string, number>[] = [];
  let t1 = 0;
  trainer.on('update', (r) => {
    rows.push(r as Record<string, number>);
    if (r.update === 1) t1 = performance.now();
  });
  await trainer.train({ totalSteps: (updates + 1) * numEnvs * numSteps });
  const seconds = (performance.now() - t1) / 1000;
  await trainer.close();
  rmSync(dir, { recursive: true, force: true });
  const rest = rows.slice(1);
  const avg = (k: string) => rest.map((r) => r[k]).filter((v) => typeof v === 'number').reduce((a, b, _, xs) => a + b / xs.length, 0);
  return { sps: (updates * numEnvs * numSteps) / seconds, envSps: avg('charts/env_SPS'), learnerSps: avg('charts/learner_SPS') };
}

const obsText = obs === 'ram' ? 'RAM (2 KiB)' : `${size}x${size} gray x4`;
console.log(`train-e2e: PPO, ${network} network, ${numEnvs} lanes x ${numSteps} steps, ${obsText}, frame skip ${frameSkip}, 4 epochs x 4 minibatches, device ${device}, learner threads ${threads}, ${updates} measured updates; load ${loadavg()[0]!.toFixed(2)}`);
for (const overlap of [false, true]) {
  const r = await measure(overlap);
  console.log(`overlap ${overlap ? 'on ' : 'off'}: ${r.sps.toFixed(0)} agent steps/s (env phase ${r.envSps.toFixed(0)} steps/s, learner phase ${r.learnerSps.toFixed(0)} steps/s)`);
}
