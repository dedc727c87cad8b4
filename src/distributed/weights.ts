/**
 * A weights version on the wire: what the learner publishes after each update and actors read, as
 * messages of the weights stream (src/distributed/broker.ts):
 *
 *   chunk 0 … chunk K−1   the safetensors bytes cut at `chunkBytes` (≤ the broker's max_payload),
 *                         one message each on subject NS.weights.chunk.<i>
 *   manifest              published last, on NS.weights.head: JSON { bytes, sha256, chunks: [stream
 *                         sequence of each chunk], metadata } — a version exists once its manifest does
 *
 * A reader takes the newest manifest, then its chunks by stream sequence, and checks length and
 * SHA-256 (node:crypto: native, ≈ 1–2 ms per MB where the object store client's JavaScript SHA-256
 * took ≈ 22 ms). A chunk gone meanwhile (the stream keeps a few versions) means a newer version
 * is in: the reader starts again from the newest manifest. A digest that does not match is
 * corruption, not a race (stream sequences are never reused), and fails the read.
 */
import { createHash } from 'node:crypto';

import { concatBytes } from '../bytes.js';
import { expectedMessage } from '../validate.js';

/** The manifest of one weights version. */
export interface WeightsManifest {
  /** Length of the weights in bytes. */
  bytes: number;
  /** SHA-256 of the weights, hex. */
  sha256: string;
  /** Stream sequence of each chunk, in order. */
  chunks: number[];
  /** The learner's word on this version (`version`, `runId`, `streamSeq`). */
  metadata: Record<string, string>;
}

/** SHA-256 of `data`, hex (node:crypto). */
export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `data` cut into views of at most `chunkBytes` (no copies); one empty chunk for no bytes. */
export function splitChunks(data: Uint8Array, chunkBytes: number): Uint8Array[] {
  if (!(Number.isInteger(chunkBytes) && chunkBytes > 0)) throw new RangeError(expectedMessage('a positive integer', 'chunkBytes', chunkBytes));
  const out: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += chunkBytes) out.push(data.subarray(at, Math.min(at + chunkBytes, data.length)));
  return out.length ? out : [data.subarray(0, 0)];
}

/** The manifest's message body. */
export function encodeManifest(m: WeightsManifest): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(m));
}

/** Reads a manifest message; throws a RangeError naming what is wrong. */
export function decodeManifest(body: Uint8Array): WeightsManifest {
  const bad = (what: string, received: unknown) => new RangeError(expectedMessage(what, 'weights manifest', received));
  let m: WeightsManifest;
  try {
    m = JSON.parse(new TextDecoder().decode(body)) as WeightsManifest;
  } catch {
    throw bad('JSON', 'unparsable JSON');
  }
  if (typeof m !== 'object' || m === null) throw bad('an object', m);
  if (!Number.isSafeInteger(m.bytes) || m.bytes < 0) throw bad('an integer bytes ≥ 0', m.bytes);
  if (typeof m.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.sha256)) throw bad('a hex sha256', m.sha256);
  if (!Array.isArray(m.chunks) || m.chunks.length === 0 || !m.chunks.every((s) => Number.isSafeInteger(s) && s > 0))
    throw bad('a non-empty array of stream sequences for chunks', m.chunks);
  if (typeof m.metadata !== 'object' || m.metadata === null || Object.values(m.metadata).some((v) => typeof v !== 'string'))
    throw bad('string metadata', m.metadata);
  return m;
}

/** The weights from `chunks` (in the manifest's order), checked against the manifest's length and SHA-256. */
export function assembleWeights(m: WeightsManifest, chunks: Uint8Array[]): Uint8Array {
  const what = `weights version ${m.metadata.version ?? '?'}`;
  const length = chunks.reduce((s, c) => s + c.length, 0);
  if (chunks.length !== m.chunks.length || length !== m.bytes)
    throw new RangeError(expectedMessage(`${m.chunks.length} chunks of ${m.bytes} bytes`, what, `${chunks.length} chunks of ${length} bytes`));
  const out = concatBytes(...chunks);
  const digest = sha256Hex(out);
  if (digest !== m.sha256) throw new RangeError(`Expected SHA-256 ${m.sha256} for ${what} but received ${digest}: corrupted on the broker`);
  return out;
}
