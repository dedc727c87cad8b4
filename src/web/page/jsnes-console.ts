/**
 * One jsnes console for the page: a frame per call holding a joypad-1 byte (bit order A=0x01 …
 * RIGHT=0x80, as `Nes`), the 2 KiB RAM, the screen as RGB words for the canvas and as 6-bit PPU
 * palette indices for the preprocessing (which maps indices through our native palette, so gray
 * values match the native path). jsnes draws RGB only; the indices are recovered through
 * jsnes's own colour table, which gives each of its 64 colours one RGB word (the blacks it
 * repeats are black in our palette too).
 *
 * Ownership: one per page, stepped by the page's loop only.
 */
import { NES, type EmulatorData } from 'jsnes';

/** Pixels of one frame (256×240). */
export const FRAME_PIXELS = 256 * 240;

interface JsnesInternals {
  cpu: { mem: ArrayLike<number> };
  ppu: { palTable: { emphTable: Uint32Array[] }; clipToTvSize: boolean };
}

/** What `JsnesConsole.saveState` returns. */
export interface JsnesState {
  readonly nes: EmulatorData;
  readonly held: number;
  readonly rgb: Uint32Array;
}

export class JsnesConsole {
  readonly #nes: NES;
  readonly #rom: Uint8Array;
  #held = 0;
  /** Frames run since this console was made (across power cycles). */
  frames = 0;
  /** The last frame as jsnes draws it (0x00BBGGRR words); jsnes reuses the array. */
  #rgb: Uint32Array = new Uint32Array(FRAME_PIXELS);
  /** 0x00BBGGRR → palette index + 1 (0: not a palette colour). */
  readonly #indexOf = new Map<number, number>();

  /** `rom`: the iNES file's bytes. Throws jsnes's error for a ROM it cannot load. */
  constructor(rom: Uint8Array) {
    this.#nes = new NES({ onFrame: (buffer: Uint32Array) => (this.#rgb = buffer), emulateSound: false });
    this.#rom = rom;
    this.#load();
    const tables = (this.#nes as unknown as JsnesInternals).ppu.palTable.emphTable;
    // Black is $0F (the black games use; jsnes repeats it at $0D, $0E, $1D…, all black in our
    // palette too). Emphasis 0 first: with no emphasis bits set (what our games use) every colour maps back exactly.
    this.#indexOf.set(0, 0x0f + 1);
    for (const table of tables) table.forEach((rgb, i) => this.#indexOf.has(rgb) || this.#indexOf.set(rgb, i + 1));
  }

  /** Power-cycles the console (same ROM). */
  powerOn(): void {
    this.#load();
    this.#held = 0;
  }

  #load(): void {
    this.#nes.loadROM(this.#rom);
    // jsnes blacks out the 8-pixel border a TV hides; our core (and so the policy) sees it all.
    (this.#nes as unknown as JsnesInternals).ppu.clipToTvSize = false;
  }

  /** A save state: jsnes's own (versioned) state, deep-copied, plus the last frame's pixels. */
  saveState(): JsnesState {
    return { nes: structuredClone(this.#nes.toJSON()), held: this.#held, rgb: this.#rgb.slice() };
  }

  /** Restores a `saveState` (the state is not consumed: load it again for the next episode). */
  loadState(state: JsnesState): void {
    this.#nes.fromJSON(structuredClone(state.nes));
    (this.#nes as unknown as JsnesInternals).ppu.clipToTvSize = false;
    this.#held = state.held;
    this.#rgb = state.rgb.slice();
  }

  /** Runs one frame holding `buttons`. */
  stepFrame(buttons: number): void {
    const changed = buttons ^ this.#held;
    for (let bit = 0; bit < 8; bit++) {
      if (!(changed & (1 << bit))) continue;
      if (buttons & (1 << bit)) this.#nes.buttonDown(1, bit as 0);
      else this.#nes.buttonUp(1, bit as 0);
    }
    this.#held = buttons;
    this.#nes.frame();
    this.frames++;
  }

  /** CPU RAM byte at `address` (0..0x7ff). */
  ram(address: number): number {
    return (this.#nes as unknown as JsnesInternals).cpu.mem[address]!;
  }

  /** Writes a CPU RAM byte (start points poke the stage, as the native adapters do). */
  poke(address: number, value: number): void {
    (this.#nes as unknown as { cpu: { mem: number[] } }).cpu.mem[address] = value & 0xff;
  }

  /** The last frame as 0x00BBGGRR words (a live view: copy what you keep). */
  rgbFrame(): Uint32Array {
    return this.#rgb;
  }

  /** Writes the last frame's palette indices into `out` (FRAME_PIXELS entries). */
  indexFrame(out: Uint8Array): void {
    const rgb = this.#rgb;
    const map = this.#indexOf;
    for (let i = 0; i < FRAME_PIXELS; i++) out[i] = (map.get(rgb[i]!) ?? 0x10) - 1;
  }
}
