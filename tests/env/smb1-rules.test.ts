/**
 * SMB1 adapter rules on synthetic RAM (no ROM needed): decoding, the predicates, robust flag
 * detection, and the reward presets, against the TS reference of smb.md.
 */
import { describe, expect, it } from 'vitest';

import { loadTestAddon } from '../native-test-addon.js';
import { refSmb1, refV0Reward } from './reference.js';
import { Rng } from './rng.js';

const native = loadTestAddon();

function ram(set: Record<number, number> = {}): Uint8Array {
  const r = new Uint8Array(2048);
  r[0x000e] = 0x08; // normal
  r[0x00b5] = 1; // visible
  for (const [a, v] of Object.entries(set)) r[Number(a)] = v;
  return r;
}
function withTime(r: Uint8Array, t: number): Uint8Array {
  r[0x07f8] = Math.floor(t / 100);
  r[0x07f9] = Math.floor(t / 10) % 10;
  r[0x07fa] = t % 10;
  return r;
}
function withX(r: Uint8Array, x: number): Uint8Array {
  r[0x6d] = x >> 8;
  r[0x86] = x & 255;
  return r;
}
function withScore(r: Uint8Array, s: number): Uint8Array {
  const d = String(s).padStart(6, '0');
  for (let i = 0; i < 6; i++) r[0x07de + i] = Number(d[i]);
  return r;
}

describe('SMB1 RAM decoding', () => {
  it('matches the reference on random RAM images', () => {
    const rng = new Rng(7);
    for (let k = 0; k < 300; k++) {
      const r = new Uint8Array(2048);
      for (let i = 0; i < 2048; i++) r[i] = rng.below(256);
      // Make the interesting bytes take their meaningful values often.
      r[0x000e] = rng.below(13);
      r[0x00b5] = rng.below(3);
      r[0x001d] = rng.below(4);
      if (rng.below(3) === 0) r[0x16 + rng.below(5)] = rng.below(2) ? 0x31 : 0x2d;
      r[0x0770] = rng.below(3);
      for (const a of [0x07de, 0x07df, 0x07e0, 0x07e1, 0x07e2, 0x07e3, 0x07ed, 0x07ee, 0x07f8, 0x07f9, 0x07fa]) r[a] = rng.below(10);
      expect(native.smb1ReadRam(r)).toEqual(refSmb1(r));
    }
  });

  it('decodes positions, clock, score, coins', () => {
    const r = withScore(withTime(withX(ram({ 0x03b8: 176, 0x07ed: 1, 0x07ee: 7, 0x075f: 3, 0x075c: 1, 0x0760: 2 }), 700), 398), 12340);
    const s = native.smb1ReadRam(r);
    expect(s).toMatchObject({ xPos: 700, yPos: 79, time: 398, score: 12340, coins: 17, world: 4, stage: 2, area: 2 });
    r[0x00b5] = 0; // above the screen
    expect(native.smb1ReadRam(r).yPos).toBe(255 + (255 - 176));
  });

  it('dying, dead and busy states', () => {
    expect(native.smb1ReadRam(ram({ 0x000e: 0x0b })).dying).toBe(true);
    expect(native.smb1ReadRam(ram({ 0x00b5: 2 })).dying).toBe(true); // falling into a pit
    expect(native.smb1ReadRam(ram({ 0x000e: 0x06 })).dead).toBe(true);
    for (const s of [0, 1, 2, 3, 4, 5, 7]) expect(native.smb1ReadRam(ram({ 0x000e: s })).busy).toBe(true);
    for (const s of [6, 8, 9, 0x0b]) expect(native.smb1ReadRam(ram({ 0x000e: s })).busy).toBe(false);
  });
});

describe('SMB1 flag detection', () => {
  it('float state 3 with the flagpole (or Bowser) in an enemy slot is a flag', () => {
    expect(native.smb1ReadRam(ram({ 0x001d: 3, 0x0018: 0x31 })).flagGet).toBe(true);
    expect(native.smb1ReadRam(ram({ 0x001d: 3, 0x001a: 0x2d })).flagGet).toBe(true);
  });
  it('float state 2 at the flag (gym-super-mario-bros #91) counts when the engine is in its flagpole routine', () => {
    expect(native.smb1ReadRam(ram({ 0x001d: 2, 0x0016: 0x31, 0x000e: 0x04 })).flagGet).toBe(true);
  });
  it('falling near the flagpole is not a flag', () => {
    expect(native.smb1ReadRam(ram({ 0x001d: 2, 0x0016: 0x31, 0x000e: 0x08 })).flagGet).toBe(false);
  });
  it('climbing a vine (float state 3, no flagpole or Bowser) is not a flag (#71)', () => {
    expect(native.smb1ReadRam(ram({ 0x001d: 3, 0x000e: 0x01 })).flagGet).toBe(false);
    expect(native.smb1ReadRam(ram({ 0x001d: 3, 0x0016: 0x06 })).flagGet).toBe(false);
  });
  it('end of world (game mode 2) is a flag', () => {
    expect(native.smb1ReadRam(ram({ 0x0770: 2 })).flagGet).toBe(true);
  });
});

