/**
 * `JsnesCore`: the jsnes emulator (pure JavaScript) behind the same raw interface as the native
 * `NesCore` (`NativeNesCore` in native.ts), so `Nes` and the jsnes VecEnv drive either one.
 *
 * What it keeps identical to the native core: the frame boundary (jsnes's `frame()` also returns
 * at the start of vertical blank, so RAM read after `stepFrame(b)` reflects `b`), the joypad byte
 * (A=0x01 ... RIGHT=0x80), live `ramView()`/`frameView()` arrays, frames as palette indices 0..63
 * (jsnes's palette table is replaced by one that returns the index itself), power-on RAM choices
 * and the ROM checks' messages (ines.ts).
 *
 * What differs: emulation details (jsnes is another emulator: RAM and frames need not match the
 * native core byte for byte), `render: false` still renders (jsnes cannot skip pixels; the frame
 * view is only updated when asked), save states are jsnes's own (format below), and the CPU trace
 * facility (`cpu`, `setCpu`, `stepInstruction`, `traceLine`, `cpuCycles`) is native-only.
 *
 * Save states (`JSNES_STATE_MAGIC`, version `JSNES_STATE_VERSION`), little-endian:
 *   0 magic "MRJS" | 4 u32 version | 8 16 hex digits of the ROM's FNV-1a 64 (ASCII) |
 *   24 u32 frame count | 28 u32 buttons held | 32 u32 JSON bytes | 36 u32 blob count |
 *   40 JSON (jsnes's toJSON() with every long integer array replaced by {"$blob": i}) |
 *   then per blob: u32 kind (1 u8, 2 u16, 4 i32, 8 f64), u32 length, data, padded to 8 bytes;
 *   zeros up to `stateSize()` (fixed per console: the first state's size plus slack).
 * Loading checks the magic (naming the native format "MRNS" when it finds it), the version, the
 * ROM hash and the length, and leaves the console unchanged when any check fails.
 *
 * Ownership: one JsnesCore per lane or `Nes`; not shared between callers.
 */
import { NES } from 'jsnes';

import type { NativeCpuState, NativeNesCore } from '../native.js';
import { parseInes } from './ines.js';
import { NES_PALETTE_RGB } from './palette.js';

/** First four bytes of a jsnes-backend save state. */
export const JSNES_STATE_MAGIC = 'MRJS';
/** First four bytes of a native-backend save state (docs/nes-core.md). */
export const NATIVE_STATE_MAGIC = 'MRNS';
/** Version of the jsnes-backend state layout; bumped when it changes. */
export const JSNES_STATE_VERSION = 1;

const HEADER_BYTES = 40;
/** Room a state may grow by after the first one (counters printed with more digits in the JSON). */
const STATE_SLACK = 64 * 1024;
const FRAME_PIXELS = 256 * 240;
/** Shortest integer array stored as a binary blob rather than JSON. */
const BLOB_MIN_LENGTH = 32;

/** The jsnes internals this module reaches (jsnes 3.x; pinned in package.json). */
interface JsnesInternals {
  cpu: { mem: Uint8Array; requestIrq(type: number): void; IRQ_RESET: number; _updatePrgReadPath(): void };
  ppu: {
    buffer: Uint32Array;
    palTable: unknown;
    clipToTvSize: boolean;
    endFrame(): void;
    updatePalettes(): void;
    vramMem: Uint8Array;
    vramMirrorTable: Uint16Array;
  };
  controllers: Record<1 | 2, { state: number[] }>;
  rom: { mapperType: number };
  frame(): void;
  toJSON(): Record<string, unknown>;
  fromJSON(state: unknown): void;
}

/** A palette "table" that returns the palette index itself, so jsnes's frame buffer holds indices. */
const INDEX_PALETTE = Object.freeze({
  getEntry: (value: number) => value,
  setEmphasis: () => {},
});

/** Raw name of each power-on choice (the native ctor's 0|1|2). */
const POWER_ON = ['zero', 'ff', 'random'] as const;

/** Error for a native-only feature called on this backend. */
function nativeOnly(what: string): Error {
  return new Error(`${what} is not available on the jsnes backend (it is part of the native core's CPU trace facility); use backend: 'native'`);
}

