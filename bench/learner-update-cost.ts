/**
 * What a distributed learner's CPU per agent step is made of, by parts measured alone in one
 * process: `Learner.update` on a batch of B rows (what the single-process Trainer runs too) against
 * what only the distributed learner adds per update, the parameters encoded (safetensors) and
 * hashed (node:crypto SHA-256) for the actors. Process CPU time (user + system, all threads: the
 * ONNX Runtime worker's too), per update and per agent step, at each --batch; the smallest batch is
 * the baseline the others compare with (per-update costs shrink per agent step as B grows). On
 * Linux it also reads the main thread's own CPU time (/proc/self/task/PID/stat): what the update
 * costs the event loop's thread (handing the feeds to the worker) against ONNX Runtime's threads.
 *
 * Run: node --import tsx bench/learner-update-cost.ts [--preset runner-ram] [--batch 512,2048] [--updates 5]
 */
import { existsSync, readFileSync } from 'node:fs';

import { sha256Hex } from '../src/distributed/weights.js';
import { Learner } from '../src/runtime/learner.js';
import { validateConfig } from '../src/train/config.js';
import { obsBytes, trainSpecFor } from '../src/train/env-options.js';
import { presetConfig } from '../src/train/presets.js';

if (process.argv.includes('--help')) {
  console.log('node --import tsx bench/learner-update-cost.ts [--preset runner-ram] [--batch 512,2048] [--updates 5]');
  process.exit(0);
}
function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}
const preset = flag('preset', 'runner-ram');
const batches = flag('batch', '512,2048').split(',').map(Number);
const updates = Number(flag('updates', '5'));
const lanes = 16;
for (const B of batches) {
  if (!(Number.isInteger(B) && B > 0 && B % lanes === 0)) throw new RangeError(`Expected multiples of ${lanes} for --batch but received ${B}`);
}
if (!(Number.isInteger(updates) && updates > 0)) throw new RangeError(`Expected a positive integer for --updates but received ${updates}`);

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const mainStat = `/proc/self/task/${process.pid}/stat`;
/** CPU-ms of the main thread alone (NaN without /proc): utime + stime, fields 14 and 15 of proc(5), in 100 Hz ticks. */
const mainCpuMs = () => {
  if (!existsSync(mainStat)) return Number.NaN;
  const f = readFileSync(mainStat, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
console.log(`learner update cost: preset ${preset}, ${updates} updates per batch size, process CPU (all threads)`);
let base: number | undefined;
for (const B of batches) {
  const p = presetConfig(preset);
  const c = validateConfig({ ...p, ppo: { ...p.ppo, numEnvs: lanes, numSteps: B / lanes }, device: 'cpu' });
  const learner = await Learner.create({ train: trainSpecFor(c), seed: 1, device: 'cpu', threads: 1 });
  try {
    const obs = new Uint8Array(B * obsBytes(c.env)).map((_, i) => (i * 7) & 255);
    const batch = {
      obs,
      actions: new BigInt64Array(B),
      old_logprobs: new Float32Array(B).fill(-2),
      advantages: new Float32Array(B).map((_, i) => Math.sin(i)),
      returns: new Float32Array(B).fill(1),
      old_values: new Float32Array(B),
    };
    const options = { epochs: c.ppo.epochs, minibatches: c.ppo.minibatches, lr: 1e-4, entCoef: 0.01 };
    await learner.update(batch, { ...options, seed: 0 }); // builds the graph: not measured
    let t = cpuMs();
    const m = mainCpuMs();
    for (let i = 1; i <= updates; i++) await learner.update(batch, { ...options, seed: i });
    const update = (cpuMs() - t) / updates;
    const main = (mainCpuMs() - m) / updates;
    t = cpuMs();
    let bytes = 0;
    for (let i = 1; i <= updates; i++) {
      const w = learner.paramsToSafetensors({ version: String(i) });
      bytes = w.length;
      sha256Hex(w);
    }
    const weights = (cpuMs() - t) / updates;
    const perStep = (ms: number) => ((ms / B) * 1000).toFixed(0);
    base ??= update / B;
    console.log(
      `  B = ${B} (${c.ppo.epochs} epochs × ${c.ppo.minibatches} minibatches): update ${update.toFixed(1)} CPU-ms = ${perStep(update)} µs/agent step ` +
        `(×${(update / B / base).toFixed(2)} of B = ${batches[0]}'s; main thread ${main.toFixed(0)} CPU-ms of it); weights encoded + hashed (${bytes} bytes) ${weights.toFixed(1)} CPU-ms = ${perStep(weights)} µs/agent step`,
    );
  } finally {
    await learner.close();
  }
}
