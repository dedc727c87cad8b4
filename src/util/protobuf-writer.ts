/**
 * A minimal protocol-buffers wire-format writer (proto2/proto3 encoding rules): varints, zigzag,
 * fixed32/64, float, double, length-delimited bytes/strings, packed repeated scalars and nested
 * messages. Generic on purpose: the ONNX writer and the TensorBoard event writer both use it.
 *
 * Fields are written in call order. Nested messages are built with their own writer and embedded
 * with {@link ProtobufWriter.message}, which writes the length prefix.
 */

/** Wire types of the protobuf encoding. */
export const WireType = { varint: 0, fixed64: 1, lengthDelimited: 2, fixed32: 5 } as const;

const textEncoder = new TextEncoder();

/** Growable byte buffer with protobuf field encoders. */
export class ProtobufWriter {
  #buf = new Uint8Array(64);
  #view = new DataView(this.#buf.buffer);
  #len = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.#len;
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  /** Raw unsigned varint (up to 64 bits; pass a bigint above 2^53). Negative numbers are written as 64-bit two's complement, as int32/int64 require. */
  rawVarint(value: number | bigint): this {
    let v = typeof value === 'bigint' ? value : BigInt(assertInteger(value));
    if (v < 0n) v = BigInt.asUintN(64, v);
    if (v >= 1n << 64n) throw new RangeError(`Varint out of range: ${value}`);
    this.#reserve(10);
    if (v < 0x80000000n) {
      let n = Number(v);
      while (n >= 0x80) {
        this.#buf[this.#len++] = (n & 0x7f) | 0x80;
        n >>>= 7;
      }
      this.#buf[this.#len++] = n;
      return this;
    }
    while (v >= 0x80n) {
      this.#buf[this.#len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.#buf[this.#len++] = Number(v);
    return this;
  }

  /** Field key: (field number << 3) | wire type. */
  tag(field: number, wireType: number): this {
    if (!Number.isInteger(field) || field < 1 || field > 0x1fffffff) throw new RangeError(`Invalid field number ${field}`);
    return this.rawVarint(field * 8 + wireType);
  }

  /** Raw bytes, no prefix. */
  rawBytes(bytes: Uint8Array): this {
    this.#reserve(bytes.length);
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.length;
    return this;
  }

  /** int32/int64/uint32/uint64/bool/enum field (varint). */
  varint(field: number, value: number | bigint | boolean): this {
    return this.tag(field, WireType.varint).rawVarint(typeof value === 'boolean' ? (value ? 1 : 0) : value);
  }

  /** sint32/sint64 field (zigzag varint). */
  sint(field: number, value: number | bigint): this {
    return this.tag(field, WireType.varint).rawVarint(zigzag(value));
  }

  /** fixed32/sfixed32 field (little-endian 4 bytes). */
  fixed32(field: number, value: number): this {
    this.tag(field, WireType.fixed32);
    this.#reserve(4);
    this.#view.setUint32(this.#len, value >>> 0, true);
    this.#len += 4;
    return this;
  }

  /** fixed64/sfixed64 field (little-endian 8 bytes). */
  fixed64(field: number, value: number | bigint): this {
    this.tag(field, WireType.fixed64);
    this.#reserve(8);
    this.#view.setBigUint64(this.#len, BigInt.asUintN(64, BigInt(value)), true);
    this.#len += 8;
    return this;
  }

  /** float field (IEEE 754 single, little-endian). */
  float(field: number, value: number): this {
    this.tag(field, WireType.fixed32);
    this.#reserve(4);
    this.#view.setFloat32(this.#len, value, true);
    this.#len += 4;
    return this;
  }

  /** double field (IEEE 754 double, little-endian). */
  double(field: number, value: number): this {
    this.tag(field, WireType.fixed64);
    this.#reserve(8);
    this.#view.setFloat64(this.#len, value, true);
    this.#len += 8;
    return this;
  }

  /** bytes field (length-delimited). */
  bytes(field: number, bytes: Uint8Array): this {
    return this.tag(field, WireType.lengthDelimited).rawVarint(bytes.length).rawBytes(bytes);
  }

  /** string field (UTF-8, length-delimited). */
  string(field: number, text: string): this {
    return this.bytes(field, textEncoder.encode(text));
  }

  /** Embedded message field: `build` writes the nested message's fields into a fresh writer. */
  message(field: number, build: (w: ProtobufWriter) => void): this {
    const inner = new ProtobufWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  /** Packed repeated double field. */
  packedDoubles(field: number, values: ArrayLike<number>): this {
    const bytes = new Uint8Array(values.length * 8);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i], true);
    return this.bytes(field, bytes);
  }

  /** Packed repeated float field. */
  packedFloats(field: number, values: ArrayLike<number>): this {
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
    return this.bytes(field, bytes);
  }

  /** Packed repeated varint field (int32/int64/uint/bool/enum). */
  packedVarints(field: number, values: ArrayLike<number | bigint>): this {
    const inner = new ProtobufWriter();
    for (let i = 0; i < values.length; i++) inner.rawVarint(values[i]);
    return this.bytes(field, inner.finish());
  }

  /** A copy of the bytes written. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

/** ZigZag encoding of a signed 64-bit integer (as used by sint32/sint64). */
export function zigzag(value: number | bigint): bigint {
  const v = BigInt.asIntN(64, typeof value === 'bigint' ? value : BigInt(assertInteger(value)));
  return BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
}

function assertInteger(value: number): number {
  if (!Number.isSafeInteger(value)) throw new RangeError(`Expected a safe integer for a varint but received ${value}`);
  return value;
}
