import { describe, expect, it } from 'vitest';

import { a2cConfig, a2cLoss } from '../../src/algos/a2c.js';
import { huber } from '../../src/algos/common.js';
import { dqnConfig, dqnLoss } from '../../src/algos/dqn.js';
import { ppoConfig, ppoLoss } from '../../src/algos/ppo.js';
import { evaluate } from '../../src/graph/reference.js';
import { Graph, type Tensor } from '../../src/graph/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { gradCheck, randomValues } from '../graph/grad-check.js';

const B = 6;
const A = 4;
const ACTIONS = [0, 3, 1, 1, 2, 3];

function vec(g: Graph, rng: Rng, name: string, scale = 1) {
  const tensor = g.input(name, 'float32', [B]);
  return { tensor, values: randomValues(rng, B, scale) };
}

function actionsInput(g: Graph): Tensor {
  return g.input('actions', 'int64', [B]);
}
const actionFeed = { data: BigInt64Array.from(ACTIONS.map(BigInt)), values: ACTIONS };

/** float64 PPO loss written out directly (cleanrl's formulas) for an independent check. */
function ppoReference(
  logits: Float64Array,
  values: Float64Array,
  oldLogp: Float64Array,
  adv: Float64Array,
  ret: Float64Array,
  oldV: Float64Array,
  c: number,
  vc: number,
  ent: number,
  vf: number,
) {
  const m = adv.reduce((s, v) => s + v, 0) / B;
  const sd = Math.sqrt(adv.reduce((s, v) => s + (v - m) ** 2, 0) / (B - 1)); // torch .std() is unbiased
  let pg = 0,
    vl = 0,
    en = 0,
    clipped = 0;
  for (let i = 0; i < B; i++) {
    const row = Array.from(logits.subarray(i * A, i * A + A));
    const mx = Math.max(...row);
    const lse = mx + Math.log(row.reduce((s, v) => s + Math.exp(v - mx), 0));
    const logp = row.map((v) => v - lse);
    const ratio = Math.exp(logp[ACTIONS[i]!]! - oldLogp[i]!);
    const a = (adv[i]! - m) / (sd + 1e-8);
    pg += Math.max(-a * ratio, -a * Math.min(Math.max(ratio, 1 - c), 1 + c)) / B;
    if (Math.abs(ratio - 1) > c) clipped++;
    const vClipped = oldV[i]! + Math.min(Math.max(values[i]! - oldV[i]!, -vc), vc);
    vl += (0.5 * Math.max((values[i]! - ret[i]!) ** 2, (vClipped - ret[i]!) ** 2)) / B;
    en -= logp.reduce((s, l) => s + Math.exp(l) * l, 0) / B;
  }
  return { loss: pg - ent * en + vf * vl, clipped };
}

