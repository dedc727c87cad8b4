/**
 * The jsnes backend of `Nes` (src/backend/jsnes-core.ts): frames and RAM against the native core,
 * its save states (round trip, replay, refusal of the other backend's format and of damaged
 * bytes), decoded states and the live frame buffer the jsnes VecEnv steps with, ROM checks with the
 * native messages, and the native-only trace facility.
 */
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { JsnesCore } from '../../src/backend/jsnes-core.js';
import { loadRunnerRom } from '../../src/games/runner.js';
import { Nes } from '../../src/nes.js';

const runner = loadRunnerRom();
const MARIO_ROM = process.env.MARIO_ROM;
if (!MARIO_ROM) console.warn('[jsnes-core test] SMB1 frames skipped: set MARIO_ROM to a Super Mario Bros. ROM');

/** START now and then, otherwise RIGHT (+ A every so often): the game starts and moves. */
const script = (i: number) => (i % 60 < 2 ? 0x08 : i % 17 < 5 ? 0x81 : 0x80);

function lockstep(rom: Uint8Array, frames: number): void {
  const n = new Nes(rom, { backend: 'native', powerOnRam: 'ff' });
  const j = new Nes(rom, { backend: 'jsnes', powerOnRam: 'ff' });
  try {
    expect(j.backend).toBe('jsnes');
    for (let i = 0; i < frames; i++) {
      n.stepFrame(script(i));
      j.stepFrame(script(i));
      if (i % 25 !== 24) continue;
      expect(Buffer.compare(n.ram, j.ram), `RAM after frame ${i}`).toBe(0);
      expect(Buffer.compare(n.frame, j.frame), `frame ${i}`).toBe(0);
    }
    expect(new Set(j.frame).size).toBeGreaterThan(2);
    expect(j.frameCount).toBe(frames);
    expect(Buffer.compare(n.toRgb(), j.toRgb())).toBe(0);
  } finally {
    n.close();
    j.close();
  }
}

describe('Nes on the jsnes backend', () => {
  it('runs the built-in game frame for frame like the native core (RAM and palette indices)', () => {
    lockstep(runner, 150);
  }, 120_000);

  it.skipIf(!MARIO_ROM)(
    'runs SMB1 frame for frame like the native core',
    () => {
      lockstep(readFileSync(MARIO_ROM!), 150);
    },
    120_000,
  );

  it('save states: fixed size, exact replay, refusal across backends and of damaged bytes', () => {
    const j = new Nes(runner, { backend: 'jsnes' });
    const n = new Nes(runner, { backend: 'native' });
    try {
      for (let i = 0; i < 40; i++) j.stepFrame(script(i));
      const state = j.saveState();
      expect(state.length).toBe(j.stateSize);
      expect(String.fromCharCode(...state.subarray(0, 4))).toBe('MRJS');
      const into = new Uint8Array(j.stateSize);
      j.saveStateInto(into);
      expect(Buffer.compare(into, state)).toBe(0);
      for (let i = 40; i < 80; i++) j.stepFrame(script(i));
      const ram = Buffer.from(j.ram);
      const frame = Buffer.from(j.frame);
      j.loadState(state);
      expect(j.frameCount).toBe(40);
      for (let i = 40; i < 80; i++) j.stepFrame(script(i));
      expect(Buffer.compare(j.ram, ram)).toBe(0);
      expect(Buffer.compare(j.frame, frame)).toBe(0);

      expect(() => n.loadState(state)).toThrow(/saved by the jsnes backend.*backend: 'jsnes'/);
      expect(() => j.loadState(n.saveState())).toThrow(/saved by the native backend.*backend: 'native'/);
      const truncated = state.subarray(0, 1000);
      expect(() => j.loadState(truncated)).toThrow(/Invalid save state: truncated/);
      const other = state.slice();
      other[10] ^= 1; // the ROM hash
      expect(() => j.loadState(other)).toThrow(/another ROM/);
      const version = state.slice();
      version[4] = 9;
      expect(() => j.loadState(version)).toThrow(/version 9 is not the supported version 1/);
      // The console is unchanged by the refusals.
      expect(Buffer.compare(j.ram, ram)).toBe(0);
    } finally {
      j.close();
      n.close();
    }
  }, 120_000);

  it('decoded states load like their bytes, again and again, and the live frame is the rendered one', () => {
    const core = new JsnesCore(runner, 0, 0);
    const other = new JsnesCore(runner, 0, 0);
    try {
      for (let i = 0; i < 40; i++) core.stepFrame(script(i), false);
      const state = core.saveState();
      const decoded = core.decodeState(state);
      const run = (load: () => void) => {
        load();
        for (let i = 0; i < 30; i++) other.stepFrame(script(40 + i), i === 29);
        // The live buffer holds the frame just rendered into frameView, as palette indices.
        expect(Buffer.compare(Buffer.from(Uint8Array.from(other.liveFrame())), Buffer.from(other.frameView()))).toBe(0);
        return { ram: other.ramView().slice(), frame: other.frameView().slice(), frames: other.frameCount(), state: other.saveState() };
      };
      const fromBytes = run(() => other.loadState(state));
      // Loaded three times into another console of the ROM: the runs may not change the decoded state.
      for (let k = 0; k < 3; k++) {
        const fromDecoded = run(() => other.loadDecoded(decoded));
        expect(Buffer.compare(fromDecoded.ram, fromBytes.ram), `RAM, load ${k}`).toBe(0);
        expect(Buffer.compare(fromDecoded.frame, fromBytes.frame), `frame, load ${k}`).toBe(0);
        expect(fromDecoded.frames).toBe(fromBytes.frames);
        expect(Buffer.compare(fromDecoded.state, fromBytes.state), `state, load ${k}`).toBe(0);
      }
      expect(new Set(fromBytes.frame).size).toBeGreaterThan(2);
      expect(() => core.decodeState(state.subarray(0, 100))).toThrow(/Invalid save state: truncated/);
      if (MARIO_ROM) {
        const smb = new JsnesCore(readFileSync(MARIO_ROM), 0, 0);
        try {
          expect(() => smb.loadDecoded(decoded)).toThrow(/another ROM/);
        } finally {
          smb.close();
        }
      }
    } finally {
      core.close();
      other.close();
    }
  }, 120_000);

  it('checks ROMs with the native messages, and options', () => {
    const bad = (rom: Uint8Array) => {
      let message = '';
      try {
        new Nes(rom, { backend: 'native' });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).not.toBe('');
      expect(() => new Nes(rom, { backend: 'jsnes' })).toThrow(message);
    };
    bad(new Uint8Array(8));
    bad(new Uint8Array(64));
    const mapper5 = runner.slice();
    mapper5[6] = (mapper5[6]! & 0x0f) | 0x50;
    bad(mapper5);
    bad(runner.subarray(0, 9000));
    expect(() => new Nes(runner, { backend: 'snes' as never })).toThrow(/Expected one of 'auto', 'native', 'jsnes' for backend but received "snes"/);
  });

  it('says the CPU trace facility is native-only', () => {
    const j = new Nes(runner, { backend: 'jsnes' });
    try {
      expect(() => j.cpu).toThrow(/not available on the jsnes backend/);
      expect(() => j.traceLine()).toThrow(/backend: 'native'/);
      expect(() => j.stepInstruction()).toThrow(/jsnes backend/);
      j.close();
      expect(() => j.stepFrame(0)).toThrow('Nes is closed');
    } finally {
      j.close();
    }
  });
});
