/**
 * The game rules exist twice, in C++ (native/env/smb1.cc, runner.cc) and in TS for the jsnes
 * backend (src/env/js/smb1.ts, runner.ts). This suite runs both on one table of cases (RAM
 * sequences that walk through every rule: movement and teleports, clock, score, coins and their
 * wrap, power-ups, death, flag, world end) plus random RAM images, and requires the same decoded
 * fields, per-frame rewards and components (float32, bit for bit) and tile grids. The full-run
 * comparison of both backends is tests/env/js/backends.test.ts.
 */
import { describe, expect, it } from 'vitest';

import { concatBytes } from '../../../src/bytes.js';
import { TileGrid } from '../../../src/env/js/game.js';
import { writeRunnerTiles } from '../../../src/env/js/runner.js';
import { defaultWeights, parsePreset, readSmb1, Smb1Tracker, writeSmb1Tiles } from '../../../src/env/js/smb1.js';
import { loadTestAddon } from '../../native-test-addon.js';
import { Rng } from '../rng.js';

const native = loadTestAddon();

/** A playing SMB1 RAM image with the given fields. */
function smbRam(o: {
  x?: number;
  time?: number;
  score?: number;
  coins?: number;
  status?: number;
  state?: number;
  viewport?: number;
  enemy?: number;
  float?: number;
  mode?: number;
}): Uint8Array {
  const r = new Uint8Array(2048);
  r[0x000e] = o.state ?? 0x08;
  r[0x00b5] = o.viewport ?? 1;
  const x = o.x ?? 40;
  r[0x6d] = x >> 8;
  r[0x86] = x & 255;
  const t = o.time ?? 400;
  [r[0x07f8], r[0x07f9], r[0x07fa]] = [Math.floor(t / 100), Math.floor(t / 10) % 10, t % 10];
  const s = String(o.score ?? 0).padStart(6, '0');
  for (let i = 0; i < 6; i++) r[0x07de + i] = Number(s[i]);
  const c = o.coins ?? 0;
  [r[0x07ed], r[0x07ee]] = [Math.floor(c / 10), c % 10];
  r[0x0756] = o.status ?? 0;
  r[0x0016] = o.enemy ?? 0;
  r[0x001d] = o.float ?? 0;
  r[0x0770] = o.mode ?? 1;
  r[0x075a] = 2;
  return r;
}

/** The table: each case is a RAM sequence (the first one starts the episode). */
const CASES: Record<string, Uint8Array[]> = {
  'walk right, then left': [40, 42, 45, 50, 49, 47].map((x) => smbRam({ x })),
  'teleport hides dx and restarts the max': [100, 103, 400, 402, 30, 33].map((x) => smbRam({ x })),
  'clock ticks': [400, 400, 399, 398, 398].map((time) => smbRam({ time })),
  'score and coins, 99 -> 0 wrap': [
    smbRam({ score: 0, coins: 98 }),
    smbRam({ score: 200, coins: 99 }),
    smbRam({ score: 1200, coins: 0 }),
    smbRam({ score: 1250, coins: 1 }),
  ],
  'power-up and back': [0, 1, 2, 0].map((status) => smbRam({ status })),
  'dying, dead': [smbRam({}), smbRam({ state: 0x0b }), smbRam({ state: 0x06 }), smbRam({ viewport: 2 })],
  'flag: float state 3, player state 4, paid once': [
    smbRam({ x: 3000 }),
    smbRam({ x: 3002, enemy: 0x31, float: 3 }),
    smbRam({ x: 3004, enemy: 0x31, state: 0x04 }),
    smbRam({ x: 3004, enemy: 0x31, float: 3 }),
  ],
  'world over': [smbRam({}), smbRam({ mode: 2 })],
  'big steps clip at 15': [smbRam({ x: 40, score: 0 }), smbRam({ x: 45, score: 5000 }), smbRam({ x: 50, time: 300 })],
};

describe('SMB1 rules: TS and C++ on one table of cases', () => {
  for (const [name, rams] of Object.entries(CASES)) {
    it(name, () => {
      let nonZero = 0;
      for (const presetName of ['v0', 'shaped', 'uvipen']) {
        for (const weights of [undefined, [0.5, 0.3]] as const) {
          const want = weights
            ? native.smb1Rewards(concatBytes(...rams), presetName, weights[0], weights[1])
            : native.smb1Rewards(concatBytes(...rams), presetName);
          const preset = parsePreset(presetName);
          const w = weights ? { distance: Math.fround(weights[0]), score: Math.fround(weights[1]) } : defaultWeights(preset);
          const tracker = new Smb1Tracker();
          tracker.start(readSmb1(rams[0]!));
          const reward = new Float32Array(rams.length - 1);
          const components = new Float32Array((rams.length - 1) * 7);
          for (let t = 1; t < rams.length; t++) reward[t - 1] = tracker.frame(readSmb1(rams[t]!), preset, w, components.subarray((t - 1) * 7, t * 7));
          expect([...reward], `${presetName} rewards`).toEqual([...want.reward]);
          expect([...components], `${presetName} components`).toEqual([...want.components]);
          nonZero += reward.filter((r) => r !== 0).length;
        }
      }
      expect(nonZero, 'the case exercises a rule of some preset').toBeGreaterThan(0);
    });
  }

  it('decodes random RAM images as the C++ adapter does', () => {
    const rng = new Rng(11);
    for (let k = 0; k < 60; k++) {
      const ram = new Uint8Array(2048);
      for (let i = 0; i < ram.length; i++) ram[i] = rng.below(256);
      const want = native.smb1ReadRam(ram);
      const got = readSmb1(ram) as unknown as Record<string, number | boolean>;
      const mismatched = Object.entries(want).filter(([key, value]) => got[key] !== value);
      expect(mismatched, `image ${k}`).toEqual([]);
    }
  });
});

describe('tile grids: TS and C++ agree', () => {
  it('on random RAM images of both games, every grid size', () => {
    const rng = new Rng(5);
    for (let k = 0; k < 60; k++) {
      const ram = new Uint8Array(2048);
      for (let i = 0; i < ram.length; i++) ram[i] = rng.below(256);
      if (k % 2) ram[0x0725] = ram[0x071a]! + 1; // SMB1: the parser a screen ahead, so columns are loaded
      const [rows, cols] = [
        [13, 16],
        [8, 8],
        [32, 64],
      ][k % 3]!;
      for (const [game, write] of [
        ['smb1', writeSmb1Tiles],
        ['runner', writeRunnerTiles],
      ] as const) {
        const cells = new Uint8Array(rows * cols);
        write(ram, new TileGrid(cells, rows, cols));
        expect(Buffer.compare(cells, native.envTileGrid(game, ram, rows, cols)), `${game} ${rows}x${cols} image ${k}`).toBe(0);
      }
    }
  });
});