/** Builds a RAM sequence from per-frame edits. */
function sequence(frames: Array<(r: Uint8Array) => void>): Uint8Array {
  const out = new Uint8Array(frames.length * 2048);
  let cur = withTime(withX(ram(), 40), 400);
  frames.forEach((edit, t) => {
    cur = cur.slice();
    edit(cur);
    out.set(cur, t * 2048);
  });
  return out;
}

describe('SMB1 reward presets', () => {
  it("'v0' equals the classic rule frame by frame on random walks", () => {
    const rng = new Rng(11);
    const frames: Array<(r: Uint8Array) => void> = [() => {}];
    let x = 40;
    let t = 400;
    for (let i = 0; i < 400; i++) {
      const jump = rng.below(20) === 0; // occasional teleport
      x = Math.max(0, jump ? x + 200 - rng.below(400) : x + rng.below(9) - 3);
      if (rng.below(10) === 0) t = Math.max(0, t - 1);
      const dying = rng.below(50) === 0;
      const cx = x,
        ct = t;
      frames.push((r) => {
        withX(r, cx % 65536);
        withTime(r, ct);
        r[0x000e] = dying ? 0x0b : 0x08;
      });
    }
    const rams = sequence(frames);
    const { reward, components } = native.smb1Rewards(rams, 'v0');
    let prev = refSmb1(rams.subarray(0, 2048));
    for (let i = 1; i < frames.length; i++) {
      const cur = refSmb1(rams.subarray(i * 2048, (i + 1) * 2048));
      expect(reward[i - 1], `frame ${i}`).toBe(refV0Reward(prev, cur));
      prev = cur;
    }
    // Components are reported: some distance, some time penalty, some deaths.
    const col = (c: number) => Array.from({ length: frames.length - 1 }, (_, i) => components[i * 7 + c]!);
    expect(col(0).some((v) => v > 0)).toBe(true);
    expect(col(1).some((v) => v < 0)).toBe(true);
    expect(col(6).some((v) => v === -25)).toBe(true);
  });

  it("'v0' hides teleports and clips to [-15, 15]; the distance weight scales dx", () => {
    const rams = sequence([() => {}, (r) => withX(r, 45), (r) => withX(r, 300), (r) => withX(r, 302), (r) => (r[0x000e] = 0x0b)]);
    expect(Array.from(native.smb1Rewards(rams, 'v0').reward)).toEqual([5, 0, 2, -15]);
    expect(Array.from(native.smb1Rewards(rams, 'v0', 2, 0).reward)).toEqual([10, 0, 4, -15]);
  });

  it("'shaped' ('v9') pays new ground only, coins, power-ups, score/100 and the flag once", () => {
    const rams = sequence([
      () => {},
      (r) => withX(r, 44), // +4 new ground
      (r) => withX(r, 42), // back: 0
      (r) => withX(r, 45), // +1 (max was 44)
      (r) => {
        r[0x07ee] = 1;
      }, // a coin: +5
      (r) => {
        r[0x0756] = 1;
      }, // power-up: +5
      (r) => withScore(r, 200), // +2
      (r) => {
        r[0x001d] = 3;
        r[0x0016] = 0x31;
      }, // flag: +50, clipped
      (r) => {
        r[0x001d] = 3;
        r[0x0016] = 0x31;
      }, // flag again: nothing
    ]);
    const { reward, components } = native.smb1Rewards(rams, 'v9');
    expect(Array.from(reward)).toEqual([4, 0, 1, 5, 5, 2, 15, 0]);
    expect(components[6 * 7 + 5]).toBe(50); // flag component before the clip
  });

  it("'uvipen' is (v0 + score/40 + 50 on flag - 50 on death) / 10", () => {
    const rams = sequence([
      () => {},
      (r) => {
        withX(r, 43);
        withScore(r, 400);
      },
      (r) => (r[0x000e] = 0x0b),
    ]);
    const { reward } = native.smb1Rewards(rams, 'uvipen');
    expect(reward[0]).toBeCloseTo((3 + 400 / 40) / 10, 6);
    expect(reward[1]).toBeCloseTo((-15 - 50) / 10, 6);
    expect(() => native.smb1Rewards(rams, 'v7')).toThrow(/Expected one of 'v0', 'shaped', 'uvipen' for reward but received "v7"/);
  });
});
