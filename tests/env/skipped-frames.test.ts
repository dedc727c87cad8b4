/**
 * env::SkippedFrames (native/env/game.h), the path a game's SkipUnplayable steps through: frames
 * run without pixels and only the last one is re-run with them from a save state. Against a
 * console that renders every frame with the same RAM pokes at the same points, the picture and
 * the RAM after Finish() must be identical, including a poke made after the last frame (which
 * the re-run from the earlier save state would lose without the RAM copy). Uses the built-in
 * game, so it needs no ROM from outside.
 */
import { describe, expect, it } from 'vitest';

import { loadRunnerRom, RUNNER_RAM } from '../../src/games/runner.js';
import { loadTestAddon, type RawEnvTestConsole } from '../native-test-addon.js';

const rom = loadRunnerRom();
const START = 0x08;
const RIGHT = 0x80;
const A = 0x01;

function playing(): RawEnvTestConsole {
  const c = new (loadTestAddon().EnvTestConsole)(rom);
  for (let f = 0; f < 90; f++) c.stepFrame(f >= 30 && f < 34 ? START : 0);
  for (let f = 0; f < 60; f++) c.stepFrame(RIGHT | (f % 20 < 6 ? A : 0));
  expect(c.ram()[RUNNER_RAM.mode]).toBe(1); // playing
  return c;
}

describe('SkippedFrames', () => {
  const cases: { name: string; frames: number; pokes: [number, number, number][] }[] = [
    { name: 'one frame, no pokes', frames: 1, pokes: [] },
    {
      name: 'twelve frames, pokes between frames',
      frames: 12,
      pokes: [
        [2, RUNNER_RAM.xSpeed, 40],
        [7, RUNNER_RAM.stomps, 9],
      ],
    },
    {
      name: 'pokes after the last frame (kept through the re-run)',
      frames: 6,
      pokes: [
        [5, RUNNER_RAM.stomps, 77],
        [5, 0x0700, 0xa5],
        [1, RUNNER_RAM.xLow, 3],
      ],
    },
  ];
  for (const { name, frames, pokes } of cases) {
    it(`${name}: picture and RAM equal a console that renders every frame`, () => {
      const buttons = Uint8Array.from({ length: frames }, (_, f) => RIGHT | (f % 5 === 0 ? A : 0));
      const skipped = playing();
      const reference = playing();
      expect(skipped.ram()).toEqual(reference.ram());
      skipped.skipFrames(buttons, Int32Array.from(pokes.flat()));
      buttons.forEach((b, f) => {
        reference.stepFrame(b, true);
        for (const [at, address, value] of pokes) if (at === f) reference.poke(address, value);
      });
      const ram = skipped.ram();
      expect(ram).toEqual(reference.ram());
      for (const [at, address, value] of pokes) if (at === frames - 1) expect(ram[address]).toBe(value);
      expect(skipped.frame()).toEqual(reference.frame());
      expect(reference.frame().some((v) => v !== reference.frame()[0])).toBe(true); // a real picture
    });
  }

  it('rejects bad pokes', () => {
    const c = playing();
    expect(() => c.skipFrames(new Uint8Array(2), new Int32Array([0, 1]))).toThrow('Expected (at, address, value) triples for pokes');
    expect(() => c.skipFrames(new Uint8Array(2), new Int32Array([2, 1, 1]))).toThrow(RangeError);
    expect(() => c.skipFrames(new Uint8Array(2), new Int32Array([0, 0x800, 1]))).toThrow(RangeError);
    expect(() => c.skipFrames(new Uint8Array(2), [0, 1, 1] as unknown as Int32Array)).toThrow('Expected an Int32Array for pokes');
  });
});
