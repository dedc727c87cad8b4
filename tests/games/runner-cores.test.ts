/**
 * The built-in game on both emulators: identical RAM on every frame of a 3,600-frame scripted
 * session (title, a stage cleared, deaths, game over, a new game), the scripted clear of stage 1
 * on our core, and seeded random play that never reaches the flag.
 */
import { describe, expect, it } from 'vitest';

import { loadRunnerRom, RUNNER_MODE, RUNNER_PLAYER_STATE as PS, RUNNER_RAM as RAM } from '../../src/games/runner.js';
import { jsnesConsole, nativeConsole, type GameConsole } from './consoles.js';
import { A, B, LEFT, RIGHT, START } from './jsnes-harness.js';
import { expand, STAGE1_CLEAR, STAGE2_CLEAR } from './runner-scripts.js';

const rom = loadRunnerRom();

/** Power on, 10 frames on the title screen, START, 2 frames while the stage loads. */
const BOOT = [...new Array<number>(10).fill(0), START, 0, 0];

function session(): number[] {
  const inputs = [...BOOT, ...expand(STAGE1_CLEAR), ...new Array<number>(140).fill(0), ...expand(STAGE2_CLEAR)];
  // Then run and jump blindly: deaths, a game over, the title screen, START again.
  for (let f = 0; inputs.length < 3600; f++) {
    const phase = f % 95;
    let buttons = phase < 60 ? RIGHT | B : phase < 85 ? RIGHT | B | A : LEFT;
    if (f % 400 === 399) buttons = START;
    inputs.push(buttons);
  }
  return inputs;
}

describe('runner: the same game on jsnes and on our core', () => {
  it('keeps RAM identical on every frame of a 3,600-frame session', () => {
    const inputs = session();
    const reference = jsnesConsole(rom);
    const ours = nativeConsole(rom);
    const seen = { cleared: 0, dying: 0, gameOver: 0, title: 0, stage2: 0 };
    let previous = { state: -1, mode: -1 };
    inputs.forEach((buttons, frame) => {
      reference.step(buttons);
      ours.step(buttons);
      // Frame 0 still shows each emulator's own power-on RAM; the game clears RAM before frame 1 ends.
      if (frame >= 1) {
        const a = reference.ramBytes();
        const b = ours.ramBytes();
        for (let i = 0; i < 0x800; i++) {
          if (a[i] !== b[i]) {
            throw new Error(`frame ${frame}: RAM $${i.toString(16).padStart(4, '0')} is ${a[i]} on jsnes but ${b[i]} on our core`);
          }
        }
      }
      const state = reference.ram(RAM.playerState);
      const mode = reference.ram(RAM.mode);
      if (mode === RUNNER_MODE.playing && state !== previous.state) {
        if (state === PS.cleared) seen.cleared++;
        if (state === PS.dying) seen.dying++;
      }
      if (mode !== previous.mode && mode === RUNNER_MODE.gameOver) seen.gameOver++;
      if (mode !== previous.mode && mode === RUNNER_MODE.title && frame > 0) seen.title++;
      if (reference.ram(RAM.stage) === 1) seen.stage2++;
      previous = { state, mode };
    });
    expect(inputs.length).toBeGreaterThanOrEqual(3000);
    expect(seen.cleared).toBeGreaterThanOrEqual(1);
    expect(seen.stage2).toBeGreaterThan(0);
    expect(seen.dying).toBeGreaterThanOrEqual(3);
    expect(seen.gameOver).toBeGreaterThanOrEqual(1);
    expect(seen.title).toBeGreaterThanOrEqual(1);
  });

  it('clears stage 1 with the scripted run on our core', () => {
    const c = nativeConsole(rom);
    for (const buttons of BOOT) c.step(buttons);
    expect(c.ram(RAM.mode)).toBe(RUNNER_MODE.playing);
    let cleared = -1;
    expand(STAGE1_CLEAR).forEach((buttons, frame) => {
      c.step(buttons);
      if (cleared < 0 && c.ram(RAM.playerState) === PS.cleared) cleared = frame;
      if (cleared < 0) expect(c.ram(RAM.playerState)).toBe(PS.alive);
    });
    expect(cleared).toBeGreaterThan(300);
    expect(c.ram(RAM.playerState)).toBe(PS.cleared);
  });
});

/** gym-super-mario-bros' SIMPLE_MOVEMENT: NOOP, RIGHT, RIGHT+A, RIGHT+B, RIGHT+A+B, A, LEFT. */
const SIMPLE_MOVEMENT = [0, RIGHT, RIGHT | A, RIGHT | B, RIGHT | A | B, A, LEFT];
const FRAME_SKIP = 4;
const MAX_STEPS = 1000; // 4,000 frames per episode at most (the clock alone allows 7,200)
const EPISODES = 200;

/** mulberry32: a small seeded PRNG, so the episodes are the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function playRandomly(c: GameConsole, random: () => number): { outcome: 'flag' | 'died' | 'capped'; furthest: number } {
  for (const buttons of BOOT) c.step(buttons);
  let furthest = 0;
  for (let step = 0; step < MAX_STEPS; step++) {
    const buttons = SIMPLE_MOVEMENT[Math.floor(random() * SIMPLE_MOVEMENT.length)]!;
    for (let k = 0; k < FRAME_SKIP; k++) c.step(buttons);
    furthest = Math.max(furthest, c.ram(RAM.xHigh) * 256 + c.ram(RAM.xLow));
    const state = c.ram(RAM.playerState);
    if (state === PS.cleared) return { outcome: 'flag', furthest };
    if (state !== PS.alive) return { outcome: 'died', furthest };
  }
  return { outcome: 'capped', furthest };
}

describe('runner: stage 1 is winnable but not by chance', () => {
  it(`random play (seeded, SIMPLE_MOVEMENT, frame skip ${FRAME_SKIP}) never reaches the flag in ${EPISODES} episodes`, () => {
    const random = mulberry32(2024);
    const outcomes = { flag: 0, died: 0, capped: 0 };
    const furthest: number[] = [];
    for (let episode = 0; episode < EPISODES; episode++) {
      const result = playRandomly(nativeConsole(rom, false), random);
      outcomes[result.outcome]++;
      furthest.push(result.furthest);
    }
    expect(outcomes.flag).toBe(0);
    expect(outcomes.died + outcomes.capped).toBe(EPISODES);
    // Real play, not stuck at the start: some episodes get past the first pit and the first walker.
    expect(Math.max(...furthest)).toBeGreaterThan(20 * 16);
    // The same seed on jsnes plays the same first episodes (the cores agree frame for frame).
    const again = mulberry32(2024);
    for (let episode = 0; episode < 3; episode++) {
      expect(playRandomly(jsnesConsole(rom), again).furthest).toBe(furthest[episode]);
    }
  });

  it('while the scripted run, under the same episode rules, reaches it', () => {
    const c = nativeConsole(rom, false);
    for (const buttons of BOOT) c.step(buttons);
    const script = expand(STAGE1_CLEAR);
    let outcome = 'capped';
    for (let i = 0; i < script.length; i += FRAME_SKIP) {
      for (let k = i; k < Math.min(i + FRAME_SKIP, script.length); k++) c.step(script[k]!);
      const state = c.ram(RAM.playerState);
      if (state === PS.cleared) outcome = 'flag';
      else if (state !== PS.alive) outcome = 'died';
      else continue;
      break;
    }
    expect(outcome).toBe('flag');
  });
});
