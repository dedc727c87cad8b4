/**
 * The saved form of a PrioritizedReplay (`exportState` / `importState`, docs/replay.md "Saving and
 * restoring"): a JSON-able header and named sections of raw bytes, each the little-endian bytes of
 * one storage array, so a checkpoint writer can store them as they are.
 *
 * This file owns the format: the header's type, the list of sections with their dtype and shape
 * ({@link replayStateLayout}), and the checks that turn a foreign object into typed views or a
 * clear error. It holds no state.
 */
import type { NStepAccumulatorState } from '../algos/nstep.js';
import { describe, expectedMessage, expectInteger, expectNumber } from '../validate.js';
import type { ResolvedReplayOptions } from './replay-options.js';
import { KNOWN_FLAGS, READY } from './transition-store.js';

export const REPLAY_STATE_FORMAT = 'mario-rl/prioritized-replay';
export const REPLAY_STATE_VERSION = 1;

/** Element type of a section ('float16': IEEE half bits, read as Uint16Array). */
export type ReplayStateDtype = 'uint8' | 'int32' | 'float16' | 'float32' | 'float64';

/** One section's element type and shape (its byte length is the product of both). */
export interface ReplayStateSection {
  dtype: ReplayStateDtype;
  shape: number[];
}

/** JSON-able part of a saved replay. */
export interface ReplayStateHeader {
  format: typeof REPLAY_STATE_FORMAT;
  version: typeof REPLAY_STATE_VERSION;
  /** Every option as resolved; a restore needs the same values except `device` and `framesPerChunk`. */
  options: ResolvedReplayOptions;
  /** dtype and shape of every section, as {@link replayStateLayout} lists them. */
  sections: Record<string, ReplayStateSection>;
  /** `begin` has run. */
  begun: boolean;
  /** Transitions ever added (stats().pushTotal). */
  pushTotal: number;
  /** Sampleable transitions (the slots flagged ready). */
  size: number;
  /** `sample` calls so far: β's progress, and the sampling stream's position (one draw per call). */
  sampleCalls: number;
  /** stats().uniqueRatio. */
  lastUniqueRatio: number;
  /** Sum of every sample's unique ratio (stats().uniqueRatioMean · sampleCalls). */
  uniqueRatioSum: number;
  /** stats().maxPriority. */
  maxPriority: number;
  /** 1 + the largest tree index ever set: the length of section `priorities`. */
  treeFilled: number;
  /** Open n-step windows of every lane (rewards not yet part of a known return). */
  nStep: NStepAccumulatorState;
}

/** A saved replay: the header and the sections' bytes. */
export interface ReplayState {
  header: ReplayStateHeader;
  sections: Record<string, Uint8Array>;
}

const DTYPE_BYTES: Record<ReplayStateDtype, number> = { uint8: 1, int32: 4, float16: 2, float32: 4, float64: 8 };

type View = Uint8Array | Uint16Array | Int32Array | Float32Array | Float64Array;
const DTYPE_ARRAY = {
  uint8: Uint8Array,
  int32: Int32Array,
  float16: Uint16Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

/**
 * Every section of a replay with these options (C = capacity, N = numEnvs, R = framesPerChunk):
 * `frames.<k>` uint8 [rows, H, W] (rows k·R onwards, as stored in chunks), per slot `actions` int32,
 * `returns` float32 or float16, `nextOffset` uint8, `flags` uint8, `epStep` int32, `episode` int32
 * (each [C]), per lane `head` float64 and `laneEpisode` int32 (each [N]), and the tree's leaf
 * `priorities` float64 [treeFilled].
 */
export function replayStateLayout(o: ResolvedReplayOptions, treeFilled: number): Record<string, ReplayStateSection> {
  const C = o.capacity;
  const [H, W] = o.frameShape;
  const layout: Record<string, ReplayStateSection> = {};
  for (let k = 0, start = 0; start < C; k++, start += o.framesPerChunk) {
    layout[`frames.${k}`] = { dtype: 'uint8', shape: [Math.min(o.framesPerChunk, C - start), H, W] };
  }
  layout.actions = { dtype: 'int32', shape: [C] };
  layout.returns = { dtype: o.scalarDtype, shape: [C] };
  layout.nextOffset = { dtype: 'uint8', shape: [C] };
  layout.flags = { dtype: 'uint8', shape: [C] };
  layout.epStep = { dtype: 'int32', shape: [C] };
  layout.episode = { dtype: 'int32', shape: [C] };
  layout.head = { dtype: 'float64', shape: [o.numEnvs] };
  layout.laneEpisode = { dtype: 'int32', shape: [o.numEnvs] };
  layout.priorities = { dtype: 'float64', shape: [treeFilled] };
  return layout;
}

/** The bytes of a typed array, without copying. */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Returns value as a plain object or throws the standard TypeError. */
export function expectRecord(value: unknown, name: string, what = 'an object'): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw new TypeError(expectedMessage(what, name, value));
  }
  return value as Record<string, unknown>;
}

