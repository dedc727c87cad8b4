/**
 * Games as oracles and as determinism checks:
 *  - SMB1: RAM trace of 16 addresses vs jsnes over 6,000 frames of the reference input script;
 *  - SMB3: START presses reach the World 1 map (RAM + frame);
 *  - render on/off parity and save/restore replay identity on SMB1.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { Nes, bytesEqual } from '../../src/index.js';
import { romEnv, smbScript, smbScriptBytes } from './helpers.js';
import { JsnesOracle, layoutMask } from './jsnes-oracle.js';

const MARIO = romEnv('MARIO_ROM', 'SMB1 suites (jsnes trace, render parity, save states)');
const SMB3 = romEnv('SMB3_ROM', 'SMB3 world-map suite');

/** SMB1 addresses traced against jsnes (reference/smb.md). */
const SMB1_TRACE: [number, string][] = [
  [0x0770, 'game mode'],
  [0x075f, 'world'],
  [0x075c, 'stage'],
  [0x0760, 'area'],
  [0x006d, 'x page'],
  [0x0086, 'x'],
  [0x03b8, 'y pixel'],
  [0x00b5, 'y viewport'],
  [0x000e, 'player state'],
  [0x001d, 'float state'],
  [0x075a, 'lives'],
  [0x0756, 'power-up'],
  [0x07f8, 'time hundreds'],
  [0x07f9, 'time tens'],
  [0x07fa, 'time ones'],
  [0x07a0, 'pre-level timer'],
];

function hex(v: number): string {
  return `$${v.toString(16).toUpperCase().padStart(4, '0')}`;
}

describe.skipIf(!MARIO)('Super Mario Bros. (MARIO_ROM)', () => {
  const rom = () => new Uint8Array(readFileSync(MARIO!));

  it('RAM trace of 16 addresses matches jsnes for 6,000 frames of the input script', () => {
    const frames = 6000;
    const nes = new Nes(rom(), { powerOnRam: 'ff' }); // jsnes powers on with 0xFF RAM
    const oracle = new JsnesOracle(rom());
    let moved = 0;
    for (let f = 0; f < frames; f++) {
      const b = smbScript(f);
      nes.stepFrame(b, { render: false });
      oracle.stepFrame(b);
      for (const [address, name] of SMB1_TRACE) {
        const ours = nes.ram[address];
        const theirs = oracle.ram(address);
        if (ours !== theirs) {
          throw new Error(`frame ${f}: ${name} (${hex(address)}) is ${ours}, jsnes has ${theirs}`);
        }
      }
      if (nes.ram[0x0086] !== 0 || nes.ram[0x006d] !== 0) moved++;
    }
    // The script starts a game and runs right: the trace must cover real play, not a title screen.
    expect(nes.ram[0x0770]).toBe(1);
    expect(moved).toBeGreaterThan(3000);
    nes.close();
  });

  it('RAM is byte-identical every frame with rendering on and off', () => {
    const a = new Nes(rom());
    const b = new Nes(rom());
    for (let f = 0; f < 4000; f++) {
      a.stepFrame(smbScript(f), { render: true });
      b.stepFrame(smbScript(f), { render: false });
      if (!bytesEqual(a.ram, b.ram)) throw new Error(`RAM differs at frame ${f}`);
    }
    expect(a.cpu).toEqual(b.cpu);
    // Not vacuous: the game is being played and Mario has moved right.
    expect(a.ram[0x0770]).toBe(1);
    expect(a.ram[0x0086] + 256 * a.ram[0x006d]).toBeGreaterThan(100);
    expect(bytesEqual(a.saveState(), b.saveState())).toBe(true);
    a.close();
    b.close();
  });

  it('save, replay, restore, replay: identical RAM and frames; states load into a fresh console', () => {
    const script = smbScriptBytes(3000);
    const nes = new Nes(rom());
    nes.stepFrames(script.subarray(0, 1500));
    const state = nes.saveState();
    const frameAtSave = nes.frameCount;

    const record = (n: Nes) => {
      const rams: Uint8Array[] = [];
      const frames: Uint8Array[] = [];
      for (let f = 1500; f < 3000; f++) {
        n.stepFrame(script[f]);
        rams.push(n.ram.slice());
        if (f % 50 === 0) frames.push(n.frame.slice());
      }
      return { rams, frames, end: n.saveState() };
    };
    const first = record(nes);
    nes.loadState(state);
    expect(nes.frameCount).toBe(frameAtSave);
    const second = record(nes);
    const fresh = new Nes(rom());
    fresh.stepFrames(new Uint8Array(7)); // different history, then restore
    fresh.loadState(state);
    const third = record(fresh);
    for (const other of [second, third]) {
      expect(other.rams.length).toBe(first.rams.length);
      other.rams.forEach((r, i) => {
        if (!bytesEqual(r, first.rams[i])) throw new Error(`RAM differs ${i} frames after the restore`);
      });
      other.frames.forEach((fr, i) => {
        if (!bytesEqual(fr, first.frames[i])) throw new Error(`frame differs at sample ${i} after the restore`);
      });
      expect(bytesEqual(other.end, first.end)).toBe(true);
    }
    // The replay actually played: Mario moved between the save and the end.
    expect(first.rams[0][0x86] + 256 * first.rams[0][0x6d]).not.toBe(
      first.rams[1499][0x86] + 256 * first.rams[1499][0x6d],
    );
    nes.close();
    fresh.close();
  });

  it('rejects a state with a corrupted header and keeps running', () => {
    const nes = new Nes(rom());
    nes.stepFrames(smbScriptBytes(200));
    const state = nes.saveState();
    const before = nes.ram.slice();
    for (let i = 0; i < 8; i++) {
      const bad = state.slice();
      bad[i] ^= 0xff;
      expect(() => nes.loadState(bad), `header byte ${i}`).toThrow(Error);
      expect(bytesEqual(nes.ram, before)).toBe(true);
    }
    nes.stepFrame(0);
    nes.close();
  });
});