describe('PPO loss', () => {
  it('matches the written-out formula and its gradient (clipped branch exercised, value clipped by valueClipCoef)', async () => {
    // valueClipCoef differs from clipCoef: the value is clipped by its own range (it once used ε).
    const cfg = ppoConfig({ clipCoef: 0.2, clipValueLoss: true, valueClipCoef: 0.3, entCoef: 0.01, vfCoef: 0.5 });
    let ref: ReturnType<typeof ppoReference> | undefined;
    let graphLoss = 0;
    await gradCheck((g, rng) => {
      const logits = g.input('logits', 'float32', [B, A]);
      const lv = randomValues(rng, B * A);
      const values = vec(g, rng, 'values');
      const oldLogp = vec(g, rng, 'old_logprobs', 0.7);
      // Old log-probs far from the current ones: ratios well outside [0.8, 1.2] on some rows.
      for (let i = 0; i < B; i++) {
        const row = Array.from(lv.subarray(i * A, i * A + A));
        const lse = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
        oldLogp.values[i] = row[ACTIONS[i]!]! - lse + (i % 3 === 0 ? 0.5 : i % 3 === 1 ? -0.5 : 0.02);
      }
      const adv = vec(g, rng, 'advantages');
      const ret = vec(g, rng, 'returns');
      const oldV = vec(g, rng, 'old_values', 0.2);
      // Some old values 0.25 away from the current ones: clipped by ε = 0.2, not by 0.3.
      for (let i = 0; i < B; i++) oldV.values[i] = values.values[i]! + (i % 2 ? 0.5 : i % 3 ? 0.25 : -0.05);
      const r = ppoLoss(
        {
          logits,
          values: values.tensor,
          actions: actionsInput(g),
          oldLogProbs: oldLogp.tensor,
          advantages: adv.tensor,
          returns: ret.tensor,
          oldValues: oldV.tensor,
        },
        cfg,
      );
      ref = ppoReference(lv, values.values, oldLogp.values, adv.values, ret.values, oldV.values, 0.2, 0.3, 0.01, 0.5);
      const inputs = [{ tensor: logits, values: lv }, values, oldLogp, adv, ret, oldV];
      const m = new Map<string, ArrayLike<number>>(inputs.map((i) => [i.tensor.name, i.values]));
      m.set('actions', ACTIONS);
      graphLoss = evaluate([r.loss], m)[0]!.data[0]!;
      expect(evaluate([r.stats.clip_fraction!], m)[0]!.data[0]).toBeCloseTo(ref.clipped / B, 10);
      return { inputs: [{ tensor: logits, values: lv }, values], output: r.loss, feeds: { actions: actionFeed }, scalarLoss: true, extraValues: inputs };
    });
    expect(ref!.clipped).toBeGreaterThan(0);
    expect(ref!.clipped).toBeLessThan(B);
    expect(graphLoss).toBeCloseTo(ref!.loss, 6); // graph constants (ε, coefficients) are float32
  });

  it('without value clipping and advantage normalisation', async () => {
    const cfg = ppoConfig({ clipValueLoss: false, normAdvantages: false });
    await gradCheck((g, rng) => {
      const logits = { tensor: g.input('logits', 'float32', [B, A]), values: randomValues(rng, B * A) };
      const values = vec(g, rng, 'values');
      const consts = ['old_logprobs', 'advantages', 'returns', 'old_values'].map((n) =>
        g.constant(Float32Array.from(randomValues(rng, B).map((v) => v * 0.3 - 1.4)), 'float32', [B], n),
      );
      const r = ppoLoss(
        {
          logits: logits.tensor,
          values: values.tensor,
          actions: actionsInput(g),
          oldLogProbs: consts[0]!,
          advantages: consts[1]!,
          returns: consts[2]!,
          oldValues: consts[3]!,
        },
        cfg,
      );
      return { inputs: [logits, values], output: r.loss, feeds: { actions: actionFeed }, scalarLoss: true };
    });
  });

  it("has the Trainer's defaults (one table) and rejects bad options and shapes", () => {
    expect(ppoConfig()).toEqual({ clipCoef: 0.2, clipValueLoss: false, valueClipCoef: 0.2, entCoef: 0.01, vfCoef: 0.5, normAdvantages: true });
    expect(() => ppoConfig({ clipCoef: -1 })).toThrow('Expected a finite number in [0, 10] for ppo.clipCoef but received -1');
    expect(() => ppoConfig({ clipValue: true })).toThrow(/Unknown option 'clipValue' for ppo/);
    const g = new Graph();
    const logits = g.input('l', 'float32', [B, A]);
    const v = g.input('v', 'float32', [B + 1]);
    expect(() => ppoLoss({ logits, values: v, actions: actionsInput(g), oldLogProbs: v, advantages: v, returns: v, oldValues: v }, ppoConfig())).toThrow(
      'ppo: input values shape [7] does not match expected shape [6]',
    );
  });
});