/** Power-on RAM bytes from a seed: SplitMix64 output, 8 bytes per step (deterministic, not the native core's bytes). */
function randomRam(out: Uint8Array, seed: number): void {
  const mask = (1n << 64n) - 1n;
  let state = BigInt(seed);
  for (let i = 0; i < out.length; i += 8) {
    state = (state + 0x9e3779b97f4a7c15n) & mask;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
    z ^= z >> 31n;
    for (let b = 0; b < 8 && i + b < out.length; b++) out[i + b] = Number((z >> BigInt(8 * b)) & 0xffn);
  }
}

/** Writes `text` as ASCII at `offset`. */
function putAscii(view: Uint8Array, offset: number, text: string): void {
  for (let i = 0; i < text.length; i++) view[offset + i] = text.charCodeAt(i);
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

/** The narrowest blob kind holding every value of `values`, or 0 when it is not an integer array. */
function blobKind(values: ArrayLike<number>): number {
  if (values instanceof Uint8Array) return 1;
  if (values instanceof Uint16Array) return 2;
  let min = 0,
    max = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number') return 0;
    if (!Number.isInteger(v)) return 8;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min >= 0 && max <= 255) return 1;
  if (min >= 0 && max <= 65535) return 2;
  if (min >= -0x80000000 && max <= 0x7fffffff) return 4;
  return 8;
}

const BLOB_ARRAYS: Record<number, { new (buffer: ArrayBufferLike, offset: number, length: number): ArrayLike<number> & { set(a: ArrayLike<number>): void } }> =
  {
    1: Uint8Array,
    2: Uint16Array,
    4: Int32Array,
    8: Float64Array,
  };

/** Key of a decoded state's contents (opaque outside this module). */
const DECODED = Symbol('jsnes decoded state');

interface Decoded {
  /** jsnes's toJSON() tree, its long arrays plain number arrays. */
  tree: unknown;
  /**
   * The tree's blobs (long number arrays) a load hands to jsnes without a copy; emptied by the
   * first load if jsnes kept one of them (it copies them all for the boards we know).
   */
  lent: Set<unknown>;
  /** FNV-1a 64 of the ROM it belongs to. */
  hash: string;
  frames: number;
  held: number;
}

/** A jsnes-backend save state checked and decoded once (`JsnesCore.decodeState`); immutable. */
export interface JsnesDecodedState {
  readonly [DECODED]: Decoded;
}

/**
 * A copy of a JSON tree for jsnes's fromJSON, which keeps the plain arrays it is given: every
 * array is copied except the `lent` blobs (numbers only), which fromJSON copies into its own typed
 * arrays (copying them too would cost more than the rest of a load: 64 KiB of CPU memory).
 */
function cloneTree(value: unknown, lent: ReadonlySet<unknown>): unknown {
  if (Array.isArray(value)) {
    if (lent.has(value)) return value;
    if (!value.some((v) => v !== null && typeof v === 'object')) return value.slice();
    return value.map((v) => cloneTree(v, lent));
  }
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = cloneTree(v, lent);
  return out;
}

/** Whether any of `arrays` is held by an object reachable from `root` (a few levels of plain objects). */
function holdsAny(root: object, arrays: ReadonlySet<unknown>): boolean {
  const seen = new Set<object>();
  const visit = (o: object, depth: number): boolean => {
    if (seen.has(o) || depth > 4) return false;
    seen.add(o);
    for (const v of Object.values(o)) {
      if (arrays.has(v)) return true;
      if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v) && visit(v as object, depth + 1)) return true;
    }
    return false;
  };
  return visit(root, 0);
}

/** One jsnes console with the raw `NesCore` interface. */
export class JsnesCore implements NativeNesCore {
  readonly #nes: NES & JsnesInternals;
  readonly #hash: string;
  readonly #mapper: number;
  /** The console's RAM; stays the CPU's memory array across loads (see #relink). */
  #mem: Uint8Array;
  readonly #ram: Uint8Array;
  readonly #frame = new Uint8Array(FRAME_PIXELS);
  readonly #stateSize: number;
  #frames = 0;
  #held = 0;
  #closed = false;

