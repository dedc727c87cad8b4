/**
 * `Nes`: one NES console (native C++ core) driven frame by frame from JavaScript.
 *
 * Frame boundary: `stepFrame(b)` runs until the start of the next vertical blank (scanline 241,
 * dot 1), so RAM read right after it already reflects input `b`. See docs/nes.md.
 */
import { JsnesCore } from './backend/jsnes-core.js';
import { checkStateBackend, resolveBackend, type BackendName, type BackendOption } from './backend/select.js';
import { toBytes } from './bytes.js';
import { defaultFastPaths, loadNative, type NativeNesCore } from './native.js';
import { expectBoolean, expectInteger, expectOneOf, expectOptions, expectTypedArray, rejectUnknownKeys } from './validate.js';

/** Width of a frame in pixels. */
export const FRAME_WIDTH = 256;
/** Height of a frame in pixels. */
export const FRAME_HEIGHT = 240;
/** Bytes of an RGB frame from `toRgb()`: 256 × 240 × 3. */
export const RGB_FRAME_BYTES = FRAME_WIDTH * FRAME_HEIGHT * 3;

/** Joypad bits (joypad 1), combined with `|` into the byte `stepFrame` takes. */
export const Buttons = {
  A: 0x01,
  B: 0x02,
  SELECT: 0x04,
  START: 0x08,
  UP: 0x10,
  DOWN: 0x20,
  LEFT: 0x40,
  RIGHT: 0x80,
} as const;

/**
 * Bytes accepted for ROMs and states: any BufferSource (ArrayBuffer, SharedArrayBuffer, Buffer, any
 * typed array or DataView, whatever its buffer type).
 */
export type NesBytes = BufferSource | ArrayBufferView | ArrayBufferLike;

/** Power-on contents of the 2 KiB internal RAM. */
export type PowerOnRam = 'zero' | 'ff' | 'random';

/** Options of `new Nes(rom, options)`. */
export interface NesOptions {
  /**
   * Power-on RAM contents: `'zero'` (default), `'ff'` (what jsnes does) or `'random'` (bytes
   * drawn from `seed`, deterministic).
   */
  powerOnRam?: PowerOnRam;
  /** Seed for `powerOnRam: 'random'`: an integer in [0, 2^53 − 1]. Default 0. */
  seed?: number;
  /**
   * Emulator: `'native'` (the C++ core), `'jsnes'` (pure JavaScript, slower; no CPU trace
   * facility) or `'auto'` (default: native when its addon loads, else jsnes with one warning;
   * `MARIO_RL_BACKEND=native|jsnes` forces one). See docs/nes.md "Backends".
   */
  backend?: BackendOption;
  /**
   * Use the core's fast paths (default true, or false when the environment variable
   * `MARIO_RL_EXACT=1` is set): idle loops fast-forwarded to the next event, whole visible
   * lines stepped at once and the background's tile row cache kept for 8 lines
   * (docs/nes-core.md). `false` runs every cycle the slow way. Both give
   * byte-identical RAM, registers, cycle counts, frames and save states; `false` is for tests
   * and for measuring what the fast paths give.
   */
  fastPaths?: boolean;
}

/** Options of `stepFrame` / `stepFrames`. */
export interface StepOptions {
  /**
   * Produce pixels (default true). With `false` no pixels are written, but every timing side
   * effect (sprite-0 hit, status flags, IRQs) is identical, so RAM evolves byte for byte the same.
   */
  render?: boolean;
}

/** 6502 registers, as read by `nes.cpu` and written by `nes.setCpu()`. */
export interface CpuRegisters {
  /** Program counter, [0, 0xFFFF]. */
  pc: number;
  /** Accumulator, [0, 255]. */
  a: number;
  /** X index, [0, 255]. */
  x: number;
  /** Y index, [0, 255]. */
  y: number;
  /** Status flags NV-BDIZC, [0, 255]. */
  p: number;
  /** Stack pointer, [0, 255]. */
  sp: number;
}

/** Registers plus the CPU cycle counter (read-only). */
export interface CpuState extends CpuRegisters {
  /** CPU cycles since power-on (nestest.log's CYC). */
  cycles: number;
}

const POWER_ON_RAM: readonly PowerOnRam[] = ['zero', 'ff', 'random'];
const NES_OPTIONS = ['powerOnRam', 'seed', 'backend', 'fastPaths'] as const;
const STEP_OPTIONS = ['render'] as const;
const CPU_KEYS = ['pc', 'a', 'x', 'y', 'p', 'sp'] as const;

function hex(value: number, digits: number): string {
  return `0x${value.toString(16).toUpperCase().padStart(digits, '0')}`;
}

