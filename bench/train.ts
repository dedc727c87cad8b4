/**
 * Training-graph speed on onnxruntime-node (CPU EP, 2 threads), in-process so the numbers are
 * ORT's compute, not the worker's message passing. For each network: forward at batch 8 and 256
 * (params baked / as inputs), the PPO train step at 256 (forward, backward, global-norm clip,
 * Adam) and a 4-epoch × 8-minibatch Loop update (minibatch 256), with analytic FLOPs and the
 * forward measured in the same run as the baseline. Also the acting choice: rebuilding a
 * baked-params session after each update vs feeding params every call.
 *
 * Run: npm run bench:train   (node --import tsx bench/train.ts [nature|baseline] [--quick] [--step]
 *      [--profile] [--conv-grad conv|gemm]; env ORT_THREADS=n, ORT_EP=cuda)
 * --conv-grad picks the Conv weight-gradient form (default: what the Learner uses on that
 * provider, 'gemm' on CUDA and 'conv' on the CPU).
 * --profile also runs each train step under ORT's profiler and prints where its time goes, per
 * operator type and execution provider (an op the provider lacks shows up on the CPU).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

import * as ort from 'onnxruntime-node';

import { toModel } from '../src/graph/onnx-writer.js';
import { toOrt } from '../src/graph/session.js';
import { type ModelSpec, forwardMacs, initParams, paramCount, paramSpecs } from '../src/models/networks.js';
import { Rng } from '../src/util/rng.js';
import { type TrainSpec, batchInputs, buildPolicyGraph, buildTrainLoopGraph, buildTrainStepGraph, stateNames, trainSpec } from '../src/runtime/train-graph.js';

const THREADS = Number(process.env.ORT_THREADS ?? 2);
// ORT_EP=cuda runs the same measurements on the CUDA execution provider (see docs/gpu.md).
const EP = process.env.ORT_EP ?? 'cpu';
const args = process.argv.slice(2);
const quick = args.includes('--quick');
// --step: only forward at 256 and the train step (a short run to catch a quiet moment).
const stepOnly = args.includes('--step');
const nets = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--conv-grad');
const networks = (nets.length ? nets : ['nature', 'baseline']) as ('nature' | 'baseline')[];
const REPS = quick ? 2 : 6;
const profile = args.includes('--profile');
const convGradAt = args.indexOf('--conv-grad');
const convWeightGrad = (convGradAt >= 0 ? args[convGradAt + 1] : EP === 'cuda' ? 'gemm' : 'conv') as 'conv' | 'gemm';
if (convWeightGrad !== 'conv' && convWeightGrad !== 'gemm') throw new Error(`Expected conv or gemm for --conv-grad but received ${convWeightGrad}`);

const sessionOptions: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: THREADS,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  executionProviders: [EP],
  extra: { session: { intra_op: { allow_spinning: '0' } } },
};

/** Median and best of `reps` timed runs (the machine is shared: the median is typical, the best is what the code can do). */
async function timeRuns(
  session: ort.InferenceSession,
  feeds: Record<string, ort.Tensor>,
  reps: number,
  warmUp = true,
): Promise<{ median: number; best: number }> {
  if (warmUp) await session.run(feeds); // pre-packing, allocations
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, best: times[0]! };
}