  /**
   * @param rom an iNES image (checked: Error with the native parser's message)
   * @param powerOnRam 0 zero, 1 0xFF, 2 random from `seed`
   */
  constructor(rom: Uint8Array, powerOnRam: number, seed: number) {
    const parsed = parseInes(rom);
    this.#hash = parsed.hash;
    this.#mapper = parsed.mapper;
    const nes = new NES({ emulateSound: false }) as NES & JsnesInternals;
    nes.loadROM(rom);
    this.#nes = nes;
    this.#mem = nes.cpu.mem;
    this.#ram = this.#mem.subarray(0, 0x800);
    const choice = POWER_ON[powerOnRam] ?? 'zero';
    if (choice === 'zero') this.#ram.fill(0);
    else if (choice === 'ff') this.#ram.fill(0xff);
    else randomRam(this.#ram, seed);
    this.#usePaletteIndices();
    this.#stateSize = this.#encodeState().length + STATE_SLACK;
  }

  /**
   * Makes jsnes's frame buffer hold palette indices: an index palette table, and an end of frame
   * without jsnes's TV-edge blanking (it paints the border with 0, black in RGB but a colour as an
   * index; the native core, like the hardware, shows the whole picture).
   */
  #usePaletteIndices(): void {
    const ppu = this.#nes.ppu;
    ppu.palTable = INDEX_PALETTE;
    ppu.clipToTvSize = false;
    ppu.endFrame = () => {};
    ppu.updatePalettes();
  }

