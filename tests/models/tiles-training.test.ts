/**
 * The 'tiles' network through the Learner: the PPO and DQN train-step graphs and Loop graphs
 * build and run on a [4, 13, 16] tile grid (ids 0..6, so some are outside the 5 classes), and a
 * Loop update equals the same minibatches run one by one.
 */
import { describe, expect, it } from 'vitest';

import { type Batch, Learner } from '../../src/runtime/learner.js';
import { Rng } from '../../src/util/rng.js';
import { TEST_DEVICE } from '../test-device.js';

const OBS: [number, number, number] = [4, 13, 16];
const OBS_SIZE = 4 * 13 * 16;
const ACTIONS = 7;

const tiles = (rng: Rng, n: number): Uint8Array => Uint8Array.from({ length: n * OBS_SIZE }, () => rng.nextInt(7));

function ppoBatch(n: number, seed: number): Batch {
  const rng = new Rng(seed);
  const f = () => Float32Array.from({ length: n }, () => rng.nextNormal());
  return {
    obs: tiles(rng, n),
    actions: BigInt64Array.from({ length: n }, () => BigInt(rng.nextInt(ACTIONS))),
    old_logprobs: Float32Array.from({ length: n }, () => Math.log(1 / ACTIONS)),
    advantages: f(),
    returns: f(),
    old_values: new Float32Array(n),
  };
}

function dqnBatch(n: number, seed: number): Batch {
  const rng = new Rng(seed);
  return {
    obs: tiles(rng, n),
    actions: BigInt64Array.from({ length: n }, () => BigInt(rng.nextInt(ACTIONS))),
    rewards: Float32Array.from({ length: n }, () => rng.nextNormal()),
    next_obs: tiles(rng, n),
    dones: Float32Array.from({ length: n }, () => (rng.nextFloat() < 0.2 ? 1 : 0)),
    discounts: new Float32Array(n).fill(0.99 ** 3),
    weights: new Float32Array(n).fill(1),
  };
}

/** Rows `rows` of a batch of `total` samples. */
function rowsOf(batch: Batch, rows: readonly number[], total: number): Batch {
  const out: Batch = {};
  for (const [k, v] of Object.entries(batch)) {
    const per = v.length / total;
    const Ctor = v.constructor as new (n: number) => typeof v;
    const r = new Ctor(rows.length * per);
    rows.forEach((row, i) => (r as Uint8Array).set((v as Uint8Array).subarray(row * per, (row + 1) * per), i * per));
    out[k] = r;
  }
  return out;
}

function maxDiff(a: Learner, b: Learner): number {
  let worst = 0;
  for (const [k, v] of a.params) {
    const w = b.params.get(k)!;
    for (let i = 0; i < v.length; i++) worst = Math.max(worst, Math.abs(v[i]! - w[i]!));
  }
  return worst;
}

/** Trains `train` both ways on 8 samples: 2 train steps of 4 rows, and one Loop update over the same rows. */
async function stepsVersusLoop(train: object, rollout: Batch): Promise<{ a: Learner; b: Learner; stepLosses: number[]; loopLosses: Float32Array }> {
  const [a, b] = await Promise.all([1, 2].map(() => Learner.create({ train, device: TEST_DEVICE, threads: 1, seed: 5 })));
  const order = [3, 1, 6, 0, 7, 2, 5, 4];
  const stepLosses: number[] = [];
  for (let k = 0; k < 2; k++) stepLosses.push((await a!.trainStep(rowsOf(rollout, order.slice(k * 4, k * 4 + 4), 8), { lr: 1e-3 })).loss);
  const res = await b!.update(rollout, { epochs: 1, minibatches: 2, lr: 1e-3, indices: BigInt64Array.from(order.map(BigInt)) });
  return { a: a!, b: b!, stepLosses, loopLosses: res.losses };
}

describe(`the 'tiles' network through the Learner (${TEST_DEVICE})`, () => {
  it('PPO: train step and Loop update run, agree, and the loss falls', async () => {
    const train = { algo: 'ppo', model: { network: 'tiles', obsShape: OBS, actions: ACTIONS } };
    const rollout = ppoBatch(8, 2);
    const { a, b, stepLosses, loopLosses } = await stepsVersusLoop(train, rollout);
    try {
      expect(a.spec.model).toEqual({ network: 'tiles', head: 'actor-critic', obsShape: OBS, actions: ACTIONS, tileClasses: 5 });
      expect(loopLosses.length).toBe(2);
      for (let k = 0; k < 2; k++) expect(loopLosses[k]).toBeCloseTo(stepLosses[k]!, 4);
      expect(maxDiff(a, b)).toBeLessThan(1e-5);
      const first = await a.trainStep(rollout, { lr: 1e-3 });
      let last = first;
      for (let i = 0; i < 3; i++) last = await a.trainStep(rollout, { lr: 1e-3 });
      expect(last.loss).toBeLessThan(first.loss);
      const act = await a.act(rollout.obs as Uint8Array);
      expect(act.logits!.length).toBe(8 * ACTIONS);
      expect(act.value!.length).toBe(8);
      expect(Array.from(act.logits!).every(Number.isFinite)).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('DQN (noisy dueling head): train step and Loop update run, agree, and give TD errors', async () => {
    const train = { algo: 'dqn', model: { network: 'tiles', head: 'dueling', obsShape: OBS, actions: ACTIONS, noisy: true } };
    const rollout = dqnBatch(8, 3);
    const { a, b, stepLosses, loopLosses } = await stepsVersusLoop(train, rollout);
    try {
      for (let k = 0; k < 2; k++) expect(loopLosses[k]).toBeCloseTo(stepLosses[k]!, 4);
      expect(maxDiff(a, b)).toBeLessThan(1e-5);
      const r = await a.trainStep(rollout, { lr: 1e-3 });
      expect(r.tdErrors!.length).toBe(8);
      expect(Array.from(r.tdErrors!).every(Number.isFinite)).toBe(true);
      a.syncTarget();
      const q = await a.act(rollout.obs as Uint8Array, { noise: false });
      expect(q.q!.length).toBe(8 * ACTIONS);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