function renderOption(opts: unknown, where: string): boolean {
  if (opts === undefined) return true; // the per-step fast path allocates nothing
  const o = expectOptions<StepOptions>(opts, `${where} options`);
  rejectUnknownKeys(o, `${where} options`, STEP_OPTIONS);
  return o.render === undefined ? true : expectBoolean(o.render, 'render');
}

/**
 * One NES console. Every method throws `Error: Nes is closed` after `close()`; bad arguments
 * throw TypeError/RangeError saying what was expected.
 */
export class Nes {
  /** The emulator this console runs on (`'native'` or `'jsnes'`), resolved from the `backend` option. */
  readonly backend: BackendName;
  #core: NativeNesCore;
  #ram: Uint8Array;
  #frame: Uint8Array;
  #rgb: Uint8Array | undefined;
  #closed = false;

  /**
   * Loads an iNES / NES 2.0 image and powers the console on.
   * @param rom the ROM bytes (any BufferSource; copied, the caller may reuse it)
   * @param opts power-on RAM contents and seed, fast paths
   * @throws TypeError/RangeError for bad arguments; Error naming the bad header field, or
   *   `Unsupported mapper N`, for a ROM the core cannot run.
   */
  constructor(rom: NesBytes, opts?: NesOptions) {
    const bytes = toBytes(rom, 'rom');
    const o = expectOptions<NesOptions>(opts, 'Nes options');
    rejectUnknownKeys(o, 'Nes options', NES_OPTIONS);
    const powerOnRam = o.powerOnRam === undefined ? 'zero' : expectOneOf(o.powerOnRam, 'powerOnRam', POWER_ON_RAM);
    const seed = o.seed === undefined ? 0 : expectInteger(o.seed, 'seed', 0, Number.MAX_SAFE_INTEGER);
    this.backend = resolveBackend(o.backend);
    const fastPaths = o.fastPaths === undefined ? defaultFastPaths() : expectBoolean(o.fastPaths, 'fastPaths');
    this.#core =
      this.backend === 'native'
        ? new (loadNative().NesCore)(bytes, POWER_ON_RAM.indexOf(powerOnRam), seed, fastPaths ? 1 : 0)
        : new JsnesCore(bytes, POWER_ON_RAM.indexOf(powerOnRam), seed);
    this.#ram = this.#core.ramView();
    this.#frame = this.#core.frameView();
  }

  #live(): NativeNesCore {
    if (this.#closed) throw new Error('Nes is closed');
    return this.#core;
  }

  /**
   * Runs one frame with joypad 1 holding `buttons` (A=0x01 B=0x02 SELECT=0x04 START=0x08
   * UP=0x10 DOWN=0x20 LEFT=0x40 RIGHT=0x80; see `Buttons`). Returns at the start of the next
   * vertical blank: RAM already reflects `buttons`.
   */
  stepFrame(buttons = 0, opts?: StepOptions): void {
    const core = this.#live();
    const b = expectInteger(buttons, 'buttons', 0, 255);
    core.stepFrame(b, renderOption(opts, 'stepFrame'));
  }

  /** Runs `buttons.length` frames, one per byte, in one native call. */
  stepFrames(buttons: Uint8Array, opts?: StepOptions): void {
    const core = this.#live();
    const b = expectTypedArray(buttons, 'buttons', Uint8Array);
    core.stepFrames(b, renderOption(opts, 'stepFrames'));
  }

  /** Presses the console's reset button (RAM is kept, as on hardware). */
  reset(): void {
    this.#live().reset();
  }

  /**
   * Live view of the 2 KiB internal RAM ($0000–$07FF), no copy: it changes as frames run and
   * writes go straight into the console. After `close()` the getter throws; a view obtained
   * earlier stays readable (frozen) until it is garbage-collected.
   */
  get ram(): Uint8Array {
    this.#live();
    return this.#ram;
  }

  /**
   * Live view of the last rendered frame: 256 × 240 palette indices (0–63), row-major. Frames
   * stepped with `render: false` leave it unchanged. Same lifetime rules as `ram`.
   */
  get frame(): Uint8Array {
    this.#live();
    return this.#frame;
  }

  /** Side-effect-free CPU-bus read of `address` in [0, 0xFFFF] (RAM, PRG-RAM, PRG-ROM...). */
  peek(address: number): number {
    const core = this.#live();
    return core.peek(expectInteger(address, 'address', 0, 0xffff));
  }

  /**
   * Side-effect-free PPU-bus read of `address` in [0, 0x3FFF]: pattern tables ($0000–$1FFF),
   * nametables ($2000–$2FFF, mirrored to $3EFF) and palette ($3F00–$3FFF). For tests and
   * debugging (e.g. reading text a test ROM printed into the nametable).
   */
  peekPpu(address: number): number {
    const core = this.#live();
    return core.peekPpu(expectInteger(address, 'address', 0, 0x3fff));
  }