  /** After jsnes rebuilt its CPU (fromJSON): keep our RAM array as the CPU's memory, so views stay live. */
  #relink(): void {
    const fresh = this.#nes.cpu.mem;
    if (fresh !== this.#mem) {
      this.#mem.set(fresh);
      this.#nes.cpu.mem = this.#mem;
    }
    // fromJSON builds a new CPU without the fast PRG-read path loadROM turns on (every
    // instruction fetch would go through the mapper: 2x slower frames after a load).
    this.#nes.cpu._updatePrgReadPath();
    this.#usePaletteIndices();
  }

  #live(): NES & JsnesInternals {
    if (this.#closed) throw new Error('Nes is closed');
    return this.#nes;
  }

  #setButtons(buttons: number): void {
    if (buttons === this.#held) return;
    const state = this.#nes.controllers[1].state;
    for (let bit = 0; bit < 8; bit++) state[bit] = buttons & (1 << bit) ? 0x41 : 0x40;
    this.#held = buttons;
  }

  stepFrame(buttons: number, render: boolean): void {
    const nes = this.#live();
    this.#setButtons(buttons & 0xff);
    nes.frame();
    this.#frames++;
    if (render) this.#frame.set(nes.ppu.buffer);
  }

  stepFrames(buttons: Uint8Array, render: boolean): void {
    for (let i = 0; i < buttons.length; i++) this.stepFrame(buttons[i]!, render && i === buttons.length - 1);
  }

  /** The reset button: the CPU takes its reset vector before the next instruction; RAM is kept. */
  reset(): void {
    const nes = this.#live();
    nes.cpu.requestIrq(nes.cpu.IRQ_RESET);
  }

  ramView(): Uint8Array {
    return this.#ram;
  }

  frameView(): Uint8Array {
    return this.#frame;
  }

  /**
   * jsnes's own frame buffer: the palette indices (in 32-bit words) of the last frame emulated,
   * whatever `render` was, without `frameView`'s copy. Valid until the next frame or load (a load
   * makes a new buffer: call again).
   */
  liveFrame(): Uint32Array {
    return this.#live().ppu.buffer;
  }

  /** CPU-bus read without side effects: RAM (mirrored), and $6000-$FFFF as jsnes maps them; registers read 0. */
  peek(address: number): number {
    this.#live();
    if (address < 0x2000) return this.#mem[address & 0x7ff]!;
    return address >= 0x6000 ? this.#mem[address]! : 0;
  }

  peekPpu(address: number): number {
    const ppu = this.#live().ppu;
    return ppu.vramMem[ppu.vramMirrorTable[address & 0x3fff]!]!;
  }

  poke(address: number, value: number): void {
    this.#live();
    if (address < 0x2000) this.#mem[address & 0x7ff] = value;
    else if (address >= 0x6000 && address < 0x8000) this.#mem[address] = value;
    else throw new RangeError(`Expected an address in [0x0000, 0x1FFF] or [0x6000, 0x7FFF] for address but received ${address}`);
  }

  stateSize(): number {
    return this.#stateSize;
  }

  saveState(): Uint8Array {
    this.#live();
    const out = new Uint8Array(this.#stateSize);
    this.saveStateInto(out);
    return out;
  }

  saveStateInto(out: Uint8Array): void {
    this.#live();
    if (out.length !== this.#stateSize)
      throw new RangeError(`Expected a Uint8Array of length ${this.#stateSize} for out but received Uint8Array(${out.length})`);
    const bytes = this.#encodeState();
    if (bytes.length > out.length) {
      throw new Error(`jsnes save state of ${bytes.length} bytes outgrew this console's stateSize (${this.#stateSize}); please report it`);
    }
    out.set(bytes);
    out.fill(0, bytes.length);
  }

  #encodeState(): Uint8Array {
    const blobs: { kind: number; values: ArrayLike<number> }[] = [];
    const json = JSON.stringify(this.#nes.toJSON(), (_key, value: unknown) => {
      const list = value as ArrayLike<number>;
      if ((Array.isArray(value) || ArrayBuffer.isView(value)) && list.length >= BLOB_MIN_LENGTH) {
        const kind = blobKind(list);
        if (kind !== 0) {
          blobs.push({ kind, values: list });
          return { $blob: blobs.length - 1 };
        }
      }
      return value;
    });
    const text = new TextEncoder().encode(json);
    const pad8 = (n: number) => (n + 7) & ~7;
    let size = pad8(HEADER_BYTES + text.length);
    for (const b of blobs) size += pad8(8 + b.kind * b.values.length);
    const out = new Uint8Array(size);
    const view = new DataView(out.buffer);
    putAscii(out, 0, JSNES_STATE_MAGIC);
    view.setUint32(4, JSNES_STATE_VERSION, true);
    putAscii(out, 8, this.#hash);
    view.setUint32(24, this.#frames >>> 0, true);
    view.setUint32(28, this.#held, true);
    view.setUint32(32, text.length, true);
    view.setUint32(36, blobs.length, true);
    out.set(text, HEADER_BYTES);
    let at = pad8(HEADER_BYTES + text.length);
    for (const b of blobs) {
      view.setUint32(at, b.kind, true);
      view.setUint32(at + 4, b.values.length, true);
      new BLOB_ARRAYS[b.kind]!(out.buffer, at + 8, b.values.length).set(b.values);
      at += pad8(8 + b.kind * b.values.length);
    }
    return out;
  }

  /** Checks and decodes a state; throws `Invalid save state: …` without touching the console. */
  #decodeState(state: Uint8Array): JsnesDecodedState {
    const bad = (why: string) => new Error(`Invalid save state: ${why}`);
    if (state.length < HEADER_BYTES) throw bad(`expected at least ${HEADER_BYTES} bytes but received ${state.length}`);
    const magic = ascii(state, 0, 4);
    if (magic === NATIVE_STATE_MAGIC) throw bad("it was saved by the native backend (magic 'MRNS'); load it into a Nes or VecEnv with backend: 'native'");
    if (magic !== JSNES_STATE_MAGIC) throw bad(`expected the jsnes-backend magic 'MRJS' but found ${JSON.stringify(magic)}`);
    const view = new DataView(state.buffer, state.byteOffset, state.byteLength);
    const version = view.getUint32(4, true);
    if (version !== JSNES_STATE_VERSION) throw bad(`version ${version} is not the supported version ${JSNES_STATE_VERSION}`);
    if (ascii(state, 8, 16) !== this.#hash) throw bad('it belongs to another ROM (hash mismatch)');
    const textLength = view.getUint32(32, true);
    const count = view.getUint32(36, true);
    const pad8 = (n: number) => (n + 7) & ~7;
    if (HEADER_BYTES + textLength > state.length) throw bad('truncated');
    const blobs: number[][] = [];
    let at = pad8(HEADER_BYTES + textLength);
    for (let i = 0; i < count; i++) {
      if (at + 8 > state.length) throw bad('truncated');
      const kind = view.getUint32(at, true);
      const length = view.getUint32(at + 4, true);
      const Ctor = BLOB_ARRAYS[kind];
      if (!Ctor || at + 8 + kind * length > state.length) throw bad(Ctor ? 'truncated' : `unknown blob kind ${kind}`);
      // A copy: the state's buffer may be shared or unaligned, and jsnes keeps plain arrays.
      const copy = state.slice(at + 8, at + 8 + kind * length);
      blobs.push(Array.from(new Ctor(copy.buffer, 0, length)));
      at += pad8(8 + kind * length);
    }
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(state.subarray(HEADER_BYTES, HEADER_BYTES + textLength)), (_key, value: unknown) => {
        const ref = value as { $blob?: number } | null;
        if (ref !== null && typeof ref === 'object' && typeof ref.$blob === 'number') {
          const blob = blobs[ref.$blob];
          if (!blob) throw bad(`missing blob ${ref.$blob}`);
          return blob;
        }
        return value;
      });
    } catch (err) {
      throw (err as Error).message.startsWith('Invalid save state') ? err : bad('the body is corrupt (not JSON)');
    }
    const parts = json as Record<string, unknown> | null;
    // The parts jsnes's fromJSON reads, checked first so it does not fail half-way.
    for (const part of ['cpu', 'mmap', 'ppu', 'papu']) {
      if (parts === null || typeof parts !== 'object' || typeof parts[part] !== 'object' || parts[part] === null) {
        throw new Error(`Invalid save state: the body lacks jsnes's '${part}' section`);
      }
    }
    return Object.freeze({
      [DECODED]: { tree: json, lent: new Set(blobs), hash: this.#hash, frames: view.getUint32(24, true), held: view.getUint32(28, true) },
    });
  }

  loadState(state: Uint8Array): void {
    this.#live();
    // Freshly decoded: its arrays are this load's own, no copy needed.
    this.#restore(this.#decodeState(state)[DECODED], false);
  }

  /**
   * Checks and decodes `state` once (the checks and errors of `loadState`) for `loadDecoded`:
   * a pool that restores the same start state at every reset skips the decoding, 30 ms a time.
   */
  decodeState(state: Uint8Array): JsnesDecodedState {
    this.#live();
    return this.#decodeState(state);
  }

  /** Loads a state decoded by `decodeState` (of any console of the same ROM); the decoded state stays unchanged. */
  loadDecoded(state: JsnesDecodedState): void {
    this.#live();
    const decoded = state[DECODED];
    if (decoded.hash !== this.#hash) throw new Error('Invalid save state: it belongs to another ROM (hash mismatch)');
    this.#restore(decoded, true);
  }

  #restore(decoded: Decoded, copy: boolean): void {
    // jsnes's fromJSON keeps some plain arrays it is given: a decoded state kept for reuse hands out copies.
    this.#nes.fromJSON(copy ? cloneTree(decoded.tree, decoded.lent) : decoded.tree);
    if (copy && decoded.lent.size > 0 && holdsAny(this.#nes, decoded.lent)) {
      decoded.lent.clear();
      this.#nes.fromJSON(cloneTree(decoded.tree, decoded.lent));
    }
    this.#relink();
    this.#frames = decoded.frames;
    this.#held = decoded.held;
  }

  frameCount(): number {
    this.#live();
    return this.#frames;
  }

  mapper(): number {
    this.#live();
    return this.#mapper;
  }

  toRgb(out: Uint8Array): Uint8Array {
    this.#live();
    if (out.length !== FRAME_PIXELS * 3)
      throw new RangeError(`Expected a Uint8Array of length ${FRAME_PIXELS * 3} for out but received Uint8Array(${out.length})`);
    for (let i = 0; i < FRAME_PIXELS; i++) {
      const c = (this.#frame[i]! & 63) * 3;
      out[3 * i] = NES_PALETTE_RGB[c]!;
      out[3 * i + 1] = NES_PALETTE_RGB[c + 1]!;
      out[3 * i + 2] = NES_PALETTE_RGB[c + 2]!;
    }
    return out;
  }

  cpu(): NativeCpuState {
    throw nativeOnly('nes.cpu');
  }

  setCpu(): void {
    throw nativeOnly('nes.setCpu()');
  }

  cpuCycles(): number {
    throw nativeOnly('cpu cycles');
  }

  stepInstruction(): void {
    throw nativeOnly('nes.stepInstruction()');
  }

  traceLine(): string {
    throw nativeOnly('nes.traceLine()');
  }

  close(): void {
    this.#closed = true;
  }

  isClosed(): boolean {
    return this.#closed;
  }
}
