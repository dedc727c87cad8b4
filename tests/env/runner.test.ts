/**
 * The `runner` game adapter (native/env/runner.cc) on the built-in game: built-in ROM, ROM check,
 * stage select, done rules, info fields and the v0-like reward, on scripted runs. The done rules,
 * info and reward run on both backends (its TypeScript twin src/env/js/runner.ts on jsnes).
 */

import { describe, expect, it } from 'vitest';

import { VecEnv, type VecEnvOptions } from '../../src/index.js';
import { loadRunnerRom } from '../../src/games/runner.js';
import { expand, STAGE1_CLEAR } from '../games/runner-scripts.js';
import { sealState, STATE_OFFSETS } from '../nes/helpers.js';
import { ENV_BACKENDS, type EnvBackend } from './backends.js';

// SIMPLE_MOVEMENT indices: 0 NOOP, 1 RIGHT, 2 RIGHT+A, 3 RIGHT+B, 4 RIGHT+A+B, 5 A, 6 LEFT.
const ACTION_OF_BUTTONS: Record<number, number> = { 0x00: 0, 0x80: 1, 0x81: 2, 0x82: 3, 0x83: 4, 0x01: 5, 0x40: 6 };
const NOOP = 0;
const RIGHT = 1;

/** One lane, one frame per step, so the recorded scripts replay as they were recorded. */
function env(options: Record<string, unknown> = {}, backend: EnvBackend = 'native'): VecEnv {
  return new VecEnv({ backend, game: 'runner', numEnvs: 1, stages: ['1'], frameSkip: 1, maxPool: false, obs: 'ram', ...options });
}

function snapshot(info: Record<string, Int32Array>): Record<string, number> {
  return Object.fromEntries(Object.entries(info).map(([k, v]) => [k, v[0]!]));
}

describe('runner adapter: ROM and options', () => {
  it('runs assets/runner.nes when no rom is given, exactly as when it is passed', () => {
    const builtin = env();
    const given = env({ rom: loadRunnerRom() });
    expect(Buffer.from(builtin.reset().obs).equals(Buffer.from(given.reset().obs))).toBe(true);
    const actions = new Int32Array([RIGHT]);
    for (let i = 0; i < 50; i++) {
      expect(Buffer.from(builtin.step(actions).obs).equals(Buffer.from(given.step(actions).obs))).toBe(true);
    }
    builtin.close();
    given.close();
  });

  it('rejects other ROMs, unknown stages and reward presets with clear errors', () => {
    const notRunner = loadRunnerRom().slice();
    const title = Buffer.from(notRunner).indexOf('RUNNER');
    notRunner.fill(0x20, title, title + 6);
    expect(() => env({ rom: notRunner })).toThrow(
      new TypeError(
        "Expected the runner ROM (mapper 0, 16 KiB PRG, 8 KiB CHR, title 'RUNNER') for rom but received a ROM with mapper 0, 16 KiB PRG and 8 KiB CHR without runner's title text",
      ),
    );
    expect(() => env({ stages: ['4'] })).toThrow(/Expected a runner stage '1', '2' or '3' \(or '1-1', '1-2', '1-3'\) for stages but received "4"/);
    expect(() => env({ reward: 'v9' })).toThrow(RangeError);
  });
});

describe('runner adapter: start states', () => {
  it('rejects corrupted and crafted start states with clear errors and keeps working', () => {
    const e = env();
    e.reset();
    const actions = new Int32Array([RIGHT]);
    for (let i = 0; i < 40; i++) e.step(actions);
    const [good] = e.saveStates([0]);
    e.setStartStates([good!]);
    const startObs = Buffer.from(e.reset().obs);

    const corrupt = good!.slice();
    corrupt[corrupt.length - 1]! ^= 0x01;
    expect(() => e.setStartStates([good!, corrupt])).toThrow(
      new Error('states[1]: Invalid save state: state is corrupt (the checksum of its body does not match)'),
    );
    const crafted = good!.slice();
    new DataView(crafted.buffer).setInt16(STATE_OFFSETS.ppuLine, 300, true);
    expect(() => e.setStartStates([sealState(crafted)])).toThrow(
      /^states\[0\]: Invalid save state: Expected a scanline in \[0, 261\] for ppu.line but received 300$/,
    );
    expect(() => e.setStartStates([good!.subarray(0, 100)])).toThrow(/states\[0\]: Invalid save state: expected \d+ bytes but received 100/);

    // The failed calls changed nothing: resets still start from the good state, steps still run.
    expect(Buffer.from(e.reset().obs).equals(startObs)).toBe(true);
    for (let i = 0; i < 20; i++) e.step(actions);
    expect(e.saveStates([0])[0]!.length).toBe(e.stateSize);
    e.close();
  });
});

