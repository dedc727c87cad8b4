/** measureInTurns: subjects alternate window by window, and rates come back in order. */
import { describe, expect, it } from 'vitest';

import { measureInTurns } from '../../src/util/throughput.js';

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('measureInTurns', () => {
  it('alternates the subjects window by window and returns items/s per subject, in order', () => {
    const log: string[] = [];
    const rates = measureInTurns(
      [
        { step: () => { log.push('a'); busy(1); }, itemsPerStep: 4 },
        { step: () => { log.push('b'); busy(2); }, itemsPerStep: 4 },
      ],
      { seconds: 0.1, windows: 4, warmup: 1 },
    );
    // Warm-up a, b, then 4 windows of a run followed by a run of b: 1 + 1 + 8 runs.
    const runs = log.join('').match(/a+|b+/g)!;
    expect(runs.length).toBe(10);
    // a's step takes about half of b's, with the same items per step.
    expect(rates[0]! / rates[1]!).toBeGreaterThan(1.3);
    expect(rates[0]! / rates[1]!).toBeLessThan(3);
    expect(rates[1]!).toBeGreaterThan(4 * 100); // at most ~2 ms per 4 items
  });

  it('runs at least minSteps per window and rejects bad options', () => {
    let calls = 0;
    measureInTurns([{ step: () => { calls++; busy(5); }, itemsPerStep: 1, minSteps: 3 }], { seconds: 0.001, windows: 2, warmup: 0 });
    expect(calls).toBe(6);
    expect(() => measureInTurns([], { seconds: 0 })).toThrow('Expected seconds > 0 for measureInTurns but received 0');
    expect(() => measureInTurns([], { seconds: 1, windows: 0 })).toThrow('Expected an integer >= 1 for windows but received 0');
  });
});
