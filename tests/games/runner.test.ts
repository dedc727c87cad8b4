/**
 * The built-in game on jsnes (the reference emulator): reproducible build, title screen,
 * controls, the four events an environment must see in RAM (pit death, enemy death, stomp,
 * flag), stage select, clock, game over.
 */
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { buildRunnerRom, loadRunnerRom, RUNNER_MODE, RUNNER_PLAYER_STATE as PS, RUNNER_RAM as RAM, runnerRomPath } from '../../src/games/runner.js';
import { A, B, JsnesConsole, LEFT, poke, RIGHT, START } from './jsnes-harness.js';
import { expand, STAGE1_CLEAR } from './runner-scripts.js';

const rom = loadRunnerRom();

/** Powers on, waits on the title screen, optionally selects a stage, presses START, waits for the stage. */
function start(stage?: number): JsnesConsole {
  const c = new JsnesConsole(rom);
  for (let i = 0; i < 10; i++) c.step(0);
  if (stage !== undefined) poke(c, RAM.stage, stage);
  c.step(START);
  for (let i = 0; i < 5 && c.ram(RAM.mode) !== RUNNER_MODE.playing; i++) c.step(0);
  expect(c.ram(RAM.mode)).toBe(RUNNER_MODE.playing);
  return c;
}

const x = (c: JsnesConsole): number => c.ram(RAM.xHigh) * 256 + c.ram(RAM.xLow);
const clock = (c: JsnesConsole): number => c.ram(RAM.clock) * 100 + c.ram(RAM.clock + 1) * 10 + c.ram(RAM.clock + 2);
const enemyX = (c: JsnesConsole, i: number): number => c.ram(RAM.enemyXHigh + i) * 256 + c.ram(RAM.enemyXLow + i);

/** Steps until `done` holds (returns the frame count) or fails after `limit` frames. */
function stepUntil(c: JsnesConsole, buttons: number, done: () => boolean, limit: number): number {
  for (let f = 1; f <= limit; f++) {
    c.step(buttons);
    if (done()) return f;
  }
  throw new Error(`condition not reached in ${limit} frames`);
}

describe('runner: the ROM', () => {
  it('rebuilds from source to the shipped bytes', () => {
    const built = buildRunnerRom();
    expect(Buffer.from(built.bytes).equals(readFileSync(runnerRomPath()))).toBe(true);
    expect(Buffer.from(buildRunnerRom().bytes).equals(Buffer.from(built.bytes))).toBe(true);
  });

  it('is an NROM image: 16 KiB PRG, 8 KiB CHR, vertical mirroring', () => {
    expect(rom.length).toBe(16 + 0x4000 + 0x2000);
    expect(Array.from(rom.slice(0, 8))).toEqual([0x4e, 0x45, 0x53, 0x1a, 1, 1, 0x01, 0x00]);
  });

  it('keeps its public RAM map in step with the source', () => {
    const { symbols } = buildRunnerRom();
    expect(symbols.get('mode')).toBe(RAM.mode);
    expect(symbols.get('stage')).toBe(RAM.stage);
    expect(symbols.get('lives')).toBe(RAM.lives);
    expect(symbols.get('pstate')).toBe(RAM.playerState);
    expect(symbols.get('px_lo')).toBe(RAM.xLow);
    expect(symbols.get('px_hi')).toBe(RAM.xHigh);
    expect(symbols.get('py')).toBe(RAM.y);
    expect(symbols.get('clock')).toBe(RAM.clock);
    expect(symbols.get('cam_lo')).toBe(RAM.cameraLow);
    expect(symbols.get('stomps')).toBe(RAM.stomps);
    expect(symbols.get('flag_col')).toBe(RAM.flagColumn);
    expect(symbols.get('e_state')).toBe(RAM.enemyState);
    expect(symbols.get('e_xlo')).toBe(RAM.enemyXLow);
    expect(symbols.get('e_xhi')).toBe(RAM.enemyXHigh);
    expect(symbols.get('e_y')).toBe(RAM.enemyY);
    expect(symbols.get('LEVEL')).toBe(RAM.level);
    expect(symbols.get('PS_CLEARED')).toBe(PS.cleared);
  });
});