describe.each(ENV_BACKENDS)('runner adapter on the %s backend: stage select, done rules, info and reward', (backend) => {
  it('starts each stage from the title screen by writing the stage byte', () => {
    for (const stage of [1, 2, 3]) {
      const e = env({ stages: [String(stage)] }, backend);
      expect(snapshot(e.reset().info)).toEqual({
        xPos: 32,
        yPos: 255 - 192,
        stage,
        lives: 3,
        time: 300,
        flagGet: 0,
        playerState: 0,
        dying: 0,
        stomps: 0,
      });
      e.close();
    }
    const drawn = new Set<number>();
    const e = new VecEnv({ backend, game: 'runner', numEnvs: 8, stages: ['1-1', '1-2', '1-3'], obs: 'ram', seed: 3 });
    e.reset();
    for (const s of e.reset().info.stage!) drawn.add(s);
    expect(drawn.size).toBeGreaterThan(1);
    e.close();
  });

  it('reaching the flag ends the episode with flagGet, the flag bonus and a positive return', () => {
    const e = env({}, backend);
    e.reset();
    let finished = -1;
    let xReward = 0;
    const script = expand(STAGE1_CLEAR);
    for (let i = 0; i < script.length; i++) {
      const r = e.step(new Int32Array([ACTION_OF_BUTTONS[script[i]!]!]));
      if (r.terminated[0]) {
        finished = i;
        expect(snapshot(r.finalInfo)).toMatchObject({ flagGet: 1, playerState: 3, dying: 0, stage: 1 });
        expect(r.rewardComponents.flag![0]).toBe(50);
        expect(r.reward[0]).toBe(15); // clipped like v0
        expect(r.episode.flag[0]).toBe(1);
        expect(r.episode.maxX[0]).toBeGreaterThanOrEqual(58 * 16 - 8);
        expect(r.episode.return[0]).toBeGreaterThan(800);
        expect(r.info.xPos![0]).toBe(32); // already the next episode
        break;
      }
      xReward += r.reward[0]!;
    }
    expect(finished).toBeGreaterThan(300);
    expect(xReward).toBeGreaterThan(800); // dx summed over ~900 px
    e.close();
  });

  it('maxStallSteps truncates an episode that makes no new max x, and only that one', () => {
    // Two lanes: lane 0 stands still, lane 1 runs right. Only the standing lane is cut, after
    // exactly maxStallSteps steps; the runner keeps going (its max x grows every few frames).
    const e = new VecEnv({ backend, game: 'runner', numEnvs: 2, stages: ['1'], frameSkip: 4, obs: 'ram', maxStallSteps: 12 });
    e.reset();
    const cut: number[][] = [[], []];
    for (let i = 1; i <= 30; i++) {
      const r = e.step(new Int32Array([NOOP, RIGHT]));
      for (let lane = 0; lane < 2; lane++) {
        if (r.truncated[lane]) {
          expect(r.terminated[lane]).toBe(0);
          expect(r.episode.length[lane]).toBe(12);
          cut[lane]!.push(i);
        }
      }
    }
    expect(cut[0]).toEqual([12, 24]); // cut, reset, cut again: the count starts over each episode
    expect(cut[1]).toEqual([]);
    e.close();
    expect(() => env({ maxStallSteps: 0 }, backend)).toThrow(/maxStallSteps/);
    expect(() => env({ maxStallSteps: 1.5 }, backend)).toThrow(/maxStallSteps/);
  });

  it('stallTerminal ends a stall cut as terminated, and stallReward is added to its last step', () => {
    const options: VecEnvOptions = { backend, game: 'runner', numEnvs: 2, stages: ['1'], frameSkip: 4, obs: 'ram', maxStallSteps: 12 };
    const plain = new VecEnv(options);
    const ended = new VecEnv({ ...options, stallTerminal: true, stallReward: -7.5 });
    plain.reset();
    ended.reset();
    let cuts = 0;
    for (let i = 1; i <= 30; i++) {
      const a = plain.step(new Int32Array([NOOP, RIGHT]));
      const b = ended.step(new Int32Array([NOOP, RIGHT]));
      expect(b.obs).toEqual(a.obs); // the same game either way
      for (let lane = 0; lane < 2; lane++) {
        if (a.truncated[lane]) {
          cuts++;
          expect([b.terminated[lane], b.truncated[lane]]).toEqual([1, 0]);
          expect(b.reward[lane]).toBeCloseTo(a.reward[lane]! - 7.5, 5);
          expect(b.episode.return[lane]).toBeCloseTo(a.episode.return[lane]! - 7.5, 4);
        } else {
          expect([b.terminated[lane], b.truncated[lane], b.reward[lane]]).toEqual([a.terminated[lane], a.truncated[lane], a.reward[lane]]);
        }
      }
    }
    expect(cuts).toBe(2);
    plain.close();
    ended.close();
    expect(() => env({ stallTerminal: true }, backend)).toThrow(
      'Expected maxStallSteps with stallTerminal (it acts on stall cuts) but received no maxStallSteps',
    );
    expect(() => env({ maxStallSteps: 5, stallReward: Number.NaN }, backend)).toThrow(/stallReward/);
    expect(() => env({ maxStallSteps: 5, stallTerminal: 1 as never }, backend)).toThrow(/stallTerminal/);
  });

  it('falling into a pit ends the episode with the death penalty', () => {
    const e = env({}, backend);
    e.reset();
    let r = e.step(new Int32Array([RIGHT]));
    for (let i = 0; i < 300 && !r.terminated[0]; i++) r = e.step(new Int32Array([RIGHT]));
    expect(r.terminated[0]).toBe(1);
    const info = snapshot(r.finalInfo);
    expect(info).toMatchObject({ dying: 1, playerState: 1, flagGet: 0, lives: 3 });
    expect(info.yPos).toBeLessThanOrEqual(255 - 217); // below every floor
    expect(r.rewardComponents.death![0]).toBe(-25);
    expect(r.reward[0]).toBe(-15);
    expect(r.episode.flag[0]).toBe(0);
    e.close();
  });

  it('touching a walker ends the episode; stomping one does not', () => {
    const script = expand(STAGE1_CLEAR);
    const hit = env({}, backend);
    hit.reset();
    for (const buttons of script.slice(0, 63)) hit.step(new Int32Array([ACTION_OF_BUTTONS[buttons]!]));
    let r = hit.step(new Int32Array([NOOP]));
    for (let i = 0; i < 400 && !r.terminated[0]; i++) r = hit.step(new Int32Array([NOOP]));
    expect(r.terminated[0]).toBe(1);
    expect(snapshot(r.finalInfo)).toMatchObject({ dying: 1, playerState: 1, flagGet: 0, stomps: 0 });
    expect(r.finalInfo.yPos![0]).toBe(255 - 192); // on the ground, not in a pit
    hit.close();

    const stomp = env({}, backend);
    stomp.reset();
    let stomps = 0;
    for (const buttons of script) {
      r = stomp.step(new Int32Array([ACTION_OF_BUTTONS[buttons]!]));
      expect(r.terminated[0]).toBe(0);
      stomps = r.info.stomps![0]!;
      if (stomps > 0) break;
    }
    expect(stomps).toBe(1);
    expect(r.info.playerState![0]).toBe(0);
    stomp.close();
  });

  it('counts the clock in the reward and, in full-game episodes, skips deaths until the last life is lost', () => {
    const e = new VecEnv({ backend, game: 'runner', numEnvs: 1, frameSkip: 1, maxPool: false, obs: 'ram' });
    e.reset();
    let r = e.step(new Int32Array([NOOP]));
    let clockPenalty = 0;
    for (let i = 0; i < 30; i++) {
      r = e.step(new Int32Array([NOOP]));
      clockPenalty += r.rewardComponents.time![0]!;
    }
    expect(clockPenalty).toBe(-1); // one tick per 24 frames
    const lives: number[] = [];
    let deathSteps = 0;
    for (let i = 0; i < 2000 && !r.terminated[0]; i++) {
      r = e.step(new Int32Array([RIGHT]));
      if (r.terminated[0]) break;
      // A death shows on the one step it happens (penalty included); the animation and the
      // reload are fast-forwarded, so the next step starts alive with one life less.
      if (r.info.playerState![0] !== 0) {
        deathSteps++;
        expect(r.info.dying![0]).toBe(1);
        expect(r.rewardComponents.death![0]).toBe(-25);
        const next = e.step(new Int32Array([NOOP]));
        expect([next.info.playerState![0], next.info.xPos![0]]).toEqual([0, 32]);
        expect(next.rewardComponents.distance![0]).toBe(0); // the respawn is not progress
      }
      if (lives.at(-1) !== r.info.lives![0]) lives.push(r.info.lives![0]!);
    }
    expect(r.terminated[0]).toBe(1);
    expect(deathSteps).toBe(2);
    expect(lives).toEqual([3, 2, 1]);
    expect(snapshot(r.finalInfo)).toMatchObject({ lives: 1, dying: 1 }); // the last life's death ends it
    expect(r.episode.flag[0]).toBe(0);
    e.close();
  });
});
