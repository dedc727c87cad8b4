/**
 * Messages between the session runner (main thread) and its worker thread. Tensors travel as
 * typed arrays (copied in, transferred out).
 */
import { type HostTensor } from '../graph/session.js';

/** Where sessions run. */
export type Device = 'cpu' | 'cuda';
/** A device setting: a {@link Device}, or 'auto' (CUDA when its provider loads, else the CPU with a warning). */
export type DeviceSetting = 'auto' | Device;

/** Main → worker. */
export type WorkerRequest =
  | { id: number; type: 'probe'; device: Device }
  | { id: number; type: 'load'; key: string; model: Uint8Array; device: Device; threads: number }
  | { id: number; type: 'run'; key: string; feeds: Record<string, HostTensor>; outputs?: string[] }
  | { id: number; type: 'release'; key: string };

/** A request before the runner numbers it. */
export type WorkerRequestBody = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** Worker → main. */
export type WorkerReply = { id: number; ok: true; outputs?: Record<string, HostTensor>; version?: string } | { id: number; ok: false; error: string };
