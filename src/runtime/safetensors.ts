/**
 * The safetensors layout: an 8-byte little-endian header length, a JSON header (name → dtype,
 * shape, data_offsets; optional `__metadata__` of strings), then the raw little-endian data.
 * We write F32, F64, I64, I32, U8 and BOOL and read the same.
 */
import { type TensorData } from '../graph/tensor.js';
import { toBytes } from '../bytes.js';
import { expectedMessage } from '../validate.js';

/** A named tensor in a safetensors file. */
export interface StoredTensor {
  /** Shape. */
  shape: number[];
  /** Values; the typed array picks the dtype. */
  data: TensorData;
}

const CODES: [string, new (b: ArrayBuffer, o: number, n: number) => TensorData, number][] = [
  ['F32', Float32Array as never, 4],
  ['F64', Float64Array as never, 8],
  ['I64', BigInt64Array as never, 8],
  ['I32', Int32Array as never, 4],
  ['U8', Uint8Array as never, 1],
];

function codeOf(data: TensorData): string {
  for (const [code, ctor] of CODES) if (data.constructor === ctor) return code;
  throw new TypeError(`Expected a Float32Array, Float64Array, BigInt64Array, Int32Array or Uint8Array but received ${data.constructor.name}`);
}

/** Encodes tensors (in the given order) and string metadata. */
export function encodeSafetensors(tensors: ReadonlyMap<string, StoredTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new RangeError(`Tensor ${name} has shape [${t.shape.join(', ')}] but ${t.data.length} values`);
    header[name] = { dtype: codeOf(t.data), shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data starts 8-byte aligned (as the reference writer does).
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let pos = 8 + head.length;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
}

/** Decodes a safetensors file; errors say what is wrong with the bytes. */
export function decodeSafetensors(bytes: unknown): { tensors: Map<string, StoredTensor>; metadata: Record<string, string> } {
  const b = toBytes(bytes, 'safetensors bytes');
  if (b.length < 8) throw new RangeError(`Expected at least 8 bytes for safetensors bytes but received ${b.length}`);
  const len = Number(new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(0, true));
  if (len > b.length - 8) throw new RangeError(`Safetensors header length ${len} exceeds the file (${b.length} bytes)`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + len)));
  } catch (err) {
    throw new Error(`Safetensors header is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  // The header is checked field by field before use: valid JSON can still hold null, a string where
  // a shape belongs, or offsets outside the data (tests/runtime/safetensors.test.ts, the parser fuzzer).
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  const count = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (!isObject(header)) throw new TypeError(expectedMessage('a JSON object', 'the safetensors header', header));
  const base = 8 + len;
  const tensors = new Map<string, StoredTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isObject(entry) || !Object.values(entry).every((v) => typeof v === 'string'))
        throw new TypeError(expectedMessage('an object of strings', 'the safetensors __metadata__', entry));
      metadata = entry as Record<string, string>;
      continue;
    }
    if (!isObject(entry)) throw new TypeError(expectedMessage('an object { dtype, shape, data_offsets }', `safetensors tensor ${name}`, entry));
    const e = entry as { dtype: unknown; shape: unknown; data_offsets: unknown };
    const code = CODES.find((c) => c[0] === e.dtype);
    if (!code) throw new Error(`Safetensors tensor ${name} has unsupported dtype ${String(e.dtype)}`);
    if (!Array.isArray(e.shape) || !e.shape.every(count))
      throw new TypeError(expectedMessage('an array of integers >= 0', `safetensors tensor ${name}'s shape`, e.shape));
    if (!Array.isArray(e.data_offsets) || e.data_offsets.length !== 2 || !e.data_offsets.every(count) || e.data_offsets[0] > e.data_offsets[1])
      throw new TypeError(expectedMessage('[begin, end] with integers 0 <= begin <= end', `safetensors tensor ${name}'s data_offsets`, e.data_offsets));
    const [begin, end] = e.data_offsets as [number, number];
    const n = (e.shape as number[]).reduce((x, y) => x * y, 1);
    if (end - begin !== n * code[2] || base + end > b.length)
      throw new RangeError(`Safetensors tensor ${name} has offsets [${begin}, ${end}] that do not fit its shape or the file`);
    // Copy into an aligned buffer (the data section need not be aligned for this dtype).
    const buf = b.slice(base + begin, base + end).buffer as ArrayBuffer;
    tensors.set(name, { shape: [...(e.shape as number[])], data: new code[1](buf, 0, n) });
  }
  return { tensors, metadata };
}
