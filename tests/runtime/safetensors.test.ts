import { describe, expect, it } from 'vitest';

import { decodeSafetensors, encodeSafetensors } from '../../src/runtime/safetensors.js';

describe('safetensors', () => {
  it('round-trips tensors of every dtype and metadata bit-exactly, with an aligned header', () => {
    const tensors = new Map([
      ['a', { shape: [2, 3], data: Float32Array.from([1.5, -2, Math.PI, NaN, -0, 1e-40]) }],
      ['b', { shape: [2], data: Float64Array.from([Math.E, -1]) }],
      ['c', { shape: [3], data: BigInt64Array.from([1n, -2n, 2n ** 62n]) }],
      ['d', { shape: [1], data: Int32Array.from([-7]) }],
      ['e', { shape: [2, 2], data: Uint8Array.from([0, 255, 3, 4]) }],
    ]);
    const bytes = encodeSafetensors(tensors, { step: '12', format: 'mario-rl' });
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLen) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
    expect(header.a).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(header.__metadata__).toEqual({ step: '12', format: 'mario-rl' });
    const back = decodeSafetensors(bytes);
    expect(back.metadata).toEqual({ step: '12', format: 'mario-rl' });
    for (const [k, t] of tensors) {
      const got = back.tensors.get(k)!;
      expect(got.shape).toEqual(t.shape);
      expect(got.data.constructor).toBe(t.data.constructor);
      expect(Buffer.from(got.data.buffer, got.data.byteOffset, got.data.byteLength).equals(Buffer.from(t.data.buffer))).toBe(true);
    }
    expect(Buffer.from(encodeSafetensors(back.tensors, back.metadata)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('reads a file laid out by hand', () => {
    const json = '{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const head = new TextEncoder().encode(json);
    const bytes = new Uint8Array(8 + head.length + 8);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(head.length), true);
    bytes.set(head, 8);
    new DataView(bytes.buffer).setFloat32(8 + head.length, 0.25, true);
    new DataView(bytes.buffer).setFloat32(12 + head.length, -4, true);
    expect(Array.from(decodeSafetensors(bytes).tensors.get('x')!.data as Float32Array)).toEqual([0.25, -4]);
  });

  it('rejects malformed bytes with clear errors', () => {
    expect(() => decodeSafetensors('nope')).toThrow(
      'Expected a BufferSource (Uint8Array, Buffer, ArrayBuffer or typed array) for safetensors bytes but received "nope"',
    );
    expect(() => decodeSafetensors(new Uint8Array(4))).toThrow('Expected at least 8 bytes for safetensors bytes but received 4');
    const bad = new Uint8Array(16);
    new DataView(bad.buffer).setBigUint64(0, 100n, true);
    expect(() => decodeSafetensors(bad)).toThrow('Safetensors header length 100 exceeds the file (16 bytes)');
    const t = encodeSafetensors(new Map([['x', { shape: [4], data: new Float32Array(4) }]]));
    expect(() => decodeSafetensors(t.subarray(0, t.length - 4))).toThrow(/offsets \[0, 16\] that do not fit/);
    expect(() => encodeSafetensors(new Map([['x', { shape: [3], data: new Float32Array(4) }]]))).toThrow('Tensor x has shape [3] but 4 values');
  });

  it('rejects a well-formed header with wrong fields by name (the parser fuzzer found these as engine TypeErrors)', () => {
    const withHeader = (header: unknown, dataBytes = 16): Uint8Array => {
      const h = new TextEncoder().encode(JSON.stringify(header));
      const out = new Uint8Array(8 + h.length + dataBytes);
      new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
      out.set(h, 8);
      return out;
    };
    const x = (entry: unknown) => withHeader({ x: entry });
    const cases: [Uint8Array, string][] = [
      [withHeader(null), 'Expected a JSON object for the safetensors header but received null'],
      [withHeader([1]), 'Expected a JSON object for the safetensors header but received'],
      [withHeader({ __metadata__: { a: 1 } }), 'Expected an object of strings for the safetensors __metadata__ but received'],
      [x(null), 'Expected an object { dtype, shape, data_offsets } for safetensors tensor x but received null'],
      [x({ dtype: 'F32', shape: 4, data_offsets: [0, 16] }), "Expected an array of integers >= 0 for safetensors tensor x's shape but received 4"],
      [x({ dtype: 'F32', shape: [-4], data_offsets: [0, 16] }), "Expected an array of integers >= 0 for safetensors tensor x's shape"],
      [x({ dtype: 'F32', shape: [2.5], data_offsets: [0, 10] }), "Expected an array of integers >= 0 for safetensors tensor x's shape"],
      [
        x({ dtype: 'F32', shape: [4], data_offsets: null }),
        "Expected [begin, end] with integers 0 <= begin <= end for safetensors tensor x's data_offsets but received null",
      ],
      [x({ dtype: 'F32', shape: [1], data_offsets: [-4, 0] }), "for safetensors tensor x's data_offsets"],
      [x({ dtype: 'F32', shape: [0], data_offsets: [8, 4] }), "for safetensors tensor x's data_offsets"],
      [x({ dtype: 7, shape: [4], data_offsets: [0, 16] }), 'Safetensors tensor x has unsupported dtype 7'],
    ];
    for (const [bytes, message] of cases) {
      expect(() => decodeSafetensors(bytes)).toThrow(message);
      expect(() => decodeSafetensors(bytes)).not.toThrow(/Cannot read|is not a function|is not iterable|Invalid typed array/);
    }
    expect(decodeSafetensors(x({ dtype: 'F32', shape: [4], data_offsets: [0, 16] })).tensors.get('x')!.data).toHaveLength(4);
  });
});