function paramFeeds(spec: TrainSpec, values: Map<string, Float32Array>, feeds: Record<string, ort.Tensor>, withState: boolean): void {
  for (const p of paramSpecs(spec.model)) feeds[p.name] = toOrt({ dtype: 'float32', dims: p.shape, data: values.get(p.name)! });
  if (!withState) return;
  const shapes = new Map(paramSpecs(spec.model).map((p) => [p.name, p.shape]));
  for (const n of stateNames(spec)) {
    const shape = shapes.get(n.slice(0, n.lastIndexOf('.')))!;
    feeds[n] = toOrt({ dtype: 'float32', dims: shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
  }
}

function batchFeeds(spec: TrainSpec, n: number, rng: Rng, feeds: Record<string, ort.Tensor>): void {
  for (const i of batchInputs(spec)) {
    const len = n * i.sample.reduce((a, b) => a * b, 1);
    const data =
      i.dtype === 'uint8'
        ? Uint8Array.from({ length: len }, () => rng.nextInt(256))
        : i.dtype === 'int64'
          ? BigInt64Array.from({ length: len }, () => BigInt(rng.nextInt(spec.model.actions)))
          : Float32Array.from({ length: len }, () => (i.name === 'old_logprobs' ? Math.log(1 / spec.model.actions) : rng.nextNormal()));
    feeds[i.name] = toOrt({ dtype: i.dtype, dims: [n, ...i.sample], data });
  }
  feeds.lr = toOrt({ dtype: 'float32', dims: [], data: new Float32Array([2.5e-4]) });
  feeds.step = toOrt({ dtype: 'float32', dims: [], data: new Float32Array([1]) });
  if (spec.algo !== 'dqn') feeds.ent_coef = toOrt({ dtype: 'float32', dims: [], data: new Float32Array([spec[spec.algo].entCoef]) });
}

/**
 * Runs the session `runs` + 2 times under ORT's profiler and prints the time per run by operator
 * type and provider. The first two runs are left out: the first allocates and searches algorithms,
 * and on the CPU provider the second still ran ≈ 3× slower than the ones after it.
 */
async function printProfile(label: string, model: Uint8Array, feeds: Record<string, ort.Tensor>, runs: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mario-rl-profile-'));
  try {
    const session = await ort.InferenceSession.create(model, { ...sessionOptions, enableProfiling: true, profileFilePrefix: join(dir, 'p') });
    for (let i = 0; i < runs + 2; i++) await session.run(feeds);
    session.endProfiling();
    await session.release();
    const file = readdirSync(dir).find((f) => f.endsWith('.json'));
    if (!file) throw new Error(`no profile written in ${dir}`);
    type Event = { cat?: string; name?: string; dur?: number; args?: { op_name?: string; provider?: string } };
    const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Event[];
    const runStarts = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
    if (runStarts.length !== runs + 2) throw new Error(`Expected ${runs + 2} model_run events in the profile but found ${runStarts.length}`);
    // Events are written as they end: node events before the second model_run event belong to the warm-up runs.
    const warmEnd = events.indexOf(runStarts[1]!);
    const byOp = new Map<string, { us: number; count: number }>();
    let skipped = 0;
    events.forEach((e, i) => {
      if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || !e.args?.op_name) return;
      if (i < warmEnd) {
        skipped++;
        return;
      }
      const key = `${e.args.op_name} (${e.args.provider ?? '?'})`;
      const entry = byOp.get(key) ?? { us: 0, count: 0 };
      entry.us += e.dur ?? 0;
      entry.count++;
      byOp.set(key, entry);
    });
    const total = [...byOp.values()].reduce((a, b) => a + b.us, 0);
    const runMs = runStarts.slice(2).map((e) => (e.dur ?? 0) / 1000);
    console.log(
      `\nprofile: ${label}, ${runs} runs after two warm-up runs (${skipped} warm-up kernel events left out); model_run ${runMs.map((m) => m.toFixed(1)).join(', ')} ms; kernels ${(total / runs / 1000).toFixed(1)} ms per run`,
    );
    console.log('| op (provider) | ms per run | share | kernels per run |');
    console.log('|---|---|---|---|');
    for (const [k, v] of [...byOp].sort((a, b) => b[1].us - a[1].us).slice(0, 14)) {
      console.log(`| ${k} | ${(v.us / runs / 1000).toFixed(2)} | ${((100 * v.us) / total).toFixed(1)}% | ${(v.count / runs).toFixed(0)} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** MACs of one train step per sample: forward + weight gradients + input gradients (not conv1's). */
function trainMacs(model: ModelSpec): number {
  const fwd = forwardMacs(model);
  const conv1 = paramSpecs(model).find((p) => p.name === 'conv1.weight')!;
  const [o, c, kh, kw] = conv1.shape as [number, number, number, number];
  const oh = model.network === 'nature' ? 20 : 42;
  return 3 * fwd - o * c * kh * kw * oh * oh;
}

type Row = { what: string; batch: number; ms: number; best: number; gflop: number; ratio?: number };
const rows: Row[] = [];
const fmt = (r: Row): string =>
  `| ${r.what.padEnd(44)} | ${String(r.batch).padStart(5)} | ${r.ms.toFixed(1).padStart(8)} | ${r.best.toFixed(1).padStart(8)} | ${r.gflop.toFixed(2).padStart(7)} | ${(r.gflop / (r.ms / 1000)).toFixed(1).padStart(7)} | ${(r.gflop / (r.best / 1000)).toFixed(1).padStart(7)} | ${r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×`} |`;

for (const network of networks) {
  const spec = trainSpec({ algo: 'ppo', model: { network, actions: 7 }, maxGradNorm: 0.5 });
  const values = initParams(spec.model, 1);
  const rng = new Rng(1);
  const fwdMacs = forwardMacs(spec.model);
  console.error(`${network}: ${paramCount(spec.model)} params, ${((2 * fwdMacs) / 1e6).toFixed(1)} MFLOP forward per sample`);

  const fwd: Record<number, { baked: { median: number; best: number }; inputs: { median: number; best: number } }> = {};
  for (const b of stepOnly ? [256] : [8, 256]) {
    const feeds: Record<string, ort.Tensor> = {};
    feeds.obs = toOrt({ dtype: 'uint8', dims: [b, ...spec.model.obsShape], data: Uint8Array.from({ length: b * 4 * 84 * 84 }, () => rng.nextInt(256)) });
    const graph = buildPolicyGraph(spec.model, b, values);
    const baked = await ort.InferenceSession.create(toModel(graph, { params: 'baked' }), sessionOptions);
    const bakedMs = await timeRuns(baked, feeds, quick ? 3 : 8);
    const asInputs = await ort.InferenceSession.create(toModel(graph), sessionOptions);
    paramFeeds(spec, values, feeds, false);
    const inputsMs = await timeRuns(asInputs, feeds, quick ? 3 : 8);
    await baked.release();
    await asInputs.release();
    fwd[b] = { baked: bakedMs, inputs: inputsMs };
    rows.push({ what: `${network} forward, params baked`, batch: b, ms: bakedMs.median, best: bakedMs.best, gflop: (2 * fwdMacs * b) / 1e9 });
    rows.push({ what: `${network} forward, params as inputs`, batch: b, ms: inputsMs.median, best: inputsMs.best, gflop: (2 * fwdMacs * b) / 1e9 });
  }

  // Acting choice: baked needs a new session after every update.
  const actB = 8;
  if (!stepOnly) {
    const t0 = performance.now();
    const rebuilt = await ort.InferenceSession.create(toModel(buildPolicyGraph(spec.model, actB, values), { params: 'baked' }), sessionOptions);
    const rebuildMs = performance.now() - t0;
    await rebuilt.release();
    const perStepSaving = fwd[actB]!.inputs.median - fwd[actB]!.baked.median;
    console.error(
      `acting: rebuilding a baked session costs ${rebuildMs.toFixed(0)} ms; baked saves ${perStepSaving.toFixed(2)} ms per batch-${actB} call → break-even after ${perStepSaving > 0 ? Math.ceil(rebuildMs / perStepSaving) : '∞'} calls per update`,
    );
  }

  const base256 = fwd[256]!.inputs.median;
  const stepModel = toModel(buildTrainStepGraph(spec, { batch: 256, convWeightGrad }));
  const step = await ort.InferenceSession.create(stepModel, sessionOptions);
  const feeds: Record<string, ort.Tensor> = {};
  paramFeeds(spec, values, feeds, true);
  batchFeeds(spec, 256, rng, feeds);
  const stepMs = await timeRuns(step, feeds, REPS);
  await step.release();
  if (profile) await printProfile(`${network} PPO train step, batch 256, ${EP}`, stepModel, feeds, 3);
  const stepGflop = (2 * trainMacs(spec.model) * 256) / 1e9;
  rows.push({
    what: `${network} PPO train step (fwd+bwd+clip+Adam)`,
    batch: 256,
    ms: stepMs.median,
    best: stepMs.best,
    gflop: stepGflop,
    ratio: stepMs.median / base256,
  });

  if (stepOnly) continue;
  const epochs = 4;
  const minibatches = 8;
  const loop = await ort.InferenceSession.create(
    toModel(buildTrainLoopGraph(spec, { epochs, minibatches, minibatchSize: 256, rolloutSize: 2048, convWeightGrad })),
    sessionOptions,
  );
  const lf: Record<string, ort.Tensor> = {};
  paramFeeds(spec, values, lf, true);
  batchFeeds(spec, 2048, rng, lf);
  const idx = new BigInt64Array(epochs * 2048);
  for (let e = 0; e < epochs; e++) for (let i = 0; i < 2048; i++) idx[e * 2048 + i] = BigInt((i * 769 + e * 31) % 2048);
  lf.indices = toOrt({ dtype: 'int64', dims: [epochs * minibatches, 256], data: idx });
  // One run is 32 train steps: on the CPU no separate warm-up (its first-run overhead is < 1
  // step); on CUDA the first run also holds cuDNN's algorithm searches, so it is left out.
  const loopMs = await timeRuns(loop, lf, quick ? 1 : 2, EP !== 'cpu');
  await loop.release();
  console.error(
    `${network} PPO training throughput in the Loop: ${((epochs * 2048) / (loopMs.median / 1000)).toFixed(0)} samples/s (${epochs} epochs over 2048 samples)`,
  );
  rows.push({
    what: `${network} Loop update 4 epochs × 8 minibatches`,
    batch: 2048,
    ms: loopMs.median,
    best: loopMs.best,
    gflop: stepGflop * epochs * minibatches,
    ratio: loopMs.median / (base256 * epochs * minibatches),
  });
}

console.log(
  `onnxruntime-node ${ort.env.versions?.common}, ${EP} EP, ${THREADS} threads, Conv weight gradient as ${convWeightGrad}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}; × = median / (median forward at batch 256 with params as inputs, same run)`,
);
console.log('| what | batch | median ms | best ms | GFLOP | GFLOP/s (median) | GFLOP/s (best) | × forward |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(fmt(r));
