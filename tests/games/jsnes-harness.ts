/**
 * Test harness: runs a ROM on jsnes (the reference emulator) one frame at a time with a
 * controller byte in mario-rl's bit order (A=0x01 B=0x02 SELECT=0x04 START=0x08 UP=0x10
 * DOWN=0x20 LEFT=0x40 RIGHT=0x80), and reads CPU RAM.
 */
import { Controller, NES } from 'jsnes';

/** Bit of each jsnes button in mario-rl's controller byte. */
const BUTTONS: [number, number][] = [
  [0x01, Controller.BUTTON_A],
  [0x02, Controller.BUTTON_B],
  [0x04, Controller.BUTTON_SELECT],
  [0x08, Controller.BUTTON_START],
  [0x10, Controller.BUTTON_UP],
  [0x20, Controller.BUTTON_DOWN],
  [0x40, Controller.BUTTON_LEFT],
  [0x80, Controller.BUTTON_RIGHT],
];

export const A = 0x01;
export const B = 0x02;
export const START = 0x08;
export const LEFT = 0x40;
export const RIGHT = 0x80;

/** One jsnes console with the ROM loaded. */
export class JsnesConsole {
  readonly nes: NES;
  #buttons = 0;
  #frameBuffer: Uint32Array | undefined;

  constructor(rom: Uint8Array) {
    this.nes = new NES({ onFrame: (buf) => (this.#frameBuffer = buf), emulateSound: false });
    this.nes.loadROM(Buffer.from(rom).toString('binary'));
  }

  /** Runs one frame with `buttons` held. */
  step(buttons = 0): void {
    if (buttons !== this.#buttons) {
      for (const [bit, key] of BUTTONS) {
        if ((buttons & bit) !== (this.#buttons & bit)) {
          if (buttons & bit) this.nes.buttonDown(1, key as never);
          else this.nes.buttonUp(1, key as never);
        }
      }
      this.#buttons = buttons;
    }
    this.nes.frame();
  }

  /** One byte of CPU RAM ($0000-$07FF). */
  ram(addr: number): number {
    return (this.nes as unknown as { cpu: { mem: Uint8Array } }).cpu.mem[addr & 0x7ff]!;
  }

  /** A copy of the 2 KiB of CPU RAM. */
  ramSnapshot(): Uint8Array {
    return (this.nes as unknown as { cpu: { mem: Uint8Array } }).cpu.mem.slice(0, 0x800);
  }

  /** The last frame as 0xRRGGBB-ish pixels (jsnes order), 256x240. */
  get frameBuffer(): Uint32Array | undefined {
    return this.#frameBuffer;
  }

  /** A snapshot of the whole machine (jsnes JSON state). */
  save(): unknown {
    return { nes: this.nes.toJSON(), buttons: this.#buttons };
  }

  /** Restores a `save()`. */
  load(state: unknown): void {
    const s = state as { nes: ReturnType<NES['toJSON']>; buttons: number };
    this.nes.fromJSON(s.nes);
    this.#buttons = s.buttons;
  }
}

/** Writes one byte of CPU RAM, as a test or an environment adapter does to select a stage. */
export function poke(c: JsnesConsole, addr: number, value: number): void {
  (c.nes as unknown as { cpu: { mem: Uint8Array } }).cpu.mem[addr & 0x7ff] = value;
}