describe('runner: title screen and controls', () => {
  it('waits on the title screen until START', () => {
    const c = new JsnesConsole(rom);
    for (let i = 0; i < 60; i++) c.step(i % 2 ? A | RIGHT : B);
    expect(c.ram(RAM.mode)).toBe(RUNNER_MODE.title);
    c.step(START);
    c.step(0); // the stage loads with rendering off, across a frame boundary
    c.step(0);
    expect(c.ram(RAM.mode)).toBe(RUNNER_MODE.playing);
    expect(c.ram(RAM.playerState)).toBe(PS.alive);
    expect([x(c), c.ram(RAM.y), c.ram(RAM.lives), clock(c), c.ram(RAM.stage)]).toEqual([32, 192, 3, 300, 0]);
  });

  it('walks with RIGHT and runs faster with B', () => {
    const c = start();
    let walk = 0;
    for (let i = 0; i < 30; i++) {
      c.step(RIGHT);
      walk = Math.max(walk, c.ram(RAM.xSpeed));
    }
    let run = 0;
    for (let i = 0; i < 30; i++) {
      c.step(RIGHT | B);
      run = Math.max(run, c.ram(RAM.xSpeed));
    }
    expect([walk, run]).toEqual([24, 40]); // 1.5 and 2.5 px per frame
  });

  it('scrolls only forward: walking left stops at the left edge of the screen', () => {
    const c = start();
    for (const buttons of expand(STAGE1_CLEAR).slice(0, 108)) c.step(buttons); // past the first pit
    const camera = (): number => c.ram(RAM.cameraHigh) * 256 + c.ram(RAM.cameraLow);
    expect(x(c) - camera()).toBe(112); // the camera keeps the player 112 px from the left edge
    let last = camera();
    for (let i = 0; i < 150; i++) {
      c.step(LEFT);
      expect(camera()).toBeGreaterThanOrEqual(last);
      last = camera();
    }
    expect(c.ram(RAM.playerState)).toBe(PS.alive);
    expect(x(c)).toBe(camera());
  });

  it('jumps higher while A is held (variable height)', () => {
    const apex = (holdFrames: number): number => {
      const c = start();
      for (let i = 0; i < 5; i++) c.step(0);
      let top = 255;
      for (let i = 0; i < 90; i++) {
        c.step(i < holdFrames ? A : 0);
        top = Math.min(top, c.ram(RAM.y));
      }
      expect(c.ram(RAM.y)).toBe(192); // landed again
      return 192 - top;
    };
    const tap = apex(2);
    const held = apex(40);
    expect(tap).toBeGreaterThan(8);
    expect(tap).toBeLessThan(32); // not enough for a two-block step
    expect(held).toBeGreaterThan(48); // enough for a three-block wall
  });
});

