/**
 * The two emulators the game suites run on, behind one small interface: jsnes (reference) and
 * our native core (`Nes`). Controller bytes use mario-rl's bit order.
 */
import { Nes } from '../../src/nes.js';
import { JsnesConsole } from './jsnes-harness.js';

/** What the game suites need from an emulator. */
export interface GameConsole {
  readonly name: string;
  step(buttons: number): void;
  ram(addr: number): number;
  /** The 2 KiB of CPU RAM (a view or a copy). */
  ramBytes(): Uint8Array;
  poke(addr: number, value: number): void;
}

/** jsnes, with its own power-on RAM pattern. */
export function jsnesConsole(rom: Uint8Array): GameConsole {
  const c = new JsnesConsole(rom);
  return {
    name: 'jsnes',
    step: (b) => c.step(b),
    ram: (a) => c.ram(a),
    ramBytes: () => c.ramSnapshot(),
    poke: (a, v) => {
      (c.nes as unknown as { cpu: { mem: Uint8Array } }).cpu.mem[a & 0x7ff] = v;
    },
  };
}

/** Our core; `render: false` skips pixels (timing and RAM are unchanged). */
export function nativeConsole(rom: Uint8Array, render = true): GameConsole {
  const nes = new Nes(rom, { powerOnRam: 'ff' });
  const ram = nes.ram;
  return {
    name: 'native',
    step: (b) => nes.stepFrame(b, { render }),
    ram: (a) => ram[a & 0x7ff]!,
    ramBytes: () => ram,
    poke: (a, v) => nes.poke(a, v),
  };
}