describe('A2C loss', () => {
  it('gradient vs float64 central differences', async () => {
    await gradCheck((g, rng) => {
      const logits = { tensor: g.input('logits', 'float32', [B, A]), values: randomValues(rng, B * A) };
      const values = vec(g, rng, 'values');
      const adv = g.constant(Float32Array.from(randomValues(rng, B)), 'float32', [B], 'adv');
      const ret = g.constant(Float32Array.from(randomValues(rng, B)), 'float32', [B], 'ret');
      const r = a2cLoss(
        { logits: logits.tensor, values: values.tensor, actions: actionsInput(g), advantages: adv, returns: ret },
        a2cConfig({ entCoef: 0.05 }),
      );
      return { inputs: [logits, values], output: r.loss, feeds: { actions: actionFeed }, scalarLoss: true };
    });
  });

  it('normAdvantages normalizes the advantages over the batch (a2c.normAdvantages was once never read)', () => {
    const rng = new Rng(4);
    const lv = randomValues(rng, B * A);
    const adv = randomValues(rng, B, 3);
    const m = adv.reduce((x, v) => x + v, 0) / B;
    const sd = Math.sqrt(adv.reduce((x, v) => x + (v - m) ** 2, 0) / (B - 1));
    const loss = (advantages: ArrayLike<number>, normAdvantages: boolean): number => {
      const g = new Graph();
      const logits = g.input('logits', 'float32', [B, A]);
      const zeros = g.constant(new Float32Array(B), 'float32', [B], 'zeros');
      const a = g.constant(Float32Array.from(advantages), 'float32', [B], 'adv');
      const r = a2cLoss(
        { logits, values: zeros, actions: actionsInput(g), advantages: a, returns: zeros },
        a2cConfig({ entCoef: 0, vfCoef: 0, normAdvantages }),
      );
      return evaluate(
        [r.loss],
        new Map<string, ArrayLike<number>>([
          ['logits', lv],
          ['actions', ACTIONS],
        ]),
      )[0]!.data[0]!;
    };
    const normalized = Array.from(adv, (v) => (v - m) / (sd + 1e-8));
    expect(loss(adv, true)).toBeCloseTo(loss(normalized, false), 5);
    expect(Math.abs(loss(adv, true) - loss(adv, false))).toBeGreaterThan(1e-3);
    expect(a2cConfig()).toEqual({ entCoef: 0.01, vfCoef: 0.5, normAdvantages: false });
  });
});

describe("entropy coefficient as a graph input (the train graphs' ent_coef)", () => {
  for (const algo of ['ppo', 'a2c'] as const) {
    /** The loss graph of `algo` on fixed inputs, with `entCoef` a fed scalar input or the config's constant. */
    const build = (g: Graph, rng: Rng, entCoef: Tensor | undefined, config: number) => {
      const logits = { tensor: g.input('logits', 'float32', [B, A]), values: randomValues(rng, B * A) };
      const values = vec(g, rng, 'values');
      const [oldLogp, adv, ret, oldV] = ['old_logprobs', 'advantages', 'returns', 'old_values'].map((n) =>
        g.constant(Float32Array.from(randomValues(rng, B).map((v) => v * 0.3 - 1.4)), 'float32', [B], n),
      );
      const common = { logits: logits.tensor, values: values.tensor, actions: actionsInput(g), advantages: adv!, returns: ret!, entCoef };
      const r =
        algo === 'ppo'
          ? ppoLoss({ ...common, oldLogProbs: oldLogp!, oldValues: oldV! }, ppoConfig({ entCoef: config }))
          : a2cLoss(common, a2cConfig({ entCoef: config }));
      return { r, logits, values };
    };

    it(`${algo}: gradient check with ent_coef fed; the loss equals the constant's and moves by −Δ·entropy`, async () => {
      const fed = 0.3;
      await gradCheck((g, rng) => {
        const { r, logits, values } = build(g, rng, g.input('ent_coef', 'float32', []), 0.01);
        return {
          inputs: [logits, values],
          output: r.loss,
          feeds: { actions: actionFeed, ent_coef: { data: Float32Array.from([fed]), values: [fed] } },
          scalarLoss: true,
        };
      });
      const lossOf = (entCoef: number | undefined, config: number): { loss: number; entropy: number } => {
        const g = new Graph();
        const rng = new Rng(7);
        const { r, logits, values } = build(g, rng, entCoef === undefined ? undefined : g.input('ent_coef', 'float32', []), config);
        const m = new Map<string, ArrayLike<number>>([
          ['logits', logits.values],
          ['values', values.values],
          ['actions', ACTIONS],
          ['ent_coef', [Math.fround(entCoef ?? NaN)]], // as the float32 constant holds it
        ]);
        const [loss, entropy] = evaluate([r.loss, r.stats.entropy!], m).map((t) => t.data[0]!);
        return { loss: loss!, entropy: entropy! };
      };
      const constant = lossOf(undefined, fed);
      expect(lossOf(fed, 0.01).loss).toBeCloseTo(constant.loss, 12);
      expect(lossOf(0.5, 0.01).loss - lossOf(0, 0.01).loss).toBeCloseTo(-0.5 * constant.entropy, 12);
    });
  }

  it('rejects an ent_coef that is not a float scalar', () => {
    const g = new Graph();
    const logits = g.input('l', 'float32', [B, A]);
    const v = g.input('v', 'float32', [B]);
    const batch = { logits, values: v, actions: actionsInput(g), advantages: v, returns: v };
    expect(() => a2cLoss({ ...batch, entCoef: g.input('e', 'float32', [1]) }, a2cConfig())).toThrow(
      'a2c: input entCoef shape [1] does not match expected shape []',
    );
    expect(() => ppoLoss({ ...batch, oldLogProbs: v, oldValues: v, entCoef: g.input('e2', 'int64', []) }, ppoConfig())).toThrow(
      'ppo: input entCoef must be float32 or float64 but is int64',
    );
  });
});

