import { describe, expect, it } from 'vitest';

import { actionLogProbs, meanEntropy } from '../../src/algos/common.js';
import { gradCheck, randomValues } from '../graph/grad-check.js';

describe('entropy bonus gradient', () => {
  it('d meanEntropy(logSoftmax(x)) / dx matches central differences', async () => {
    const err = await gradCheck((g, rng) => {
      const t = g.input('logits', 'float32', [4, 5]);
      const actions = g.input('actions', 'int64', [4]);
      const { logpAll } = actionLogProbs(t, actions);
      return {
        inputs: [{ tensor: t, values: randomValues(rng, 20) }],
        output: meanEntropy(logpAll),
        scalarLoss: true,
        feeds: { actions: { data: BigInt64Array.from([0n, 1n, 2n, 3n]), values: [0n, 1n, 2n, 3n] } },
      };
    });
    expect(err).toBeLessThan(2e-3);
  });
});
