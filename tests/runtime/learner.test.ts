import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { createSession, runSession } from '../../src/graph/session.js';
import { paramSpecs } from '../../src/models/networks.js';
import { type Batch, Learner } from '../../src/runtime/learner.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/runtime/safetensors.js';
import { Rng } from '../../src/util/rng.js';
import { TEST_DEVICE, TEST_SESSION } from '../test-device.js';

const dir = mkdtempSync(join(tmpdir(), 'mario-rl-learner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const OBS: [number, number, number] = [4, 16, 16];
const OBS_SIZE = 4 * 16 * 16;

function ppoBatch(n: number, seed: number): Batch {
  const rng = new Rng(seed);
  const f = () => Float32Array.from({ length: n }, () => rng.nextNormal());
  return {
    obs: Uint8Array.from({ length: n * OBS_SIZE }, () => rng.nextInt(256)),
    actions: BigInt64Array.from({ length: n }, () => BigInt(rng.nextInt(3))),
    old_logprobs: Float32Array.from({ length: n }, () => Math.log(1 / 3)),
    advantages: f(),
    returns: f(),
    old_values: new Float32Array(n),
  };
}

function dqnBatch(n: number, seed: number): Batch {
  const rng = new Rng(seed);
  return {
    obs: Uint8Array.from({ length: n * OBS_SIZE }, () => rng.nextInt(256)),
    actions: BigInt64Array.from({ length: n }, () => BigInt(rng.nextInt(3))),
    rewards: Float32Array.from({ length: n }, () => rng.nextNormal()),
    next_obs: Uint8Array.from({ length: n * OBS_SIZE }, () => rng.nextInt(256)),
    dones: Float32Array.from({ length: n }, () => (rng.nextFloat() < 0.2 ? 1 : 0)),
    discounts: new Float32Array(n).fill(0.99 ** 3),
    weights: new Float32Array(n).fill(1),
  };
}

const bytesOf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function slice(batch: Batch, rows: number[], total = 16): Batch {
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

describe(`Learner (${TEST_DEVICE}, worker thread)`, () => {
  it('a PPO train step decreases the loss on a fixed batch', async () => {
    const learner = await Learner.create({
      train: { algo: 'ppo', model: { network: 'baseline', obsShape: OBS, actions: 3 } },
      device: TEST_DEVICE,
      threads: 1,
      seed: 1,
    });
    try {
      const batch = ppoBatch(16, 2);
      const first = await learner.trainStep(batch, { lr: 1e-3 });
      let last = first;
      for (let i = 0; i < 5; i++) last = await learner.trainStep(batch, { lr: 1e-3 });
      expect(learner.step).toBe(6);
      expect(last.loss).toBeLessThan(first.loss);
      expect(first.stats.approx_kl).toBeCloseTo(0, 6);
      expect(first.stats.grad_norm).toBeGreaterThan(0);
      for (const k of ['policy_loss', 'value_loss', 'entropy', 'clip_fraction', 'explained_variance']) expect(Number.isFinite(first.stats[k])).toBe(true);
    } finally {
      await learner.close();
    }
  });

  it('is deterministic: same seed and batch give bit-identical parameters', async () => {
    const train = { algo: 'ppo', model: { network: 'baseline', obsShape: OBS, actions: 3 } };
    const [a, b] = await Promise.all([1, 2].map(() => Learner.create({ train, device: TEST_DEVICE, threads: 1, seed: 11 })));
    try {
      const batch = ppoBatch(8, 3);
      await a!.trainStep(batch, { lr: 1e-3 });
      await b!.trainStep(batch, { lr: 1e-3 });
      for (const [k, v] of a!.params) expect(Buffer.from(b!.params.get(k)!.buffer).equals(Buffer.from(v.buffer)), k).toBe(true);
    } finally {
      await a!.close();
      await b!.close();
    }
  });

  it('the Loop update equals the same minibatches run one by one', async () => {
    const train = { algo: 'ppo', model: { network: 'baseline', obsShape: OBS, actions: 3 } };
    const a = await Learner.create({ train, device: TEST_DEVICE, threads: 1, seed: 3 });
    const b = await Learner.create({ train, device: TEST_DEVICE, threads: 1, seed: 3 });
    try {
      const rollout = ppoBatch(16, 4);
      const rng = new Rng(9);
      const order: number[] = [];
      for (let e = 0; e < 2; e++) {
        const perm = Array.from({ length: 16 }, (_, i) => i).sort(() => rng.nextFloat() - 0.5);
        order.push(...perm);
      }
      const res = await a.update(rollout, { epochs: 2, minibatches: 4, lr: 2e-3, indices: BigInt64Array.from(order.map(BigInt)) });
      expect(res.losses.length).toBe(8);
      expect(res.stats.approx_kl!.length).toBe(8);
      const losses: number[] = [];
      for (let k = 0; k < 8; k++) losses.push((await b.trainStep(slice(rollout, order.slice(k * 4, k * 4 + 4)), { lr: 2e-3 })).loss);
      expect(a.step).toBe(8);
      expect(b.step).toBe(8);
      for (let k = 0; k < 8; k++) expect(res.losses[k]).toBeCloseTo(losses[k]!, 4);
      for (const p of paramSpecs(a.spec.model)) {
        const pa = a.params.get(p.name)!;
        const pb = b.params.get(p.name)!;
        let worst = 0;
        for (let i = 0; i < pa.length; i++) worst = Math.max(worst, Math.abs(pa[i]! - pb[i]!));
        expect(worst, p.name).toBeLessThan(1e-5);
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('entCoef is a run-time value: from the same parameters the loss moves by exactly −Δ·entropy; the default is the spec’s', async () => {
    for (const algo of ['ppo', 'a2c'] as const) {
      const l = await Learner.create({
        train: { algo, model: { network: 'baseline', obsShape: OBS, actions: 3 }, [algo]: { entCoef: 0.02 } },
        device: TEST_DEVICE,
        threads: 1,
        seed: 2,
      });
      try {
        const full = ppoBatch(8, 7);
        const rollout: Batch = algo === 'ppo' ? full : { obs: full.obs!, actions: full.actions!, advantages: full.advantages!, returns: full.returns! };
        const start = l.toSafetensors();
        // One Loop update (loss before it) or one train step from the same parameters, then back to them.
        const run = async (how: 'update' | 'trainStep', entCoef?: number) => {
          l.fromSafetensors(start);
          const opts = { lr: 1e-2, ...(entCoef === undefined ? {} : { entCoef }) };
          const r =
            how === 'update'
              ? await l.update(rollout, { epochs: 1, minibatches: 1, seed: 3, ...opts })
              : await l.trainStep(rollout, opts).then((s) => ({ losses: [s.loss], stats: { entropy: [s.stats.entropy!] } }));
          return { loss: r.losses[0]!, entropy: r.stats.entropy![0]!, params: new Map(l.params) };
        };
        for (const how of ['update', 'trainStep'] as const) {
          const zero = await run(how, 0);
          const half = await run(how, 0.5);
          expect(half.entropy, `${algo} ${how}`).toBe(zero.entropy);
          expect(half.loss - zero.loss, `${algo} ${how}`).toBeCloseTo(-0.5 * zero.entropy, 5);
          // The coefficient reaches the gradient, not only the reported loss.
          expect(bytesOf(half.params.get('pi.weight')!).equals(bytesOf(zero.params.get('pi.weight')!)), `${algo} ${how}`).toBe(false);
          const byDefault = await run(how);
          const explicit = await run(how, 0.02);
          expect(byDefault.loss, `${algo} ${how}`).toBe(explicit.loss);
          for (const [k, v] of byDefault.params)
            expect(Buffer.from(explicit.params.get(k)!.buffer).equals(Buffer.from(v.buffer)), `${algo} ${how} ${k}`).toBe(true);
        }
      } finally {
        await l.close();
      }
    }
  });

  it('save → load round-trips parameters and optimizer state bit-exactly', async () => {
    const train = { algo: 'a2c', optimizer: { kind: 'rmsprop' }, model: { network: 'baseline', obsShape: OBS, actions: 3 } };
    const a = await Learner.create({ train, device: TEST_DEVICE, threads: 1, seed: 5 });
    const b = await Learner.create({ train, device: TEST_DEVICE, threads: 1, seed: 6 });
    try {
      const batch = ppoBatch(8, 1);
      await a.trainStep({ obs: batch.obs!, actions: batch.actions!, advantages: batch.advantages!, returns: batch.returns! }, { lr: 1e-3 });
      const path = join(dir, 'ckpt.safetensors');
      await a.save(path, { note: 'hello' });
      const meta = await b.load(path);
      expect(meta.note).toBe('hello');
      expect(b.step).toBe(1);
      for (const [k, v] of a.params) expect(Buffer.from(b.params.get(k)!.buffer).equals(Buffer.from(v.buffer, v.byteOffset, v.byteLength))).toBe(true);
      for (const [k, v] of a.optimizerState)
        expect(Buffer.from(b.optimizerState.get(k)!.buffer).equals(Buffer.from(v.buffer, v.byteOffset, v.byteLength))).toBe(true);
      expect(Buffer.from(b.toSafetensors({ note: 'hello' })).equals(Buffer.from(a.toSafetensors({ note: 'hello' })))).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('loadParams (warm start) takes the parameters only: optimizer state zero, step 0, a DQN target equal to them', async () => {
    const model = { network: 'baseline', obsShape: OBS, actions: 3 };
    const a = await Learner.create({ train: { algo: 'dqn', model }, device: TEST_DEVICE, threads: 1, seed: 1 });
    // Other loss settings and a different seed: only the model has to match.
    const b = await Learner.create({ train: { algo: 'dqn', model, dqn: { double: false } }, device: TEST_DEVICE, threads: 1, seed: 2 });
    const ppo = await Learner.create({ train: { algo: 'ppo', model }, device: TEST_DEVICE, threads: 1 });
    const same = (x: Float32Array, y: Float32Array) =>
      Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
    try {
      const batch = dqnBatch(8, 2);
      await a.trainStep(batch, { lr: 1e-3 });
      await a.trainStep(batch, { lr: 1e-3 });
      await b.trainStep(dqnBatch(8, 5), { lr: 1e-3 });
      const bytes = a.toSafetensors();
      b.loadParams(bytes);
      expect(b.step).toBe(0);
      for (const [k, v] of a.params) expect(same(b.params.get(k)!, v), k).toBe(true);
      for (const [k, v] of b.optimizerState)
        expect(
          v.every((x) => x === 0),
          k,
        ).toBe(true);
      const { tensors } = decodeSafetensors(b.toSafetensors());
      for (const [k, v] of a.params) expect(same(tensors.get(`target.${k}`)!.data as Float32Array, v), `target.${k}`).toBe(true);
      // It acts with the loaded weights and trains on from them like a fresh learner (step 1, first Adam step).
      const qa = await a.act(batch.obs as Uint8Array);
      const qb = await b.act(batch.obs as Uint8Array);
      expect(same(qb.q!, qa.q!)).toBe(true);
      await b.trainStep(batch, { lr: 1e-3 });
      expect(b.step).toBe(1);
      expect([...b.optimizerState.values()].some((v) => v.some((x) => x !== 0))).toBe(true);
      // The parameters are copies: the bytes can be dropped or reused.
      bytes.fill(0);
      expect([...b.params.values()].some((v) => v.some((x) => x !== 0))).toBe(true);
      // Another model (the actor-critic head) does not fit.
      expect(() => ppo.loadParams(a.toSafetensors())).toThrow(
        /^The checkpoint was written for a different model: .*"head":"dueling".*, not .*"head":"actor-critic"/,
      );
    } finally {
      await a.close();
      await b.close();
      await ppo.close();
    }
  });

  it('paramsToSafetensors holds the parameters alone (a distributed actor loads them with loadParams and acts alike)', async () => {
    const train = { algo: 'ppo', model: { network: 'baseline', obsShape: OBS, actions: 3 } };
    const a = await Learner.create({ train, device: TEST_DEVICE, threads: 1, seed: 1 });
    const b = await Learner.create({ train, device: TEST_DEVICE, threads: 1, seed: 2 });
    try {
      const bytes = a.paramsToSafetensors({ version: '7' });
      const { tensors, metadata } = decodeSafetensors(bytes);
      expect([...tensors.keys()].sort()).toEqual(
        paramSpecs(a.spec.model)
          .map((p) => p.name)
          .sort(),
      );
      expect(metadata.version).toBe('7');
      // Adam keeps two moments per parameter: the whole state is three times the parameters.
      expect(bytes.length * 2.5).toBeLessThan(a.toSafetensors().length);
      const obs = Uint8Array.from({ length: 2 * OBS_SIZE }, (_, i) => (i * 37) % 256);
      expect((await b.act(obs)).logits).not.toEqual((await a.act(obs)).logits);
      b.loadParams(bytes);
      expect((await b.act(obs)).logits).toEqual((await a.act(obs)).logits);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('the exported policy gives the training session’s logits, and baked/inputs acting agree', async () => {
    const train = { algo: 'ppo', model: { network: 'nature', obsShape: [4, 36, 36], actions: 5 } };
    const a = await Learner.create({ train, device: TEST_DEVICE, threads: 1, seed: 7, acting: 'inputs' });
    const b = await Learner.create({ train, device: TEST_DEVICE, threads: 1, seed: 7, acting: 'baked' });
    try {
      const rng = new Rng(1);
      const obs = Uint8Array.from({ length: 3 * 4 * 36 * 36 }, () => rng.nextInt(256));
      const got = await a.act(obs);
      const gotBaked = await b.act(obs);
      const path = join(dir, 'policy.onnx');
      await a.exportPolicy(path, { batch: 3 });
      const { readFile } = await import('node:fs/promises');
      const s = await createSession(new Uint8Array(await readFile(path)), TEST_SESSION);
      const r = await runSession(s, { obs: { dtype: 'uint8', dims: [3, 4, 36, 36], data: obs } });
      expect(r.logits!.dims).toEqual([3, 5]);
      const logits = r.logits!.data as Float32Array;
      for (let i = 0; i < 15; i++) {
        expect(logits[i]).toBeCloseTo(got.logits![i]!, 5);
        expect(gotBaked.logits![i]).toBeCloseTo(got.logits![i]!, 5);
      }
      for (let i = 0; i < 3; i++) expect((r.value!.data as Float32Array)[i]).toBeCloseTo(got.value![i]!, 5);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('DQN: train step returns per-sample TD errors; target sync', async () => {
    const l = await Learner.create({ train: { algo: 'dqn', model: { network: 'baseline', obsShape: OBS, actions: 3 } }, device: TEST_DEVICE, threads: 1 });
    try {
      const n = 8;
      const batch = dqnBatch(n, 2);
      await expect(l.trainStep(batch, { lr: 1e-3, entCoef: 0.01 })).rejects.toThrow(
        "Expected no value (algo 'dqn' has no entropy bonus) for entCoef but received 0.01",
      );
      await expect(l.update(batch, { epochs: 1, minibatches: 1, lr: 1e-3, entCoef: 0 })).rejects.toThrow(/for entCoef but received 0/);
      const r1 = await l.trainStep(batch, { lr: 1e-3 });
      expect(r1.tdErrors!.length).toBe(n);
      let last = r1;
      for (let i = 0; i < 4; i++) last = await l.trainStep(batch, { lr: 1e-3 });
      expect(last.loss).toBeLessThan(r1.loss);
      l.syncTarget();
      const q = await l.act(batch.obs as Uint8Array);
      expect(q.q!.length).toBe(n * 3);
    } finally {
      await l.close();
    }
  });

  it('DQN: syncTarget(tau) is Polyak averaging; tau 1 is an exact copy', async () => {
    const l = await Learner.create({
      train: { algo: 'dqn', model: { network: 'baseline', obsShape: OBS, actions: 3 } },
      device: TEST_DEVICE,
      threads: 1,
      seed: 3,
    });
    const ppo = await Learner.create({ train: { algo: 'ppo', model: { network: 'baseline', obsShape: OBS, actions: 3 } }, device: TEST_DEVICE, threads: 1 });
    const target = () => {
      const { tensors } = decodeSafetensors(l.toSafetensors());
      return new Map([...l.params.keys()].map((k) => [k, tensors.get(`target.${k}`)!.data as Float32Array]));
    };
    const same = (a: Float32Array, b: Float32Array) =>
      Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    try {
      const before = target();
      await l.trainStep(dqnBatch(8, 2), { lr: 1e-2 });
      l.syncTarget(0.25);
      const after = target();
      let moved = 0;
      for (const [k, online] of l.params) {
        const t0 = before.get(k)!;
        const t1 = after.get(k)!;
        for (let i = 0; i < t1.length; i++) {
          // By hand: a quarter of the way from the old target to the online value.
          expect(t1[i], `${k}[${i}]`).toBe(Math.fround(0.25 * online[i]! + 0.75 * t0[i]!));
          if (t1[i] !== t0[i] && t1[i] !== online[i]) moved++;
        }
      }
      expect(moved).toBeGreaterThan(1000);
      const w = l.params.get('adv.weight')!;
      expect(after.get('adv.weight')![0]).toBeCloseTo(before.get('adv.weight')![0]! + 0.25 * (w[0]! - before.get('adv.weight')![0]!), 7);
      l.syncTarget();
      for (const [k, online] of l.params) expect(same(target().get(k)!, online), k).toBe(true);
      l.syncTarget(1);
      for (const [k, online] of l.params) expect(same(target().get(k)!, online), k).toBe(true);
      expect(() => l.syncTarget(0)).toThrow('Expected a number in (0, 1] for tau but received 0');
      expect(() => l.syncTarget(1.5)).toThrow(RangeError);
      expect(() => l.syncTarget(Number.NaN)).toThrow('Expected a number in (0, 1] for tau but received NaN');
      expect(() => l.syncTarget('0.5' as never)).toThrow(TypeError);
      expect(() => ppo.syncTarget()).toThrow("Learner.syncTarget(): algo 'ppo' has no target network");
    } finally {
      await l.close();
      await ppo.close();
    }
  });

  it('rejects bad input with clear errors', async () => {
    await expect(Learner.create({ train: { algo: 'ppo', model: { network: 'nature', actions: 3, head: 'dueling' } } })).rejects.toThrow(
      /Expected a 'actor-critic' head/,
    );
    await expect(Learner.create({ train: { algo: 'sac', model: { actions: 3 } } })).rejects.toThrow(
      "Expected one of 'ppo', 'a2c', 'dqn' for train.algo but received \"sac\"",
    );
    await expect(Learner.create({ train: { model: { actions: 3 } }, device: 'tpu' as never })).rejects.toThrow(
      "Expected one of 'auto', 'cpu', 'cuda' for device but received \"tpu\"",
    );
    const l = await Learner.create({ train: { algo: 'ppo', model: { network: 'baseline', obsShape: OBS, actions: 3 } }, device: TEST_DEVICE, threads: 1 });
    try {
      const b = ppoBatch(4, 1);
      await expect(l.trainStep({ ...b, actions: new Int32Array(4) }, { lr: 1e-3 })).rejects.toThrow(
        'Expected a BigInt64Array of length 4 for batch.actions but received Int32Array(4)',
      );
      await expect(l.trainStep({ ...b, returns: new Float32Array(3) }, { lr: 1e-3 })).rejects.toThrow(
        'Expected a Float32Array of length 4 for batch.returns but received Float32Array(3)',
      );
      await expect(l.trainStep(b, { lr: -1 })).rejects.toThrow('Expected a finite number in [0, 10] for lr but received -1');
      await expect(l.update(b, { epochs: 1, minibatches: 3, lr: 1e-3 })).rejects.toThrow(/minibatches to divide the rollout size 4/);
      for (const bad of [-0.1, Number.NaN, Infinity]) {
        await expect(l.update(b, { epochs: 1, minibatches: 1, lr: 1e-3, entCoef: bad })).rejects.toThrow(
          `Expected a finite number in [0, 1000000] for entCoef but received ${bad}`,
        );
        await expect(l.trainStep(b, { lr: 1e-3, entCoef: bad })).rejects.toThrow(RangeError);
      }
      await expect(l.update(b, { epochs: 1, minibatches: 1, lr: 1e-3, entCoef: '0.1' as never })).rejects.toThrow(
        'Expected a finite number in [0, 1000000] for entCoef but received "0.1"',
      );
      expect(l.step).toBe(0);
      await expect(l.act(new Uint8Array(5))).rejects.toThrow(/positive multiple of 1024 for obs/);
      const first = l.trainStep(b, { lr: 1e-3 });
      await expect(l.update(b, { epochs: 1, minibatches: 1, lr: 1e-3 })).rejects.toThrow(
        'Learner.update() called while trainStep() is still running; await it first',
      );
      await first;
    } finally {
      await l.close();
    }
  });
});

describe(`Learner with a NoisyNet DQN (${TEST_DEVICE})`, () => {
  const train = { algo: 'dqn', model: { network: 'baseline', head: 'dueling', obsShape: OBS, actions: 3, noisy: true } };
  const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

  it('acts with a fresh noise draw per call, greedily with noise: false, and exports the means', async () => {
    const [a, b] = await Promise.all([1, 2].map(() => Learner.create({ train, device: TEST_DEVICE, threads: 1, seed: 8 })));
    try {
      const obs = dqnBatch(4, 1).obs as Uint8Array;
      const q1 = (await a!.act(obs)).q!;
      const q2 = (await a!.act(obs)).q!;
      expect(bytes(q1).equals(bytes(q2))).toBe(false);
      // Same seed, same draws.
      expect(bytes((await b!.act(obs)).q!).equals(bytes(q1))).toBe(true);
      expect(bytes((await b!.act(obs)).q!).equals(bytes(q2))).toBe(true);
      const g1 = (await a!.act(obs, { noise: false })).q!;
      const g2 = (await a!.act(obs, { noise: false })).q!;
      expect(bytes(g1).equals(bytes(g2))).toBe(true);
      const s = await createSession(a!.policyModel(4), TEST_SESSION);
      const r = await runSession(s, { obs: { dtype: 'uint8', dims: [4, ...OBS], data: obs } });
      for (let i = 0; i < 12; i++) expect((r.q!.data as Float32Array)[i]).toBeCloseTo(g1[i]!, 5);
      await expect(a!.act(obs, { noise: 1 as never })).rejects.toThrow('Expected a boolean for noise but received 1');
      // Baked acting takes the same noise inputs.
      const baked = await Learner.create({ train, device: TEST_DEVICE, threads: 1, seed: 8, acting: 'baked' });
      try {
        const qb = (await baked.act(obs)).q!;
        for (let i = 0; i < 12; i++) expect(qb[i]).toBeCloseTo(q1[i]!, 5);
      } finally {
        await baked.close();
      }
    } finally {
      await a!.close();
      await b!.close();
    }
  });

  it('trains μ and σ; the Loop update equals step-by-step; a checkpoint resumes exactly', async () => {
    const [a, b] = await Promise.all([1, 2].map(() => Learner.create({ train, device: TEST_DEVICE, threads: 1, seed: 4 })));
    const c = await Learner.create({ train, device: TEST_DEVICE, threads: 1, seed: 9 });
    try {
      const rollout = dqnBatch(8, 5);
      const order = [3, 1, 6, 0, 7, 2, 5, 4];
      const sigma0 = a!.params.get('adv.weight_sigma')!.slice();
      const stepLosses: number[] = [];
      for (let k = 0; k < 2; k++) stepLosses.push((await a!.trainStep(slice(rollout, order.slice(k * 4, k * 4 + 4), 8), { lr: 1e-2 })).loss);
      const res = await b!.update(rollout, { epochs: 1, minibatches: 2, lr: 1e-2, indices: BigInt64Array.from(order.map(BigInt)) });
      for (let k = 0; k < 2; k++) expect(res.losses[k]).toBeCloseTo(stepLosses[k]!, 4);
      for (const [k, v] of a!.params) {
        const w = b!.params.get(k)!;
        let worst = 0;
        for (let i = 0; i < v.length; i++) worst = Math.max(worst, Math.abs(v[i]! - w[i]!));
        expect(worst, k).toBeLessThan(1e-5);
      }
      let changed = 0;
      a!.params.get('adv.weight_sigma')!.forEach((v, i) => (changed += v !== sigma0[i] ? 1 : 0));
      expect(changed).toBeGreaterThan(0);

      const ckpt = a!.toSafetensors();
      const { tensors, metadata } = decodeSafetensors(ckpt);
      for (const k of ['adv.weight_sigma', 'val.bias_sigma', 'adv.weight_sigma.m', 'target.adv.weight_sigma']) expect(tensors.has(k), k).toBe(true);
      expect(Object.keys(JSON.parse(metadata.noise_rng!))).toEqual(['act', 'train']);
      c.fromSafetensors(ckpt);
      const obs = rollout.obs as Uint8Array;
      expect(bytes((await c.act(obs)).q!).equals(bytes((await a!.act(obs)).q!))).toBe(true);
      const next = dqnBatch(4, 6);
      const ra = await a!.trainStep(next, { lr: 1e-2 });
      const rc = await c.trainStep(next, { lr: 1e-2 });
      expect(rc.loss).toBe(ra.loss);
      for (const [k, v] of a!.params) expect(bytes(c.params.get(k)!).equals(bytes(v)), k).toBe(true);
      delete metadata.noise_rng;
      expect(() =>
        c.fromSafetensors(encodeSafetensors(new Map([...tensors].map(([k, t]) => [k, { shape: t.shape, data: t.data as Float32Array }])), metadata)),
      ).toThrow(/lacks a valid noise_rng/);
    } finally {
      await a!.close();
      await b!.close();
      await c.close();
    }
  });

  it('learns a contextual bandit exploring only by its noise', async () => {
    const obsShape: [number, number, number] = [1, 16, 16];
    const size = 256;
    const learner = await Learner.create({
      train: { algo: 'dqn', model: { network: 'baseline', obsShape, actions: 2, noisy: true } },
      device: TEST_DEVICE,
      threads: 1,
      seed: 4,
    });
    const rng = new Rng(6);
    const n = 64;
    try {
      for (let it = 0; it < 40; it++) {
        const contexts = Array.from({ length: n }, () => rng.nextInt(2));
        const obs = new Uint8Array(n * size);
        contexts.forEach((c, i) => obs.fill(c ? 255 : 0, i * size, (i + 1) * size));
        const { q } = await learner.act(obs); // greedy on the noisy Q: no ε
        const actions = BigInt64Array.from(contexts, (_, i) => BigInt(q![2 * i + 1]! > q![2 * i]! ? 1 : 0));
        const rewards = Float32Array.from(contexts, (c, i) => (Number(actions[i]) === c ? 1 : 0));
        await learner.trainStep(
          {
            obs,
            actions,
            rewards,
            next_obs: obs,
            dones: new Float32Array(n).fill(1),
            discounts: new Float32Array(n).fill(0.99),
            weights: new Float32Array(n).fill(1),
          },
          { lr: 2e-3 },
        );
        if (it % 10 === 9) learner.syncTarget();
      }
      const probe = new Uint8Array(2 * size);
      probe.fill(255, size);
      const { q } = await learner.act(probe, { noise: false });
      expect(q![0]!).toBeGreaterThan(0.7); // dark: action 0 pays
      expect(q![3]!).toBeGreaterThan(0.7); // bright: action 1 pays
      expect(q![0]!).toBeGreaterThan(q![1]!);
      expect(q![3]!).toBeGreaterThan(q![2]!);
    } finally {
      await learner.close();
    }
  });
});
