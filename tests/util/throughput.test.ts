/** measureInTurns: subjects alternate window by window, and rates come back in order. */
import { describe, expect, it } from 'vitest';

import { measureInTurns } from '../../src/util/throughput.js';

/** A simulated clock: steps advance it by their cost, so the rates are exact. */
function fakeClock() {
  let t = 0;
  return {
    now: () => t,
    spend: (ms: number) => {
      t += ms;
    },
  };
}

describe('measureInTurns', () => {
  it('alternates the subjects window by window and returns each best rate in items/s, in order', () => {
    const clock = fakeClock();
    const log: string[] = [];
    let bCost = 2;
    const rates = measureInTurns(
      [
        {
          step: () => {
            log.push('a');
            clock.spend(1);
          },
          itemsPerStep: 4,
        },
        // b slows down after its first window: its best (first) window is what it reports.
        {
          step: () => {
            log.push('b');
            clock.spend(bCost);
            if (log.filter((x) => x === 'b').length === 1 + 13) bCost = 8;
          },
          itemsPerStep: 3,
        },
      ],
      { seconds: 0.1, windows: 4, warmup: 1, now: clock.now },
    );
    // Warm-up a, b, then 4 windows of a run followed by a run of b: 1 + 1 + 8 runs.
    const runs = log.join('').match(/a+|b+/g)!;
    expect(runs.length).toBe(10);
    // Windows of 25 ms: a runs 25 steps of 1 ms each time; b 13 steps of 2 ms, then 4 of 8 ms.
    expect(runs.slice(2).map((r) => r.length)).toEqual([25, 13, 25, 4, 25, 4, 25, 4]);
    expect(rates[0]).toBeCloseTo(4000, 6);
    expect(rates[1]).toBeCloseTo(1500, 6);
  });

  it('runs at least minSteps per window and rejects bad options', () => {
    const clock = fakeClock();
    let calls = 0;
    measureInTurns(
      [
        {
          step: () => {
            calls++;
            clock.spend(5);
          },
          itemsPerStep: 1,
          minSteps: 3,
        },
      ],
      { seconds: 0.001, windows: 2, warmup: 0, now: clock.now },
    );
    expect(calls).toBe(6);
    expect(() => measureInTurns([], { seconds: 0 })).toThrow('Expected seconds > 0 for measureInTurns but received 0');
    expect(() => measureInTurns([], { seconds: 1, windows: 0 })).toThrow('Expected an integer >= 1 for windows but received 0');
  });

  it('brackets each timed window with begin/end and counts the items end() reports', () => {
    const clock = fakeClock();
    const log: string[] = [];
    let open = false;
    let outside = 0;
    const [rate] = measureInTurns(
      [
        {
          step: () => {
            log.push(open ? 's' : 'w');
            clock.spend(2);
            if (open) outside += 5; // another thread's items while the window is open
          },
          itemsPerStep: 1,
          begin: () => {
            log.push('[');
            open = true;
            outside = 0;
          },
          end: () => {
            log.push(']');
            open = false;
            return outside;
          },
        },
      ],
      { seconds: 0.02, windows: 2, warmup: 2, now: clock.now },
    );
    // Warm-up outside any window; then two windows of 10 ms, 5 steps each.
    expect(log.join('')).toBe('ww[sssss][sssss]');
    // Each window: 5 items from step() and 25 reported by end() in 10 ms.
    expect(rate).toBeCloseTo(3000, 6);
  });

  it('uses the real clock by default', () => {
    const [rate] = measureInTurns([{ step: () => {}, itemsPerStep: 1 }], { seconds: 0.01, windows: 1, warmup: 0 });
    expect(rate).toBeGreaterThan(0);
  });
});
