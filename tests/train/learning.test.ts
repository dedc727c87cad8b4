import { describe, expect, it } from 'vitest';

import { sampleFromLogits } from '../../src/algos/action-sampling.js';
import { Rng } from '../../src/util/rng.js';
import { Learner } from '../../src/runtime/learner.js';
import { TEST_DEVICE } from '../test-device.js';

/**
 * End to end: a contextual bandit (dark frame → action 0 pays, bright frame → action 1 pays)
 * learned with act → sampleFromLogits → PPO Loop updates. Checks the whole chain points the
 * policy the right way, not only that a loss goes down.
 */
describe('learning a contextual bandit with PPO', () => {
  it('raises the probability of the paying action in both contexts', async () => {
    const obsShape: [number, number, number] = [1, 16, 16];
    const size = 256;
    const learner = await Learner.create({
      train: { algo: 'ppo', model: { network: 'baseline', obsShape, actions: 2 }, ppo: { entCoef: 0, clipCoef: 0.1, clipValueLoss: true, valueClipCoef: 0.1 } },
      device: TEST_DEVICE,
      threads: 1,
      seed: 3,
    });
    const rng = new Rng(5);
    const n = 64;
    const frames = (contexts: number[]) => {
      const obs = new Uint8Array(contexts.length * size);
      contexts.forEach((c, i) => obs.fill(c ? 255 : 0, i * size, (i + 1) * size));
      return obs;
    };
    const probOfPaying = async () => {
      const { logits } = await learner.act(frames([0, 1]));
      const p = (row: number, a: number) => 1 / (1 + Math.exp(logits![row * 2 + 1 - a]! - logits![row * 2 + a]!));
      return [p(0, 0), p(1, 1)];
    };
    try {
      const before = await probOfPaying();
      for (let it = 0; it < 12; it++) {
        const contexts = Array.from({ length: n }, () => rng.nextInt(2));
        const obs = frames(contexts);
        const { logits, value } = await learner.act(obs);
        const picked = new Int32Array(n);
        const logProbs = new Float32Array(n);
        sampleFromLogits(logits!, n, 2, rng, picked, logProbs);
        const actions = BigInt64Array.from(picked, BigInt);
        const rewards = Float32Array.from(contexts, (c, i) => (picked[i] === c ? 1 : 0));
        const advantages = Float32Array.from(rewards, (r, i) => r - value![i]!);
        await learner.update(
          { obs, actions, old_logprobs: logProbs, advantages, returns: rewards, old_values: value! },
          { epochs: 2, minibatches: 2, lr: 3e-3 },
        );
      }
      const after = await probOfPaying();
      expect(after[0]).toBeGreaterThan(Math.max(before[0]!, 0.8));
      expect(after[1]).toBeGreaterThan(Math.max(before[1]!, 0.8));
    } finally {
      await learner.close();
    }
  });
});

describe('learning a contextual bandit with DQN', () => {
  it('Q(s, paying action) approaches 1 and the other 0', async () => {
    const obsShape: [number, number, number] = [1, 16, 16];
    const size = 256;
    const learner = await Learner.create({
      train: { algo: 'dqn', model: { network: 'baseline', obsShape, actions: 2 } },
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
        const actions = BigInt64Array.from(contexts, () => BigInt(rng.nextInt(2)));
        const rewards = Float32Array.from(contexts, (c, i) => (Number(actions[i]) === c ? 1 : 0));
        const r = await learner.trainStep(
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
        expect(r.tdErrors!.length).toBe(n);
        if (it % 10 === 9) learner.syncTarget();
      }
      const probe = new Uint8Array(2 * size);
      probe.fill(255, size);
      const { q } = await learner.act(probe);
      expect(q![0]!).toBeGreaterThan(0.7); // dark: action 0 pays
      expect(q![1]!).toBeLessThan(0.3);
      expect(q![3]!).toBeGreaterThan(0.7); // bright: action 1 pays
      expect(q![2]!).toBeLessThan(0.3);
    } finally {
      await learner.close();
    }
  });
});
