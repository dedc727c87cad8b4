/**
 * Byte helpers for states, ROMs and checkpoints, built on typed-array-utils: every API that takes
 * bytes accepts any BufferSource (ArrayBuffer, Buffer, any typed array or DataView) and views it as
 * a Uint8Array without copying.
 */
import { bufferSourceToUint8Array, compareUint8Arrays, concatUint8Arrays } from 'typed-array-utils';

import { expectedMessage } from './validate.js';

/** True for ArrayBuffer, SharedArrayBuffer and every ArrayBuffer view. */
export function isBufferSource(value: unknown): value is BufferSource {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value) || (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer);
}

/** Views a BufferSource as bytes (no copy); TypeError naming `name` for anything else. */
export function toBytes(value: unknown, name: string): Uint8Array {
  if (!isBufferSource(value)) {
    throw new TypeError(expectedMessage('a BufferSource (Uint8Array, Buffer, ArrayBuffer or typed array)', name, value));
  }
  if (value instanceof Uint8Array) return value;
  return bufferSourceToUint8Array(value as BufferSource);
}

/** Concatenates byte arrays into a new Uint8Array. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return concatUint8Arrays(...parts);
}

/** Byte-for-byte equality of two byte arrays. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return compareUint8Arrays(a, b);
}