/** Checks the envelope (format, version) and returns header and sections as records. */
export function expectReplayState(state: unknown): { header: Record<string, unknown>; sections: Record<string, unknown> } {
  const s = expectRecord(state, 'state', 'a replay state { header, sections }');
  const header = expectRecord(s.header, 'state.header');
  const sections = expectRecord(s.sections, 'state.sections');
  if (header.format !== REPLAY_STATE_FORMAT) {
    throw new RangeError(expectedMessage(`'${REPLAY_STATE_FORMAT}'`, 'state.header.format', header.format));
  }
  if (header.version !== REPLAY_STATE_VERSION) {
    throw new RangeError(expectedMessage(`version ${REPLAY_STATE_VERSION}`, 'state.header.version', header.version));
  }
  expectRecord(header.options, 'state.header.options');
  return { header, sections };
}

/**
 * Checks the header's counters and its section table against the layout of `options`; returns the
 * header typed. Everything that names a storage size must agree exactly.
 */
export function checkStateHeader(h: Record<string, unknown>, options: ResolvedReplayOptions): ReplayStateHeader {
  const C = options.capacity;
  const name = (field: string) => `state.header.${field}`;
  if (typeof h.begun !== 'boolean') throw new TypeError(expectedMessage('a boolean', name('begun'), h.begun));
  expectInteger(h.pushTotal, name('pushTotal'), 0, Number.MAX_SAFE_INTEGER);
  expectInteger(h.size, name('size'), 0, C);
  expectInteger(h.sampleCalls, name('sampleCalls'), 0, Number.MAX_SAFE_INTEGER);
  expectNumber(h.lastUniqueRatio, name('lastUniqueRatio'), 0, 1);
  expectNumber(h.uniqueRatioSum, name('uniqueRatioSum'), 0, Number.MAX_VALUE);
  expectNumber(h.maxPriority, name('maxPriority'), 1, Number.MAX_VALUE);
  const filled = expectInteger(h.treeFilled, name('treeFilled'), 0, C);
  expectRecord(h.nStep, name('nStep'));
  // Frames are saved in the saver's chunks; the restoring replay may chunk them differently.
  const saved = h.options as Record<string, unknown>;
  const rows = expectInteger(saved.framesPerChunk, 'state.header.options.framesPerChunk', 1, 2 ** 30);
  if ((rows & (rows - 1)) !== 0) throw new RangeError(expectedMessage('a power of two', 'state.header.options.framesPerChunk', rows));
  const want = replayStateLayout({ ...options, framesPerChunk: rows }, filled);
  const got = expectRecord(h.sections, name('sections'));
  for (const key of new Set([...Object.keys(want), ...Object.keys(got)])) {
    if (!sameSection(want[key], got[key])) {
      const what = want[key] ? describeSection(want[key]) : 'no such section';
      throw new RangeError(`Expected ${what} for ${name(`sections['${key}']`)} but received ${describeValue(got[key])}`);
    }
  }
  // The canonical table (its key order is the frames' chunk order).
  return { ...h, sections: want } as unknown as ReplayStateHeader;
}

function sameSection(want: ReplayStateSection | undefined, got: unknown): boolean {
  const g = got as Partial<ReplayStateSection> | undefined;
  return (
    want !== undefined &&
    g !== null &&
    typeof g === 'object' &&
    g.dtype === want.dtype &&
    Array.isArray(g.shape) &&
    g.shape.length === want.shape.length &&
    g.shape.every((d, k) => d === want.shape[k])
  );
}

function describeSection(s: ReplayStateSection): string {
  return `${s.dtype} [${s.shape.join(', ')}]`;
}

function describeValue(v: unknown): string {
  const r = v as Partial<ReplayStateSection> | undefined;
  if (r && typeof r === 'object' && typeof r.dtype === 'string' && Array.isArray(r.shape)) return describeSection(r as ReplayStateSection);
  return describe(v);
}

/**
 * Typed views of a state's sections, checked against a layout: every section present, a Uint8Array
 * of exactly dtype bytes × shape, and no unknown section. A view is zero-copy when its bytes are
 * aligned for its dtype, else an aligned copy.
 */
export class SectionReader {
  readonly #sections: Record<string, unknown>;
  readonly #layout: Record<string, ReplayStateSection>;