  /** Writes `value` (0–255) to internal RAM ($0000–$1FFF) or PRG-RAM ($6000–$7FFF). */
  poke(address: number, value: number): void {
    const core = this.#live();
    const a = expectInteger(address, 'address', 0, 0xffff);
    if (!(a < 0x2000 || (a >= 0x6000 && a < 0x8000))) {
      throw new RangeError(`Expected an address in [0x0000, 0x1FFF] or [0x6000, 0x7FFF] for address but received ${hex(a, 4)}`);
    }
    core.poke(a, expectInteger(value, 'value', 0, 255));
  }

  /**
   * Converts the current frame to RGB through the master palette: 256 × 240 × 3 bytes. Pass
   * `out` (a Uint8Array of `RGB_FRAME_BYTES`) to write in place; otherwise returns a buffer this
   * object reuses on every call.
   */
  toRgb(out?: Uint8Array): Uint8Array {
    const core = this.#live();
    if (out === undefined) {
      this.#rgb ??= new Uint8Array(RGB_FRAME_BYTES);
      return core.toRgb(this.#rgb);
    }
    return core.toRgb(expectTypedArray(out, 'out', Uint8Array, RGB_FRAME_BYTES));
  }

  /** Bytes of one save state of this console (constant for a given ROM). */
  get stateSize(): number {
    return this.#live().stateSize();
  }

  /**
   * Snapshot of the whole machine (CPU, PPU incl. OAM/VRAM/palette, APU, mapper, CHR-RAM,
   * PRG-RAM, controllers, counters) as a new versioned Uint8Array tagged with the ROM.
   */
  saveState(): Uint8Array {
    return this.#live().saveState();
  }

  /** Writes a snapshot into `out` (a Uint8Array of `stateSize` bytes), allocating nothing. */
  saveStateInto(out: Uint8Array): void {
    const core = this.#live();
    core.saveStateInto(expectTypedArray(out, 'out', Uint8Array, core.stateSize()));
  }

  /**
   * Restores a snapshot from `saveState()`. Replaying the same inputs afterwards gives identical
   * RAM and frames.
   * @throws TypeError if `state` is not a BufferSource; Error (console unchanged) for a state of
   *   another ROM, another format version, a truncated buffer, a corrupt body (checksum) or a
   *   field out of range (docs/nes-core.md, "Save states").
   */
  loadState(state: NesBytes): void {
    const core = this.#live();
    const bytes = toBytes(state, 'state');
    checkStateBackend(bytes, this.backend);
    core.loadState(bytes);
  }

  /** Frames stepped since power-on (restored by `loadState`). */
  get frameCount(): number {
    return this.#live().frameCount();
  }

  /** The ROM's iNES mapper number (0 NROM, 1 MMC1, 2 UxROM, 3 CNROM, 4 MMC3, 7 AxROM). */
  get mapper(): number {
    return this.#live().mapper();
  }

  /**
   * CPU trace facility: the 6502 registers and the cycle counter (a new object per read).
   * Assigning sets the registers (e.g. `nes.cpu = { ...nes.cpu, pc: 0xc000 }` for nestest's
   * automated mode); `cycles` is ignored on assignment.
   */
  get cpu(): CpuState {
    return this.#live().cpu();
  }

  set cpu(regs: CpuRegisters) {
    this.setCpu(regs);
  }

  /** Sets the 6502 registers; every field is required (pc 0–0xFFFF, others 0–255). */
  setCpu(regs: CpuRegisters): void {
    const core = this.#live();
    const r = expectOptions<CpuRegisters & { cycles?: number }>(regs, 'cpu registers');
    rejectUnknownKeys(r, 'cpu registers', [...CPU_KEYS, 'cycles']);
    core.setCpu(
      expectInteger(r.pc, 'pc', 0, 0xffff),
      expectInteger(r.a, 'a', 0, 255),
      expectInteger(r.x, 'x', 0, 255),
      expectInteger(r.y, 'y', 0, 255),
      expectInteger(r.p, 'p', 0, 255),
      expectInteger(r.sp, 'sp', 0, 255),
    );
  }

  /** Executes exactly one CPU instruction (PPU and APU advance alongside). */
  stepInstruction(): void {
    this.#live().stepInstruction();
  }

  /**
   * The next instruction as a nestest.log line:
   * `C000  4C F5 C5  JMP $C5F5    A:00 X:00 Y:00 P:24 SP:FD PPU:  0, 21 CYC:7`.
   */
  traceLine(): string {
    return this.#live().traceLine();
  }

  /** True once `close()` has run. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Releases the console. Idempotent. Afterwards every method throws `Error: Nes is closed`;
   * `ram`/`frame` views obtained earlier stay valid (frozen) memory until collected.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#core.close();
  }
}
