/**
 * TensorBoard event files written by us (the npm TensorBoard writers need native TensorFlow).
 *
 * A file is a sequence of TFRecords: uint64 length (LE), masked CRC-32C of those 8 bytes, the
 * payload, masked CRC-32C of the payload. Each payload is an `Event` protocol buffer:
 *   Event { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
 *   Summary { repeated Value value = 1; }
 *   Value { string tag = 1; float simple_value = 2; HistogramProto histo = 5; }
 *   HistogramProto { double min = 1; max = 2; num = 3; sum = 4; sum_squares = 5;
 *                    repeated double bucket_limit = 6 [packed]; repeated double bucket = 7 [packed]; }
 * The first record carries `file_version: "brain.Event:2"`.
 */
import { mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { crc32c, maskCrc32c } from '../util/crc32c.js';
import { ProtobufWriter } from '../util/protobuf-writer.js';
import { expectInteger, expectNumber, expectedMessage } from '../validate.js';
import { fileWriteError, flushSyncClose } from './atomic-file.js';

/** Options of {@link TensorBoardWriter}. */
export interface TensorBoardWriterOptions {
  /** Wall clock in milliseconds (injectable for tests). Default `Date.now`. */
  now?: () => number;
  /** Records buffered before a write to disk; 1 writes every event at once. Default 32. */
  flushEvery?: number;
  /**
   * Also write buffered records when this many seconds passed since the last write, so a slow run
   * shows its scalars within seconds and a crash loses at most that much. Default 5.
   */
  flushSeconds?: number;
  /** Appended to the file name, e.g. `.learner`. Default ''. */
  filenameSuffix?: string;
}

/** Options of {@link TensorBoardWriter.addHistogram}. */
export interface HistogramOptions {
  /** Number of equal-width buckets between the minimum and maximum. Default 30. */
  bins?: number;
  /** Wall time in ms for this event. Default now. */
  wallTimeMs?: number;
}

/** Frames one TFRecord around `data`. */
export function encodeTfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskCrc32c(crc32c(out.subarray(0, 8))), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskCrc32c(crc32c(data)), true);
  return out;
}

/** Encodes an Event carrying scalar values. */
export function encodeScalarEvent(wallTimeMs: number, step: number, scalars: Record<string, number>): Uint8Array {
  const w = new ProtobufWriter().double(1, wallTimeMs / 1000).varint(2, step);
  w.message(5, (summary) => {
    for (const [tag, value] of Object.entries(scalars)) {
      summary.message(1, (v) => v.string(1, tag).float(2, value));
    }
  });
  return w.finish();
}

/** Writes one TensorBoard event file in `logDir` (created if missing). Synchronous, buffered. */
export class TensorBoardWriter {
  /** Path of the event file. */
  readonly path: string;
  #fd: number | null;
  #pending: Uint8Array[] = [];
  #now: () => number;
  #flushEvery: number;
  #flushMs: number;
  #lastFlush: number;

  /** Creates the file and writes its `file_version` record. */
  constructor(logDir: string, options: TensorBoardWriterOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#flushEvery = expectInteger(options.flushEvery ?? 32, 'flushEvery', 1, 1_000_000);
    this.#flushMs = expectNumber(options.flushSeconds ?? 5, 'flushSeconds', 0, 86_400) * 1000;
    try {
      mkdirSync(logDir, { recursive: true });
    } catch (err) {
      throw fileWriteError(err, logDir);
    }
    const t = this.#now();
    this.#lastFlush = t;
    // One file per writer: a second writer in the same second and process gets a counter.
    let path = '';
    let fd: number | null = null;
    for (let k = 0; fd === null; k++) {
      path = join(logDir, `events.out.tfevents.${Math.floor(t / 1000)}.${hostname()}.${process.pid}${k ? `.${k}` : ''}${options.filenameSuffix ?? ''}`);
      try {
        fd = openSync(path, 'wx');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || k > 1000) throw err;
      }
    }
    this.path = path;
    this.#fd = fd;
    this.#push(
      new ProtobufWriter()
        .double(1, t / 1000)
        .varint(2, 0)
        .string(3, 'brain.Event:2')
        .finish(),
    );
    this.flush();
  }

  /** Logs one scalar. */
  addScalar(tag: string, value: number, step: number, wallTimeMs = this.#now()): void {
    this.addScalars({ [tag]: value }, step, wallTimeMs);
  }

  /** Logs several scalars at one step in one event (non-finite values are logged as they are: TensorBoard shows NaN). */
  addScalars(scalars: Record<string, number>, step: number, wallTimeMs = this.#now()): void {
    expectInteger(step, 'step', 0, Number.MAX_SAFE_INTEGER);
    for (const [tag, value] of Object.entries(scalars)) {
      if (typeof value !== 'number') throw new TypeError(expectedMessage('a number', `scalar '${tag}'`, value));
    }
    this.#push(encodeScalarEvent(wallTimeMs, step, scalars));
  }

  /** Logs a histogram of `values` (finite ones) with equal-width buckets. */
  addHistogram(tag: string, values: ArrayLike<number>, step: number, options: HistogramOptions = {}): void {
    expectInteger(step, 'step', 0, Number.MAX_SAFE_INTEGER);
    const bins = expectInteger(options.bins ?? 30, 'bins', 1, 10_000);
    let min = Infinity;
    let max = -Infinity;
    let num = 0;
    let sum = 0;
    let sumSquares = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
      num++;
      sum += v;
      sumSquares += v * v;
    }
    if (num === 0) {
      min = 0;
      max = 0;
    }
    const limits = new Float64Array(bins);
    const counts = new Float64Array(bins);
    const width = (max - min) / bins;
    for (let b = 0; b < bins; b++) limits[b] = b === bins - 1 ? max : min + width * (b + 1);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isFinite(v)) continue;
      const b = width > 0 ? Math.min(bins - 1, Math.floor((v - min) / width)) : bins - 1;
      counts[b]++;
    }
    const wallTimeMs = expectNumber(options.wallTimeMs ?? this.#now(), 'wallTimeMs');
    const event = new ProtobufWriter().double(1, wallTimeMs / 1000).varint(2, step);
    event.message(5, (summary) =>
      summary.message(1, (v) =>
        v
          .string(1, tag)
          .message(5, (h) =>
            h.double(1, min).double(2, max).double(3, num).double(4, sum).double(5, sumSquares).packedDoubles(6, limits).packedDoubles(7, counts),
          ),
      ),
    );
    this.#push(event.finish());
  }

  #push(event: Uint8Array): void {
    if (this.#fd === null) throw new Error(`TensorBoardWriter for ${this.path} is closed`);
    this.#pending.push(encodeTfRecord(event));
    if (this.#pending.length >= this.#flushEvery || this.#now() - this.#lastFlush >= this.#flushMs) this.flush();
  }

  /** Writes buffered records to the file (a failure names it). */
  flush(): void {
    this.#lastFlush = this.#now();
    if (this.#fd === null || this.#pending.length === 0) return;
    try {
      for (const record of this.#pending) writeSync(this.#fd, record);
    } catch (err) {
      throw fileWriteError(err, this.path);
    }
    this.#pending = [];
  }

  /** Flushes, syncs and closes the file (closed even when the last write fails); further writes throw. */
  close(): void {
    if (this.#fd === null) return;
    try {
      flushSyncClose(this.#fd, () => this.flush(), this.path);
    } finally {
      this.#fd = null;
    }
  }
}
