import { describe, expect, it } from 'vitest';

import { loadTestAddon } from '../native-test-addon.js';

const native = loadTestAddon();

describe('env thread pool under concurrency', () => {
  for (const threads of [1, 2, 4, 8]) {
    it(`${threads} worker(s): every index runs exactly once per job, every job completes once, Run publishes the tasks' writes`, () => {
      for (const count of [0, 1, 7, 64, 513]) {
        const rounds = 200;
        const out = native.envThreadPoolCheck(threads, count, rounds);
        expect(out.length).toBe(count + 2);
        const wrong = Array.from(out.subarray(0, count)).findIndex((v) => v !== rounds);
        expect(wrong, `index ${wrong} ran ${out[wrong]} times`).toBe(-1);
        expect(out[count]).toBe(rounds);
        // Every task's plain write was visible once Run returned, whether it waited by spinning or sleeping.
        expect(out[count + 1]).toBe(0);
      }
    });
  }

  it('rejects bad arguments', () => {
    expect(() => native.envThreadPoolCheck(0, 1, 1)).toThrow(RangeError);
  });
});