describe.skipIf(!SMB3)('Super Mario Bros. 3 (SMB3_ROM)', () => {
  it('reaches the World 1 map with START presses', () => {
    const rom = new Uint8Array(readFileSync(SMB3!));
    const nes = new Nes(rom);
    expect(nes.mapper).toBe(4);
    const oracle = new JsnesOracle(rom);
    const frames = 800;
    for (let f = 0; f < frames; f++) {
      const b = f % 100 >= 90 && f % 100 < 96 ? 0x08 : 0; // START for 6 frames every 100
      nes.stepFrame(b);
      oracle.stepFrame(b);
    }
    const dir = mkdtempSync(join(tmpdir(), 'mario-rl-smb3-'));
    const ppm = join(dir, 'world1-map.ppm');
    writeFileSync(ppm, Buffer.concat([Buffer.from('P6 256 240 255\n'), nes.toRgb()]));
    console.log(`SMB3 frame ${frames} written to ${ppm}`);
    // World map RAM (Data Crystal SMB3 RAM map): map position $75/$79 is Mario's start tile of
    // World 1 ($40, $20), world number $0727 = 0, lives $0736 = 4 (what jsnes shows on this map).
    expect({ y: nes.ram[0x75], x: nes.ram[0x79], world: nes.ram[0x727], lives: nes.ram[0x736] }).toEqual({
      y: 0x40,
      x: 0x20,
      world: 0,
      lives: 4,
    });
    // The frame is the map, not a blank screen: many colours, and its layout agrees with jsnes's.
    expect(new Set(nes.frame).size).toBeGreaterThanOrEqual(8);
    const ours = layoutMask(nes.frame);
    const theirs = layoutMask(oracle.lastFrame);
    let same = 0;
    for (let i = 0; i < ours.length; i++) same += ours[i] === theirs[i] ? 1 : 0;
    expect(same / ours.length).toBeGreaterThan(0.97);
    nes.close();
  });
});
