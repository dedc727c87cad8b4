import { describe, expect, it } from 'vitest';

import { toBytes, bytesEqual, concatBytes } from '../src/bytes.js';
import { expectBoolean, expectInteger, expectNumber, expectOneOf, expectOptions, expectTypedArray, rejectUnknownKeys } from '../src/validate.js';

describe('validate', () => {
  it('accepts integers in range and names the field otherwise', () => {
    expect(expectInteger(255, 'buttons', 0, 255)).toBe(255);
    expect(() => expectInteger(300, 'buttons', 0, 255)).toThrow(new RangeError('Expected an integer in [0, 255] for buttons but received 300'));
    expect(() => expectInteger(1.5, 'buttons', 0, 255)).toThrow(RangeError);
    expect(() => expectInteger('1', 'buttons', 0, 255)).toThrow(new TypeError('Expected an integer in [0, 255] for buttons but received "1"'));
    expect(() => expectInteger(NaN, 'buttons', 0, 255)).toThrow(/received NaN/);
  });

  it('checks finite numbers, booleans and choices', () => {
    expect(expectNumber(0.5, 'p', 0, 1)).toBe(0.5);
    expect(() => expectNumber(Infinity, 'p', 0, 1)).toThrow(RangeError);
    expect(() => expectNumber(null, 'p')).toThrow(/Expected a finite number for p but received null/);
    expect(expectBoolean(true, 'render')).toBe(true);
    expect(() => expectBoolean(1, 'render')).toThrow(TypeError);
    expect(expectOneOf('zero', 'powerOnRam', ['zero', 'ff'] as const)).toBe('zero');
    expect(() => expectOneOf('one', 'powerOnRam', ['zero', 'ff'] as const)).toThrow(
      new RangeError("Expected one of 'zero', 'ff' for powerOnRam but received \"one\""),
    );
    expect(() => expectOneOf(3, 'powerOnRam', ['zero'] as const)).toThrow(TypeError);
  });

  it('checks options bags and typed arrays', () => {
    expect(expectOptions(undefined, 'opts')).toEqual({});
    expect(() => expectOptions([], 'opts')).toThrow(/an options object for opts but received an array/);
    expect(() => rejectUnknownKeys({ rendr: true }, 'stepFrame options', ['render'])).toThrow(
      /Unknown option 'rendr' for stepFrame options; known options are render/,
    );
    const a = new Int32Array(4);
    expect(expectTypedArray(a, 'actions', Int32Array, 4)).toBe(a);
    expect(() => expectTypedArray(new Float32Array(4), 'actions', Int32Array, 4)).toThrow(
      new TypeError('Expected a Int32Array of length 4 for actions but received Float32Array(4)'),
    );
    expect(() => expectTypedArray(new Int32Array(3), 'actions', Int32Array, 4)).toThrow(RangeError);
  });
});

describe('bytes', () => {
  it('views any BufferSource as bytes without copying', () => {
    const buf = new ArrayBuffer(8);
    const u32 = new Uint32Array(buf);
    u32[0] = 0x04030201;
    const bytes = toBytes(u32, 'rom');
    expect(bytes.buffer).toBe(buf);
    expect(Array.from(bytes.subarray(0, 4))).toEqual([1, 2, 3, 4]);
    expect(toBytes(buf, 'rom').length).toBe(8);
    const view = new DataView(buf, 2, 4);
    expect(toBytes(view, 'rom').byteOffset).toBe(2);
    expect(() => toBytes('nes', 'rom')).toThrow(/Expected a BufferSource .* for rom but received "nes"/);
  });

  it('concatenates and compares', () => {
    const joined = concatBytes(new Uint8Array([1, 2]), new Uint8Array([3]));
    expect(Array.from(joined)).toEqual([1, 2, 3]);
    expect(bytesEqual(joined, new Uint8Array([1, 2, 3]))).toBe(true);
    expect(bytesEqual(joined, new Uint8Array([1, 2, 4]))).toBe(false);
    expect(bytesEqual(joined, new Uint8Array([1, 2]))).toBe(false);
  });
});
