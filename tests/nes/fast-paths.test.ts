/**
 * The core's fast paths (idle-loop fast-forward, whole-line PPU; NesOptions.fastPaths) against
 * the core without them: random input scripts on SMB1, SMB3, the built-in game and the synthetic
 * cartridge must give byte-identical RAM, CPU registers, cycle counts and frames after every
 * frame, and save states taken one way must load and replay identically the other way.
 *
 * FAST_PATHS_FRAMES (default 1,200) and FAST_PATHS_SEEDS (default 3) make the long variant, e.g.
 * FAST_PATHS_FRAMES=20000 FAST_PATHS_SEEDS=8.
 */
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { Nes, bytesEqual } from '../../src/index.js';
import { loadRunnerRom } from '../../src/games/runner.js';
import { defaultFastPaths } from '../../src/native.js';
import { Rng } from '../env/rng.js';
import { romEnv, syntheticMmc3IrqRom, syntheticRom } from './helpers.js';

const FRAMES = Number(process.env.FAST_PATHS_FRAMES ?? 1200);
const SEEDS = Number(process.env.FAST_PATHS_SEEDS ?? 3);
const MARIO = romEnv('MARIO_ROM', 'SMB1 fast-paths exactness');
const SMB3 = romEnv('SMB3_ROM', 'SMB3 fast-paths exactness');

/**
 * A random input script: START twice early (title screens, SMB3's second menu), then buttons held
 * for random stretches of 1-30 frames, START and SELECT rarely (pauses, menus), so the game plays
 * through many of its code paths.
 */
function inputScript(seed: number, frames: number): Uint8Array {
  const rng = new Rng(seed * 7919 + 1);
  const out = new Uint8Array(frames);
  let held = 0;
  let left = 0;
  for (let f = 0; f < frames; f++) {
    if (left === 0) {
      held = rng.below(256) & (rng.next() < 0.03 ? 0xff : 0xf3);
      left = 1 + rng.below(30);
    }
    --left;
    out[f] = f % 120 >= 40 && f % 120 < 46 && f < 400 ? 0x08 : held;
  }
  return out;
}

function describeDiff(a: Nes, b: Nes, frame: number): string | undefined {
  const ca = a.cpu;
  const cb = b.cpu;
  for (const key of ['pc', 'a', 'x', 'y', 'p', 'sp', 'cycles'] as const) {
    if (ca[key] !== cb[key]) return `frame ${frame}: cpu.${key} is ${ca[key]} with fast paths, ${cb[key]} without`;
  }
  for (let i = 0; i < a.ram.length; i++) {
    if (a.ram[i] !== b.ram[i]) return `frame ${frame}: RAM[$${i.toString(16)}] is ${a.ram[i]} with fast paths, ${b.ram[i]} without`;
  }
  if (!bytesEqual(a.frame, b.frame)) return `frame ${frame}: the frames differ`;
  if (a.frameCount !== b.frameCount) return `frame ${frame}: frame counts differ`;
  return undefined;
}

/** Steps both consoles through `script`, comparing after every frame; returns frames compared. */
function lockstep(fast: Nes, exact: Nes, script: Uint8Array, renderEvery = 1): number {
  for (let f = 0; f < script.length; f++) {
    const render = f % renderEvery === 0;
    fast.stepFrame(script[f]!, { render });
    exact.stepFrame(script[f]!, { render });
    const diff = describeDiff(fast, exact, f);
    if (diff) throw new Error(diff);
  }
  return script.length;
}

const GAMES: [string, (() => Uint8Array) | undefined][] = [
  ['SMB1 (MARIO_ROM)', MARIO ? () => new Uint8Array(readFileSync(MARIO)) : undefined],
  ['SMB3 (SMB3_ROM)', SMB3 ? () => new Uint8Array(readFileSync(SMB3)) : undefined],
  ['the built-in game', () => loadRunnerRom()],
  ['the synthetic cartridge', () => syntheticRom()],
  ['a synthetic MMC3 cartridge with scanline IRQs on every counter path', () => syntheticMmc3IrqRom()],
];

describe('fast paths are exact', () => {
  for (const [name, rom] of GAMES) {
    describe.skipIf(!rom)(name, () => {
      it(`random input scripts, ${SEEDS} seeds × ${FRAMES} frames: RAM, registers, cycles and frames equal at every frame`, () => {
        const bytes = rom!();
        for (let seed = 0; seed < SEEDS; seed++) {
          const fast = new Nes(bytes, { fastPaths: true, powerOnRam: 'random', seed });
          const exact = new Nes(bytes, { fastPaths: false, powerOnRam: 'random', seed });
          // Every third frame unrendered: render: false must skip pixel work, not timing.
          expect(lockstep(fast, exact, inputScript(seed, FRAMES), seed === 0 ? 1 : 3)).toBe(FRAMES);
          fast.close();
          exact.close();
        }
      });

      it('save states cross over: taken with fast paths, replayed without, and back', () => {
        const bytes = rom!();
        const script = inputScript(99, 600);
        const fast = new Nes(bytes, { fastPaths: true });
        const exact = new Nes(bytes, { fastPaths: false });
        lockstep(fast, exact, script.subarray(0, 300));
        const fromFast = fast.saveState();
        const fromExact = exact.saveState();
        expect(bytesEqual(fromFast, fromExact)).toBe(true); // the setting is not in the state
        // Swap: the exact console continues from the fast console's state, and vice versa.
        exact.loadState(fromFast);
        fast.loadState(fromExact);
        lockstep(fast, exact, script.subarray(300));
        // And each replays its own past identically after loading the other's state again.
        const endFast = fast.saveState();
        fast.loadState(fromFast);
        exact.loadState(fromExact);
        lockstep(fast, exact, script.subarray(300));
        expect(bytesEqual(fast.saveState(), endFast)).toBe(true);
        fast.close();
        exact.close();
      });
    });
  }
});

describe('the synthetic MMC3 cartridge', () => {
  it('takes scanline IRQs and NMIs, so the lockstep above exercises the A12 countdown', () => {
    const nes = new Nes(syntheticMmc3IrqRom(), { fastPaths: true });
    for (let f = 0; f < 60; f++) nes.stepFrame(0);
    expect(nes.ram[0]).toBeGreaterThan(50); // NMIs
    expect(nes.ram[1]).toBeGreaterThan(100); // IRQs: latch 7 re-arms fire every 8 lines
    nes.close();
  });
});

describe('fastPaths option', () => {
  it('is validated with the standard message', () => {
    const rom = syntheticRom();
    expect(() => new Nes(rom, { fastPaths: 'no' as never })).toThrow(new TypeError('Expected a boolean for fastPaths but received "no"'));
  });

  it('defaults to true, false under MARIO_RL_EXACT=1', () => {
    const saved = process.env.MARIO_RL_EXACT;
    try {
      delete process.env.MARIO_RL_EXACT;
      expect(defaultFastPaths()).toBe(true);
      process.env.MARIO_RL_EXACT = '1';
      expect(defaultFastPaths()).toBe(false);
      process.env.MARIO_RL_EXACT = '0';
      expect(defaultFastPaths()).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.MARIO_RL_EXACT;
      else process.env.MARIO_RL_EXACT = saved;
    }
  });
});
