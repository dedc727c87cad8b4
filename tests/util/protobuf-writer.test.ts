import { describe, expect, it } from 'vitest';

import { crc32c, crc32cUpdate, maskCrc32c } from '../../src/util/crc32c.js';
import { ProtobufWriter, zigzag } from '../../src/util/protobuf-writer.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('ProtobufWriter', () => {
  it('encodes the protobuf documentation examples', () => {
    // Test1 { int32 a = 1 } with a = 150 encodes as 08 96 01.
    expect(hex(new ProtobufWriter().varint(1, 150).finish())).toBe('089601');
    // Test2 { string b = 2 } with "testing".
    expect(hex(new ProtobufWriter().string(2, 'testing').finish())).toBe('120774657374696e67');
    // Test3 { Test1 c = 3 } embedding a = 150.
    expect(hex(new ProtobufWriter().message(3, (w) => w.varint(1, 150)).finish())).toBe('1a03089601');
    // Packed repeated int32 field 4 = [3, 270, 86942].
    expect(hex(new ProtobufWriter().packedVarints(4, [3, 270, 86942]).finish())).toBe('2206038e029ea705');
  });

  it('writes negative int64 as ten bytes and zigzags sint fields', () => {
    expect(hex(new ProtobufWriter().varint(1, -1).finish())).toBe('08ffffffffffffffffff01');
    expect([0, -1, 1, -2, 2147483647, -2147483648].map((v) => zigzag(v))).toEqual([0n, 1n, 2n, 3n, 4294967294n, 4294967295n]);
    expect(hex(new ProtobufWriter().sint(1, -2).finish())).toBe('0803');
    expect(hex(new ProtobufWriter().varint(1, 2n ** 64n - 1n).finish())).toBe('08ffffffffffffffffff01');
    expect(hex(new ProtobufWriter().varint(1, 2 ** 40).finish())).toBe('08808080808020');
    expect(() => new ProtobufWriter().varint(1, 0.5)).toThrow(RangeError);
    expect(() => new ProtobufWriter().varint(0, 1)).toThrow(/Invalid field number 0/);
  });

  it('writes fixed-width fields little-endian and grows past its first buffer', () => {
    expect(hex(new ProtobufWriter().fixed32(1, 0x01020304).finish())).toBe('0d04030201');
    expect(hex(new ProtobufWriter().fixed64(1, 1n).finish())).toBe('090100000000000000');
    expect(hex(new ProtobufWriter().float(2, 1).finish())).toBe('150000803f');
    expect(hex(new ProtobufWriter().double(1, -2).finish())).toBe('0900000000000000c0');
    expect(hex(new ProtobufWriter().varint(1, true).finish())).toBe('0801');
    const big = new Uint8Array(1000).map((_, i) => i & 0xff);
    const out = new ProtobufWriter().bytes(1, big).finish();
    expect(out.length).toBe(1 + 2 + 1000);
    expect(hex(out.subarray(0, 3))).toBe('0ae807');
    expect(out.subarray(3)).toEqual(big);
  });
});

describe('crc32c', () => {
  it('matches published test vectors', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(crc32c(enc('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    // RFC 3720 (iSCSI) B.4: 32 bytes of zeros, of 0xFF, and ascending 0..31.
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(new Uint8Array(32).map((_, i) => i))).toBe(0x46dd794e);
    const data = new Uint8Array(1001).map((_, i) => (i * 31) & 0xff);
    expect(crc32cUpdate(crc32cUpdate(0, data.subarray(0, 333)), data.subarray(333))).toBe(crc32c(data));
    expect(maskCrc32c(0)).toBe(0xa282ead8);
  });

  it('agrees with a bitwise implementation at every length and alignment', () => {
    const bitwise = (b: Uint8Array) => {
      let crc = 0xffffffff;
      for (const byte of b) {
        crc ^= byte;
        for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
      }
      return (crc ^ 0xffffffff) >>> 0;
    };
    const data = new Uint8Array(80).map((_, i) => (i * 167 + 13) & 0xff);
    for (let start = 0; start < 8; start++) {
      for (let len = 0; len + start <= data.length; len += 3) {
        const view = data.subarray(start, start + len);
        if (crc32c(view) !== bitwise(view)) throw new Error(`mismatch at start ${start} length ${len}`);
      }
    }
    expect(crc32c(data)).toBe(bitwise(data));
  });
});