  constructor(sections: Record<string, unknown>, layout: Record<string, ReplayStateSection>) {
    for (const key of Object.keys(sections)) {
      if (!(key in layout)) throw new RangeError(expectedMessage('a section named in state.header.sections', `state.sections['${key}']`, sections[key]));
    }
    for (const [key, spec] of Object.entries(layout)) {
      const bytes = spec.shape.reduce((a, b) => a * b, DTYPE_BYTES[spec.dtype]);
      const v = sections[key];
      const what = `a Uint8Array of ${bytes} bytes (${describeSection(spec)})`;
      if (!(v instanceof Uint8Array)) throw new TypeError(expectedMessage(what, `state.sections['${key}']`, v));
      if (v.byteLength !== bytes) throw new RangeError(expectedMessage(what, `state.sections['${key}']`, v));
    }
    this.#sections = sections;
    this.#layout = layout;
  }

  /** The section as an array of its dtype. */
  view(key: string): View {
    const bytes = this.#sections[key] as Uint8Array;
    const Ctor = DTYPE_ARRAY[this.#layout[key].dtype];
    const size = Ctor.BYTES_PER_ELEMENT;
    if (bytes.byteOffset % size === 0) return new Ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / size);
    const copy = new Ctor(bytes.byteLength / size);
    bytesOf(copy).set(bytes);
    return copy;
  }

  /** The section's bytes as given. */
  bytes(key: string): Uint8Array {
    return this.#sections[key] as Uint8Array;
  }
}

/** Typed views of the sections {@link checkStateContents} reads. */
export interface StateViews {
  flags: ArrayLike<number>;
  nextOffset: ArrayLike<number>;
  epStep: ArrayLike<number>;
  head: ArrayLike<number>;
  laneEpisode: ArrayLike<number>;
  priorities: Float64Array;
}

/**
 * Cross-checks a state's sections against its header, so that a restored replay is one a replay
 * could have reached: known flag bits, offsets within nStep, finite priorities that are 0 on every
 * slot not sampleable, `size` ready slots, one open n-step window per step of each lane's running
 * episode (fewer than nStep).
 */
export function checkStateContents(h: ReplayStateHeader, v: StateViews, o: ResolvedReplayOptions): void {
  const L = o.capacity / o.numEnvs;
  const bad = (what: string, name: string, value: unknown) => new RangeError(expectedMessage(what, name, value));
  let ready = 0;
  for (let i = 0; i < o.capacity; i++) {
    const f = v.flags[i];
    if (f & ~KNOWN_FLAGS) throw bad('a combination of the flag bits 1, 2, 4', `state.sections['flags'][${i}]`, f);
    if (v.nextOffset[i] > o.nStep) throw bad(`an offset in [0, ${o.nStep}]`, `state.sections['nextOffset'][${i}]`, v.nextOffset[i]);
    const p = i < v.priorities.length ? v.priorities[i] : 0;
    if (!(p >= 0 && p < Infinity)) throw bad('a finite priority >= 0', `state.sections['priorities'][${i}]`, p);
    if (f & READY) ready++;
    else if (p !== 0) throw bad('priority 0 (the slot is not sampleable)', `state.sections['priorities'][${i}]`, p);
    if (f & READY && i >= v.priorities.length) throw bad(`a sampleable slot below treeFilled (${v.priorities.length})`, `state.sections['flags'][${i}]`, f);
  }
  if (h.sampleCalls > 0 && v.priorities.length === 0) {
    throw bad('0 sample calls (the state has no priorities)', 'state.header.sampleCalls', h.sampleCalls);
  }
  if (ready !== h.size) throw bad(`${h.size} sampleable slots (state.header.size)`, "the ready flags of state.sections['flags']", ready);
  if (h.nStep.step * o.numEnvs !== h.pushTotal) {
    throw bad(`${h.pushTotal / o.numEnvs} staged steps (pushTotal / numEnvs)`, 'state.header.nStep.step', h.nStep.step);
  }
  const pending: unknown = h.nStep.pending;
  if (!Array.isArray(pending) || pending.length !== o.numEnvs) {
    throw bad(`an array of ${o.numEnvs} lanes`, 'state.header.nStep.pending', pending);
  }
  for (let lane = 0; lane < o.numEnvs; lane++) {
    const head = v.head[lane];
    if (!Number.isSafeInteger(head) || head < 0) throw bad('a position >= 0', `state.sections['head'][${lane}]`, head);
    if (v.laneEpisode[lane] < 0) throw bad('an episode count >= 0', `state.sections['laneEpisode'][${lane}]`, v.laneEpisode[lane]);
    // Open windows: one per step of the running episode, fewer than nStep.
    const open = h.begun ? Math.min(v.epStep[lane * L + (head % L)], o.nStep - 1) : 0;
    const got: unknown = pending[lane];
    if (!Array.isArray(got) || got.length !== open) {
      throw bad(`${open} pending rewards (the lane's running episode)`, `state.header.nStep.pending[${lane}]`, got);
    }
  }
}