describe('DQN loss', () => {
  it('double-DQN targets, Huber, weights and TD errors match a float64 computation; gradient checks', async () => {
    const cfg = dqnConfig();
    let td: Float64Array | undefined;
    let expected: number[] = [];
    await gradCheck((g, rng) => {
      const q = { tensor: g.input('q', 'float32', [B, A]), values: randomValues(rng, B * A, 2) };
      const qn = randomValues(rng, B * A);
      const qt = randomValues(rng, B * A);
      const rew = randomValues(rng, B);
      const done = Float64Array.from([0, 1, 0, 0, 1, 0]);
      const disc = Float64Array.from([0.99, 0.99, 0.9801, 0.99, 0.970299, 0.99]);
      const w = Float64Array.from({ length: B }, () => 0.2 + rng.nextFloat());
      const c = (name: string, v: Float64Array, shape: number[]) => g.constant(Float32Array.from(v), 'float32', shape, name);
      const r = dqnLoss(
        {
          q: q.tensor,
          qNextOnline: c('qn', qn, [B, A]),
          qNextTarget: c('qt', qt, [B, A]),
          actions: actionsInput(g),
          rewards: c('r', rew, [B]),
          dones: c('d', done, [B]),
          discounts: c('disc', disc, [B]),
          weights: c('w', w, [B]),
        },
        cfg,
      );
      const m = new Map<string, ArrayLike<number>>([
        ['q', q.values],
        ['actions', ACTIONS],
      ]);
      td = evaluate([r.perSample!.td_errors!], m)[0]!.data;
      expected = ACTIONS.map((a, i) => {
        const row = Array.from(qn.subarray(i * A, i * A + A));
        const best = row.indexOf(Math.max(...row));
        const target = Math.fround(rew[i]!) + Math.fround(disc[i]!) * (1 - done[i]!) * Math.fround(qt[i * A + best]!);
        return q.values[i * A + a]! - target;
      });
      return { inputs: [q], output: r.loss, feeds: { actions: actionFeed }, scalarLoss: true };
    });
    for (let i = 0; i < B; i++) expect(td![i]).toBeCloseTo(expected[i]!, 6);
  });

  it('Huber is quadratic inside delta and linear outside', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [4]);
    const y = evaluate([huber(x, 1)], new Map([['x', [0.5, -0.5, 3, -2]]]))[0]!.data;
    expect(Array.from(y)).toEqual([0.125, 0.125, 2.5, 1.5]);
  });
});
