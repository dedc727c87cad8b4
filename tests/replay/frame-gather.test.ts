import { describe, expect, it } from 'vitest';

import { loadNative } from '../../src/native.js';

describe('gatherRows (frame stacking copy)', () => {
  const { gatherRows } = loadNative();

  it('copies the requested rows across chunks and zero-fills -1', () => {
    const chunks = [Uint8Array.from({ length: 2 * 3 }, (_, i) => i + 1), Uint8Array.from({ length: 3 }, (_, i) => i + 7)];
    const out = new Uint8Array(4 * 3).fill(99);
    gatherRows(chunks, 2, 3, new Int32Array([2, -1, 0, 1]), out);
    expect(Array.from(out)).toEqual([7, 8, 9, 0, 0, 0, 1, 2, 3, 4, 5, 6]);
  });

  it('rejects bad rows, chunks and lengths before writing anything', () => {
    const src = [new Uint8Array(12)];
    const out = new Uint8Array(6).fill(5);
    expect(() => gatherRows(src, 4, 3, new Int32Array([0, 4]), out)).toThrow(new RangeError('Expected an integer in [-1, 4) for rows[1] but received 4'));
    expect(() => gatherRows(src, 4, 3, new Int32Array([-2, 0]), out)).toThrow(/rows\[0\] but received -2/);
    expect(Array.from(out)).toEqual([5, 5, 5, 5, 5, 5]);
    expect(() => gatherRows([new Uint8Array(5)], 4, 3, new Int32Array([0]), new Uint8Array(3))).toThrow(/whole rows.*for chunks\[0\]/);
    expect(() => gatherRows([new Uint8Array(3), new Uint8Array(6)], 2, 3, new Int32Array([0]), new Uint8Array(3))).toThrow(
      /exactly rowsPerChunk rows for chunks\[0\]/,
    );
    expect(() => gatherRows(src, 4, 3, new Int32Array([0]), new Uint8Array(4))).toThrow(/length 3 for out/);
    expect(() => gatherRows(src, 4, 0, new Int32Array([0]), new Uint8Array(0))).toThrow(/for rowBytes but received 0/);
    expect(() => gatherRows([], 4, 3, new Int32Array([0]), new Uint8Array(3))).toThrow(RangeError);
    expect(() => gatherRows(new Uint8Array(3) as never, 1, 3, new Int32Array([0]), new Uint8Array(3))).toThrow(TypeError);
    expect(() => gatherRows([[1, 2, 3]] as never, 1, 3, new Int32Array([0]), new Uint8Array(3))).toThrow(TypeError);
    expect(() => gatherRows(src, 4, 3, new Float32Array(1) as never, new Uint8Array(3))).toThrow(TypeError);
  });
});