describe('runner: events an environment sees in RAM', () => {
  it('clears stage 1 with the scripted run: the flag sets the cleared state, then stage 2 loads', () => {
    const c = start();
    let frame = 0;
    for (const buttons of expand(STAGE1_CLEAR)) {
      c.step(buttons);
      frame++;
      if (c.ram(RAM.playerState) !== PS.alive) break;
    }
    expect(c.ram(RAM.playerState)).toBe(PS.cleared);
    expect(frame).toBeLessThan(400);
    expect((x(c) + 8) >> 4).toBeGreaterThanOrEqual(c.ram(RAM.flagColumn));
    expect(c.ram(RAM.flagColumn)).toBe(58);
    expect(c.ram(RAM.stomps)).toBeGreaterThan(0);
    const clockAtFlag = clock(c);
    for (let i = 0; i < 60; i++) c.step(RIGHT);
    expect(c.ram(RAM.playerState)).toBe(PS.cleared); // frozen at the flag, the clock stopped
    expect(clock(c)).toBe(clockAtFlag);
    stepUntil(c, 0, () => c.ram(RAM.stage) === 1, 200);
    expect([c.ram(RAM.playerState), x(c), c.ram(RAM.lives), clock(c)]).toEqual([PS.alive, 32, 3, 300]);
  });

  it('dies in a pit: dying with y below every floor, then dead, then a life is lost', () => {
    const c = start();
    stepUntil(c, RIGHT, () => c.ram(RAM.playerState) !== PS.alive, 300);
    expect(c.ram(RAM.playerState)).toBe(PS.dying);
    expect(c.ram(RAM.y)).toBeGreaterThanOrEqual(217);
    expect(x(c)).toBeGreaterThanOrEqual(9 * 16 - 12); // the first pit is columns 9-10
    expect(x(c)).toBeLessThan(11 * 16);
    expect(c.ram((RAM.level + (x(c) + 8) / 16) | 0)).toBe(0);
    const dyingFrames = stepUntil(c, 0, () => c.ram(RAM.playerState) === PS.dead, 100);
    expect(dyingFrames).toBe(64);
    expect(c.ram(RAM.lives)).toBe(3);
    stepUntil(c, 0, () => c.ram(RAM.playerState) === PS.alive, 30);
    expect([c.ram(RAM.lives), x(c), c.ram(RAM.y), clock(c)]).toEqual([2, 32, 192, 300]);
  });

  it('dies on side contact with a walker', () => {
    const c = start();
    // Jump the first pit, then stand still: the first walker patrols toward the player.
    for (const buttons of expand(STAGE1_CLEAR).slice(0, 63)) c.step(buttons);
    expect(c.ram(RAM.playerState)).toBe(PS.alive);
    expect(c.ram(RAM.stomps)).toBe(0);
    stepUntil(c, 0, () => c.ram(RAM.playerState) !== PS.alive, 400);
    expect(c.ram(RAM.playerState)).toBe(PS.dying);
    expect(c.ram(RAM.y)).toBeLessThan(217);
    expect(c.ram(RAM.enemyState)).toBe(1);
    expect(Math.abs(enemyX(c, 0) - x(c))).toBeLessThan(12);
    expect(Math.abs(c.ram(RAM.enemyY) - c.ram(RAM.y))).toBeLessThan(16);
    const lowest = (): number => c.ram(RAM.y);
    stepUntil(c, 0, () => c.ram(RAM.playerState) === PS.dead, 100);
    expect(lowest()).toBe(240); // hopped, then fell off the screen
  });

  it('stomps a walker: it is squashed, the player bounces and lives, then it is gone', () => {
    const c = start();
    const script = expand(STAGE1_CLEAR);
    let i = 0;
    while (c.ram(RAM.stomps) === 0) {
      c.step(script[i++]!);
      expect(c.ram(RAM.playerState)).toBe(PS.alive);
    }
    const squashed = [0, 1, 2, 3, 4, 5].filter((e) => c.ram(RAM.enemyState + e) === 2);
    expect(squashed.length).toBe(1);
    const e = squashed[0]!;
    expect(c.ram(RAM.ySpeed)).toBeGreaterThanOrEqual(0x80); // moving up: the bounce
    expect(c.ram(RAM.y)).toBeLessThan(c.ram(RAM.enemyY + e));
    for (let k = 0; k < 30; k++) c.step(script[i++]!);
    expect(c.ram(RAM.enemyState + e)).toBe(3);
    expect(c.ram(RAM.playerState)).toBe(PS.alive);
  });

  it('counts the clock down once per 24 frames and kills the player at zero', () => {
    const c = start();
    stepUntil(c, 0, () => clock(c) === 299, 30);
    for (let i = 0; i < 240; i++) c.step(0);
    expect(clock(c)).toBe(289);
    poke(c, RAM.clock, 0);
    poke(c, RAM.clock + 1, 0);
    poke(c, RAM.clock + 2, 1);
    const frames = stepUntil(c, 0, () => c.ram(RAM.playerState) !== PS.alive, 30);
    expect(frames).toBeLessThanOrEqual(24);
    expect(clock(c)).toBe(0);
    expect(c.ram(RAM.playerState)).toBe(PS.dying);
  });

  it('ends the game after the last life and returns to the title screen', () => {
    const c = start();
    for (let life = 3; life >= 1; life--) {
      expect(c.ram(RAM.lives)).toBe(life);
      stepUntil(c, RIGHT, () => c.ram(RAM.playerState) === PS.dead, 400);
      stepUntil(c, 0, () => c.ram(RAM.playerState) !== PS.dead || c.ram(RAM.mode) !== RUNNER_MODE.playing, 30);
    }
    expect(c.ram(RAM.mode)).toBe(RUNNER_MODE.gameOver);
    expect(c.ram(RAM.lives)).toBe(0);
    stepUntil(c, 0, () => c.ram(RAM.mode) === RUNNER_MODE.title, 200);
    c.step(START);
    stepUntil(c, 0, () => c.ram(RAM.mode) === RUNNER_MODE.playing, 5);
    expect(c.ram(RAM.lives)).toBe(3);
  });
});

describe('runner: stage select by writing RAM', () => {
  const layout = (c: JsnesConsole): number[] => Array.from({ length: 64 }, (_, i) => c.ram(RAM.level + i));
  const walkers = (c: JsnesConsole): number => [0, 1, 2, 3, 4, 5].filter((e) => c.ram(RAM.enemyState + e) === 1).length;

  it('loads the stage written to RAM on the title screen', () => {
    const stages = [0, 1, 2].map((s) => start(s));
    expect(stages.map((c) => c.ram(RAM.stage))).toEqual([0, 1, 2]);
    expect(stages.map((c) => c.ram(RAM.flagColumn))).toEqual([58, 60, 60]);
    expect(stages.map(walkers)).toEqual([4, 5, 6]); // rising difficulty
    const pits = stages.map((c) => layout(c).filter((b) => (b & 0x0f) === 0).length);
    expect(pits).toEqual([8, 18, 21]); // columns without ground (stepping stones included)
    expect(new Set(stages.map((c) => layout(c).join())).size).toBe(3);
  });

  it('reloads the stage in RAM after a death', () => {
    const c = start(0);
    poke(c, RAM.stage, 2);
    stepUntil(c, RIGHT, () => c.ram(RAM.playerState) === PS.dead, 400);
    stepUntil(c, 0, () => c.ram(RAM.playerState) === PS.alive, 30);
    expect(c.ram(RAM.flagColumn)).toBe(60);
    expect(walkers(c)).toBe(6);
  });

  it('treats an out-of-range stage as stage 1', () => {
    const c = start(7);
    expect([c.ram(RAM.stage), c.ram(RAM.flagColumn)]).toEqual([0, 58]);
  });
});
