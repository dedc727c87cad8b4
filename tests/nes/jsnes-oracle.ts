/** jsnes (dev dependency) as a reference emulator for the NES suites and the bench. */
import { NES } from 'jsnes';

/** A jsnes console with sound off, fed one joypad-1 byte per frame (same bit order as Nes). */
export class JsnesOracle {
  readonly nes: NES;
  /** Last frame as 0x00BBGGRR words. */
  lastFrame: Uint32Array = new Uint32Array(256 * 240);
  #held = 0;

  constructor(rom: Uint8Array) {
    this.nes = new NES({ onFrame: (buffer) => (this.lastFrame = buffer), emulateSound: false });
    this.nes.loadROM(Buffer.from(rom).toString('binary'));
  }

  /** Runs one frame holding `buttons`. */
  stepFrame(buttons: number): void {
    const changed = buttons ^ this.#held;
    for (let bit = 0; bit < 8; bit++) {
      if (!(changed & (1 << bit))) continue;
      if (buttons & (1 << bit)) this.nes.buttonDown(1, bit as 0);
      else this.nes.buttonUp(1, bit as 0);
    }
    this.#held = buttons;
    this.nes.frame();
  }

  /** CPU-bus RAM byte. */
  ram(address: number): number {
    return (this.nes as unknown as { cpu: { mem: ArrayLike<number> } }).cpu.mem[address];
  }
}

/** 1 where a pixel differs from the top-left pixel: compares layouts across palettes. */
export function layoutMask(pixels: ArrayLike<number>): Uint8Array {
  const mask = new Uint8Array(256 * 240);
  for (let i = 0; i < mask.length; i++) mask[i] = pixels[i] === pixels[0] ? 0 : 1;
  return mask;
}
