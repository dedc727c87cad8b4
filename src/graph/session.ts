/**
 * Thin helpers over onnxruntime-node for running built graphs in-process (tests, the worker, the
 * CLI). Training code runs sessions in the worker (src/runtime/session-worker.ts), never on the main thread.
 */
import * as ort from 'onnxruntime-node';

import { type DType, type TensorData } from './tensor.js';

/** A host tensor: typed array plus shape. */
export interface HostTensor {
  /** Element type. */
  dtype: DType;
  /** Shape. */
  dims: readonly number[];
  /** Values (row-major). bool tensors use Uint8Array. */
  data: TensorData;
}

/** Options for `createSession`. */
export interface SessionOptions {
  /** Threads for one op (default 2; this project's machines share cores). */
  intraOpNumThreads?: number;
  /** Execution providers in order of preference (default ['cpu']). */
  executionProviders?: string[];
}

/** [async] Creates an ORT session from model bytes. Throws ORT's error on an invalid model. */
export async function createSession(model: Uint8Array, options: SessionOptions = {}): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(model, {
    intraOpNumThreads: options.intraOpNumThreads ?? 2,
    interOpNumThreads: 1,
    executionProviders: options.executionProviders ?? ['cpu'],
    graphOptimizationLevel: 'all',
    // Idle pool threads sleep instead of spinning (shared cores, see src/runtime/session-worker.ts).
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
}

const ORT_TYPE: Record<DType, ort.Tensor.Type> = {
  float32: 'float32',
  float64: 'float64',
  int64: 'int64',
  int32: 'int32',
  uint8: 'uint8',
  bool: 'bool',
};

/** Wraps a host tensor for ORT without copying. */
export function toOrt(t: HostTensor): ort.Tensor {
  return new ort.Tensor(ORT_TYPE[t.dtype], t.data as never, [...t.dims]);
}

/** Converts an ORT output back to a host tensor. */
export function fromOrt(t: ort.Tensor): HostTensor {
  const dtype = (Object.keys(ORT_TYPE) as DType[]).find((k) => ORT_TYPE[k] === t.type) ?? 'float32';
  return { dtype, dims: [...t.dims], data: t.data as TensorData };
}

/** [async] Runs `session` on host feeds; returns every output as a host tensor. */
export async function runSession(
  session: ort.InferenceSession,
  feeds: Record<string, HostTensor>,
  outputs?: readonly string[],
): Promise<Record<string, HostTensor>> {
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = toOrt(v);
  const res = outputs ? await session.run(ortFeeds, [...outputs]) : await session.run(ortFeeds);
  const out: Record<string, HostTensor> = {};
  for (const [k, v] of Object.entries(res)) out[k] = fromOrt(v as ort.Tensor);
  return out;
}

/** The onnxruntime-node version in use. */
export function ortVersion(): string {
  return ort.env.versions?.common ?? 'unknown';
}
