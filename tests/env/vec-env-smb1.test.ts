/**
 * VecEnv on Super Mario Bros. (needs MARIO_ROM): the semantics against a plain console driven by
 * the smb.md rules, start-screen skip, death and flag (fixtures made here with save states),
 * determinism across thread counts and step/stepAsync, and event-loop freedom.
 */
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { VecEnv, type StepResult, type VecEnvOptions } from '../../src/index.js';
import { loadTestAddon, type RawEnvTestConsole } from '../native-test-addon.js';
import { channelsOf, refSmb1, refV0Reward } from './reference.js';
import { Rng } from './rng.js';
import { stepDigest } from './step-digest.js';

const ROM_PATH = process.env.MARIO_ROM;
if (!ROM_PATH) console.warn('MARIO_ROM is not set: skipping the VecEnv SMB1 suite (tests/env/vec-env-smb1.test.ts)');
const rom = ROM_PATH ? new Uint8Array(readFileSync(ROM_PATH)) : new Uint8Array(0);
const RIGHT_ONLY = [0x00, 0x80, 0x81, 0x82, 0x83];

function make(options: Partial<VecEnvOptions>): VecEnv {
  return new VecEnv({ rom, numEnvs: 1, numThreads: 1, stages: ['1-1'], actions: 'right', seed: 1, ...options });
}

/**
 * The gym-super-mario-bros step, written from smb.md on a plain console (no pool code). Every
 * frame is rendered, so `frame()` is the picture after the step, skipped frames included, and
 * `pool` (with `capturePool`) the picture after the step's second-to-last frame, when the step
 * got past it.
 */
class ReferenceEnv {
  console: RawEnvTestConsole;
  last: { xPos: number; time: number };
  constructor(
    state: Uint8Array,
    readonly singleStage: boolean,
    readonly frameSkip: number,
  ) {
    this.console = new (loadTestAddon().EnvTestConsole)(rom);
    this.console.loadState(state);
    this.last = refSmb1(this.console.ram());
  }
  step(buttons: number, capturePool = false) {
    let reward = 0;
    let terminated = false;
    let pool: Uint8Array | undefined;
    let info = refSmb1(this.console.ram());
    for (let f = 0; f < this.frameSkip; f++) {
      this.console.stepFrame(buttons, true);
      const s = refSmb1(this.console.ram());
      reward += refV0Reward(this.last, s);
      this.last = s;
      info = s;
      terminated = this.singleStage ? s.dying || s.dead || s.flagGet : s.lives === 0xff;
      if (terminated) break;
      if (s.dying) {
        this.console.poke(0x0e, 0x06);
        this.console.stepFrame(0, true);
      }
      const timer = this.console.ram()[0x06de]!;
      if (timer > 1 && timer < 255) this.console.poke(0x06de, 1);
      for (let i = 0; i < 2000; i++) {
        const t = refSmb1(this.console.ram());
        if (!(t.busy || t.worldOver)) break;
        this.console.poke(0x07a0, 0);
        this.console.stepFrame(0, true);
      }
      if (capturePool && f === this.frameSkip - 2) pool = this.console.frame();
    }
    return { reward, terminated, info, ram: this.console.ram(), frame: () => this.console.frame(), pool };
  }
}

const DET_OPTIONS: Partial<VecEnvOptions> = {
  numEnvs: 8,
  stages: ['1-1', '1-2'],
  actions: 'simple',
  stickyActionProb: 0.25,
  noopMax: 8,
  maxEpisodeSteps: 40,
  obs: { width: 42, height: 42, stack: 2 },
  seed: 99,
};

async function trajectory(numThreads: number, useAsync: boolean, steps = 90): Promise<string[]> {
  const env = make({ ...DET_OPTIONS, numThreads });
  const out: string[] = [];
  try {
    env.reset({ seed: 5 });
    const rng = new Rng(3);
    const actions = new Int32Array(8);
    let finished = 0;
    for (let t = 0; t < steps; t++) {
      for (let i = 0; i < 8; i++) actions[i] = rng.below(env.numActions);
      const r = useAsync ? await env.stepAsync(actions) : env.step(actions);
      for (let i = 0; i < 8; i++) finished += r.terminated[i]! | r.truncated[i]!;
      out.push(stepDigest(r, 8));
    }
    expect(finished).toBeGreaterThan(0); // the trajectory crosses autoresets
  } finally {
    env.close();
  }
  return out;
}

/**
 * A run of 1-1 to the flag: a random runner with backtracking over save states (seeded, so the
 * run is the same each time). states[i] is the state before action taken[i]. Computed once.
 */
let flagRunCache: { flagged: boolean; finalFlagGet: number; finalX: number; states: Uint8Array[]; taken: number[] } | undefined;
function flagRun(): NonNullable<typeof flagRunCache> {
  if (flagRunCache) return flagRunCache;
  const env = make({ obs: 'ram' });
  env.reset();
  const rng = new Rng(12345);
  const actions = new Int32Array(1);
  const states: Uint8Array[] = [];
  const taken: number[] = [];
  let flagged = false;
  let finalFlagGet = 0;
  let finalX = 0;
  for (let steps = 0; steps < 6000 && !flagged; steps++) {
    states.push(env.saveStates([0])[0]!);
    actions[0] = rng.next() < 0.7 ? 4 : 3;
    taken.push(actions[0]!);
    const r = env.step(actions);
    if (!r.terminated[0]) continue;
    if (r.episode.flag[0]) {
      flagged = true;
      finalFlagGet = r.finalInfo.flagGet[0]!;
      finalX = r.finalInfo.xPos[0]!;
      break;
    }
    states.length -= Math.min(states.length - 1, 5 + rng.below(20));
    taken.length = states.length;
    env.setStartStates([states[states.length - 1]!]);
    env.reset();
  }
  env.close();
  flagRunCache = { flagged, finalFlagGet, finalX, states, taken };
  return flagRunCache;
}

/**
 * A frame's picture at full size, as a 256 x 240 observation must hold it: gray [240, 256] or
 * planar RGB [3, 240, 256], max-pooled per channel with `poolWith` when given.
 */
function pictureOf(frame: Uint8Array, poolWith?: Uint8Array, grayscale = true): Uint8Array {
  const palette = loadTestAddon().envPaletteRgb();
  const channels = grayscale ? 1 : 3;
  const out = new Uint8Array(channels * frame.length);
  for (let c = 0; c < channels; c++) {
    const lut = Uint8Array.from({ length: 64 }, (_, i) => channelsOf(palette, grayscale, i)[c]!);
    for (let i = 0; i < frame.length; i++) {
      const v = lut[frame[i]! & 63]!;
      out[c * frame.length + i] = poolWith ? Math.max(v, lut[poolWith[i]! & 63]!) : v;
    }
  }
  return out;
}

/**
 * Full-game mode from `start` (default: the start of the game): VecEnv with frame skip k and a
 * full-size observation (gray, or RGB) against ReferenceEnv, which renders every frame. The pool renders
 * only the last of the frames a game skips (deaths, the castle walk, area changes) and, with
 * `maxPool`, keeps the second-to-last frame's picture for the max; this pins both. Returns how
 * many lives values and which stages were seen, and whether the game ended.
 */
function compareSkippedFrames(k: number, start: Uint8Array | undefined, action: (t: number) => number, steps: number, maxPool = false, grayscale = true) {
  const env = make({ stages: undefined, frameSkip: k, maxPool, obs: { width: 256, height: 240, stack: 1, grayscale } });
  if (start) env.setStartStates([start]);
  env.reset();
  const ref = new ReferenceEnv(env.saveStates([0])[0]!, false, k);
  const a = new Int32Array(1);
  const lives = new Set<number>();
  const stages = new Set<string>();
  let over = false;
  for (let t = 0; t < steps && !over; t++) {
    a[0] = action(t);
    const r = env.step(a);
    const want = ref.step(RIGHT_ONLY[a[0]!]!, maxPool);
    expect(r.terminated[0], `k=${k} step ${t}`).toBe(want.terminated ? 1 : 0);
    const where = `${r.info.world[0]}-${r.info.stage[0]}`;
    const got = r.terminated[0] ? r.finalObs : r.obs;
    const picture = pictureOf(want.frame(), want.pool, grayscale);
    expect(Buffer.compare(got, picture), `k=${k} picture after step ${t} (${where}, lives ${r.info.lives[0]})`).toBe(0);
    over = r.terminated[0] === 1;
    if (!over) {
      lives.add(r.info.lives[0]!);
      stages.add(where);
    }
  }
  env.close();
  return { lives: lives.size, stages: [...stages].sort(), over };
}

describe.skipIf(!ROM_PATH)('VecEnv smb1', () => {
  it('start-screen skip lands in every one of the 32 stages (pipe-intro area rule included), clock running', () => {
    for (let world = 1; world <= 8; world++) {
      for (let stage = 1; stage <= 4; stage++) {
        const name = `${world}-${stage}`;
        const env = make({ stages: [name], obs: 'ram' });
        const { info } = env.reset();
        const area = stage - 1 + ([1, 2, 4, 7].includes(world) && stage >= 2 ? 1 : 0);
        expect([info.world[0], info.stage[0], info.area[0], info.lives[0]], name).toEqual([world, stage, area, 2]);
        const time = info.time[0]!;
        expect(time, name).toBeGreaterThan(0);
        for (let t = 0; t < 30; t++) env.step(new Int32Array([0])); // 120 frames standing still
        expect(env.step(new Int32Array([0])).info.time[0], `${name}: the clock runs`).toBeLessThan(time);
        env.close();
      }
    }
  });

  it('random-stage lists draw a stage per lane and reset from the lane stream', () => {
    const env = make({ numEnvs: 16, numThreads: 2, stages: ['1-1', '4-1', '7-3'], obs: 'ram' });
    const worlds = new Set(Array.from(env.reset({ seed: 2 }).info.world));
    expect([...worlds].sort()).toEqual([1, 4, 7]);
    const first = Array.from(env.reset({ seed: 2 }).info.world);
    expect(Array.from(env.reset({ seed: 2 }).info.world)).toEqual(first);
    env.close();
  });

  it('matches the reference rules frame by frame: xPos, time, lives, reward, RAM (single stage)', () => {
    const env = make({ obs: 'ram', maxPool: false });
    env.reset();
    const ref = new ReferenceEnv(env.saveStates([0])[0]!, true, 4);
    const rng = new Rng(21);
    const actions = new Int32Array(1);
    let compared = 0;
    for (let t = 0; t < 400; t++) {
      actions[0] = rng.below(10) < 7 ? 4 : rng.below(5);
      const r = env.step(actions);
      const want = ref.step(RIGHT_ONLY[actions[0]!]!);
      const got = r.terminated[0] ? r.finalInfo : r.info;
      expect([got.xPos[0], got.time[0], got.lives[0], r.reward[0], r.terminated[0]], `step ${t}`).toEqual([
        want.info.xPos,
        want.info.time,
        want.info.lives,
        want.reward,
        want.terminated ? 1 : 0,
      ]);
      compared++;
      if (r.terminated[0]) break;
      expect(Buffer.compare(r.obs, want.ram), `RAM after step ${t}`).toBe(0);
    }
    expect(compared).toBeGreaterThan(10);
    env.close();
  });

  it('matches the reference in full-game mode across deaths (death skip, busy skip, lives)', () => {
    const env = make({ stages: undefined, obs: 'ram', maxPool: false });
    env.reset();
    const ref = new ReferenceEnv(env.saveStates([0])[0]!, false, 4);
    const actions = new Int32Array(1);
    const livesSeen = new Set<number>();
    for (let t = 0; t < 700; t++) {
      actions[0] = t % 9 === 0 ? 0 : 1; // walk right into the enemies
      const r = env.step(actions);
      const want = ref.step(RIGHT_ONLY[actions[0]!]!);
      if (r.terminated[0]) break;
      expect([r.info.xPos[0], r.info.time[0], r.info.lives[0], r.reward[0]], `step ${t}`).toEqual([
        want.info.xPos,
        want.info.time,
        want.info.lives,
        want.reward,
      ]);
      expect(Buffer.compare(r.obs, want.ram), `RAM after step ${t}`).toBe(0);
      livesSeen.add(r.info.lives[0]!);
    }
    expect(livesSeen.size).toBeGreaterThan(1); // at least one death happened and play went on
    env.close();
  });

  it('frame skip k equals k single-frame steps; the final observation is exact, also mid-skip', () => {
    // Without max-pool, an env with frameSkip 1 stepped k times per agent step sees every frame
    // rendered: its final observation of a death is the reference for the skipping env's.
    for (const k of [4, 7]) {
      const skip = make({ frameSkip: k, maxPool: false, obs: { stack: 1 } });
      const single = make({ frameSkip: 1, maxPool: false, obs: { stack: 1 } });
      skip.reset();
      single.reset();
      const a = new Int32Array([1]);
      let done = false;
      for (let t = 0; t < 300 && !done; t++) {
        const r = skip.step(a);
        let reward = 0;
        let ref: StepResult | undefined;
        for (let f = 0; f < k; f++) {
          ref = single.step(a);
          reward += ref.reward[0]!;
          if (ref.terminated[0]) break;
        }
        expect([r.reward[0], r.terminated[0]], `k=${k} step ${t}`).toEqual([reward, ref!.terminated[0]]);
        if (r.terminated[0]) {
          expect(Buffer.compare(r.finalObs, ref!.finalObs), `k=${k} final observation`).toBe(0);
          expect(r.finalInfo.xPos[0]).toBe(ref!.finalInfo.xPos[0]);
          done = true;
        } else {
          expect(Buffer.compare(r.obs, ref!.obs), `k=${k} observation after step ${t}`).toBe(0);
        }
      }
      expect(done).toBe(true);
      skip.close();
      single.close();
    }
  });

  it('full game: the observation after skipped frames (deaths, castle walk, next stage) is exact', () => {
    // Only a skip on the last frame of a step is rendered, so each case is run at several phases.
    // Deaths: walk right into the enemies until the game is over. They fall on frames 162, 324
    // and 486, so k = 5 puts one on the last frame of a step.
    for (const k of [4, 5]) {
      const seen = compareSkippedFrames(k, undefined, (t) => (t % 9 === 0 ? 0 : 1), 3000);
      expect(seen, `k=${k}`).toEqual({ lives: 3, stages: ['1-1'], over: true });
    }
    // The flag: the castle walk and 1-2's pipe intro are skipped; the next picture is 1-2's. From
    // two agent steps before the flag, holding right + A reaches it on frame 3 - p after p lead-in
    // frames, so p = 0..3 puts it on every frame of a 4-frame step.
    const { flagged, states } = flagRun();
    expect(flagged).toBe(true);
    for (let p = 0; p < 4; p++) {
      const lead = make({ stages: undefined, frameSkip: 1, obs: 'ram' });
      lead.setStartStates([states[states.length - 2]!]);
      lead.reset();
      for (let i = 0; i < p; i++) lead.step(new Int32Array([2]));
      const start = lead.saveStates([0])[0]!;
      lead.close();
      const seen = compareSkippedFrames(4, start, () => 2, 40);
      expect(seen.stages, `lead-in ${p}`).toContain('1-2');
    }
  });

  it('max-pool: every observation is the per-pixel max of the last two frames, skips included', () => {
    for (const k of [2, 4, 5]) {
      const seen = compareSkippedFrames(k, undefined, (t) => (t % 9 === 0 ? 0 : 1), 3000, true);
      expect(seen, `k=${k}`).toEqual({ lives: 3, stages: ['1-1'], over: true });
    }
    const { states } = flagRun();
    expect(compareSkippedFrames(4, states[states.length - 2], () => 2, 40, true).stages).toContain('1-2');
    // RGB, planar: each channel pooled on its own.
    expect(compareSkippedFrames(3, undefined, (t) => (t % 9 === 0 ? 0 : 1), 3000, true, false)).toEqual({ lives: 3, stages: ['1-1'], over: true });
  });

  it('death ends the episode; a save state taken before it replays the same death', () => {
    const env = make({ obs: 'ram' });
    env.reset();
    const actions = new Int32Array([1]); // RIGHT into the first goomba
    const states: Uint8Array[] = [];
    let deathStep = -1;
    for (let t = 0; t < 300 && deathStep < 0; t++) {
      states.push(env.saveStates([0])[0]!);
      const r = env.step(actions);
      if (r.terminated[0]) {
        deathStep = t;
        expect(r.finalInfo.dying[0] === 1 || r.finalInfo.playerState[0] === 0x06).toBe(true);
        expect(r.episode.flag[0]).toBe(0);
        expect(r.episode.length[0]).toBe(t + 1);
        expect(r.info.xPos[0]).toBe(40); // same-step autoreset: already the new episode
      }
    }
    expect(deathStep).toBeGreaterThan(5);
    env.setStartStates([states[deathStep - 3]!], 'fixed');
    env.reset();
    let again = -1;
    for (let t = 0; t < 10 && again < 0; t++) if (env.step(actions).terminated[0]) again = t;
    expect(again).toBeGreaterThanOrEqual(1);
    expect(again).toBeLessThanOrEqual(3);
    env.close();
  });

  it('reaching the flag ends the episode with flagGet; a save state before it replays the flag', () => {
    const { flagged, finalFlagGet, finalX, states, taken } = flagRun();
    expect([flagged, finalFlagGet]).toEqual([true, 1]);
    expect(finalX).toBeGreaterThan(3000);
    const env = make({ obs: 'ram' });
    const actions = new Int32Array(1);
    const from = states.length - 4;
    env.setStartStates([states[from]!], 'fixed');
    env.reset();
    let flagAgain = false;
    for (let t = 0; t < 8 && !flagAgain; t++) {
      actions[0] = taken[from + t] ?? 4;
      const r = env.step(actions);
      if (r.terminated[0]) flagAgain = r.episode.flag[0] === 1;
    }
    expect(flagAgain).toBe(true);
    env.close();
  });

  it('is byte-identical across numThreads 1, 2, 4 and between step and stepAsync', async () => {
    const one = await trajectory(1, false);
    expect(await trajectory(2, false)).toEqual(one);
    expect(await trajectory(4, false)).toEqual(one);
    expect(await trajectory(2, true)).toEqual(one);
    expect(new Set(one).size).toBeGreaterThan(50); // the run moves
  });

  it('reset with the same seed repeats the run; another seed differs', async () => {
    const a = await trajectory(2, false, 30);
    expect(await trajectory(2, false, 30)).toEqual(a);
    const env = make({ ...DET_OPTIONS, numThreads: 2 });
    env.reset({ seed: 6 });
    const actions = new Int32Array(8).fill(1);
    const digests: string[] = [];
    const rng = new Rng(3);
    for (let t = 0; t < 30; t++) {
      for (let i = 0; i < 8; i++) actions[i] = rng.below(env.numActions);
      digests.push(stepDigest(env.step(actions), 8));
    }
    expect(digests).not.toEqual(a);
    env.close();
  });

  it('keeps the event loop free while stepAsync runs 64 lanes; a second call in flight throws', async () => {
    const env = make({ numEnvs: 64, numThreads: 2, actions: 'simple' });
    env.reset();
    const actions = new Int32Array(64).fill(1);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      const t0 = performance.now();
      let steps = 0;
      while (performance.now() - t0 < 300 || steps < 3) {
        const pending = env.stepAsync(actions);
        expect(() => env.step(actions)).toThrow(/in flight/);
        await expect(env.stepAsync(actions)).rejects.toThrow(/in flight/);
        expect(() => env.close()).toThrow(/in flight/);
        expect(() => env.reset()).toThrow(/in flight/);
        await pending;
        steps++;
      }
      expect(ticks).toBeGreaterThanOrEqual(3);
      // Reusing the actions array right after the call is safe: it was copied.
      actions.fill(0);
      const pending = env.stepAsync(actions);
      actions.fill(99);
      await expect(pending).resolves.toBeDefined();
    } finally {
      clearInterval(timer);
      env.close();
    }
  });

  it('start states: fixed, cycle and sample modes; bad states are rejected clearly', () => {
    const env = make({ numEnvs: 4, numThreads: 2, obs: 'ram' });
    env.reset();
    const actions = new Int32Array(4).fill(3);
    const xs: number[] = [];
    const states: Uint8Array[] = [];
    for (let k = 0; k < 3; k++) {
      for (let t = 0; t < 5; t++) env.step(actions);
      states.push(env.saveStates([0])[0]!);
    }
    env.setStartStates(states, 'fixed');
    let r = env.reset();
    xs.push(...Array.from(r.info.xPos));
    expect(xs[3]).toBe(xs[0]); // lane 3 -> state 0
    expect(new Set(xs.slice(0, 3)).size).toBe(3);
    env.setStartStates(states, 'cycle');
    r = env.reset();
    const first = Array.from(r.info.xPos);
    r = env.reset();
    const second = Array.from(r.info.xPos);
    expect(second[0]).toBe(first[(0 + 4) % 3]); // lane 0: state 0, then state 4 mod 3 = 1
    env.setStartStates(states, 'sample');
    r = env.reset({ seed: 1 });
    const sampled = Array.from(r.info.xPos);
    expect(Array.from(env.reset({ seed: 1 }).info.xPos)).toEqual(sampled);
    expect(() => env.setStartStates([new Uint8Array(10)])).toThrow(/states\[0\]/);
    expect(() => env.setStartStates([])).toThrow(RangeError);
    env.clearStartStates();
    expect(env.reset().info.xPos[0]).toBe(40);
    env.close();
  });

  it('reward shaping anneals linearly and can change at run time', () => {
    const env = make({ reward: 'v9' });
    env.reset();
    expect(env.rewardWeights().scoreWeight).toBeCloseTo(0.01, 6);
    env.setRewardShaping({ distanceWeight: 1, distanceWeightEnd: 0, scoreWeight: 0, annealSteps: 10 });
    const a = new Int32Array([1]);
    for (let t = 0; t < 5; t++) env.step(a);
    expect(env.rewardWeights().distanceWeight).toBeCloseTo(0.5, 6);
    for (let t = 0; t < 10; t++) env.step(a);
    expect(env.rewardWeights().distanceWeight).toBe(0);
    // With zero distance weight, walking right earns nothing but the clock.
    const r = env.step(a);
    expect(r.rewardComponents.distance![0]).toBe(0);
    expect(r.reward[0]).toBeLessThanOrEqual(0);
    env.close();
  });

  it('truncates at maxEpisodeSteps and reports episode statistics', () => {
    const env = make({ maxEpisodeSteps: 7, obs: { width: 32, height: 30, stack: 3, grayscale: false } });
    expect(env.obsShape).toEqual([1, 3, 3, 30, 32]);
    env.reset();
    const a = new Int32Array([1]);
    let r: StepResult | undefined;
    for (let t = 0; t < 7; t++) r = env.step(a);
    expect(r!.truncated[0]).toBe(1);
    expect(r!.terminated[0]).toBe(0);
    expect(r!.episode.length[0]).toBe(7);
    expect(r!.episode.maxX[0]).toBeGreaterThan(40);
    expect(r!.finalInfo.xPos[0]).toBe(r!.episode.maxX[0]);
    expect(r!.info.xPos[0]).toBe(40);
    // The final observation's newest frame differs from the reset observation's.
    const frame = 3 * 30 * 32;
    expect(Buffer.compare(r!.finalObs.subarray(2 * frame), r!.obs.subarray(2 * frame))).not.toBe(0);
    env.close();
  });

  it('sticky actions and no-op starts draw from the seeded lane streams', () => {
    // p = 1: every frame repeats the previous buttons, which start released: Mario never moves.
    const stuck = make({ numEnvs: 2, stickyActionProb: 1, obs: 'ram' });
    stuck.reset();
    for (let t = 0; t < 10; t++) stuck.step(new Int32Array([1, 1]));
    expect(Array.from(stuck.step(new Int32Array([1, 1])).info.xPos)).toEqual([40, 40]);
    stuck.close();
    // No-op starts: lanes start from different frames, reproducibly per seed.
    const noop = make({ numEnvs: 8, noopMax: 30, obs: 'ram' });
    const a = noop.reset({ seed: 4 }).obs.slice();
    const lanes = new Set(Array.from({ length: 8 }, (_, i) => Buffer.from(a.subarray(i * 2048, (i + 1) * 2048)).toString('hex')));
    expect(lanes.size).toBeGreaterThan(1);
    expect(Buffer.compare(noop.reset({ seed: 4 }).obs, a)).toBe(0);
    expect(Buffer.compare(noop.reset({ seed: 5 }).obs, a)).not.toBe(0);
    noop.close();
  });

  it('offers the gym-super-mario-bros action sets', () => {
    const sets = { right: [0x00, 0x80, 0x81, 0x82, 0x83], simple: [0x00, 0x80, 0x81, 0x82, 0x83, 0x01, 0x40] } as const;
    for (const [name, buttons] of Object.entries(sets)) {
      const env = make({ actions: name as 'right' | 'simple', obs: 'ram' });
      expect(env.actionButtons).toEqual(buttons);
      env.close();
    }
    const complex = make({ actions: 'complex', obs: 'ram' });
    expect(complex.actionButtons).toEqual([...sets.simple, 0x41, 0x42, 0x43, 0x20, 0x10]);
    complex.close();
    const full = make({ actions: 'full', obs: 'ram' });
    expect(full.numActions).toBe(256);
    expect(full.actionButtons[0x83]).toBe(0x83);
    full.reset();
    full.step(new Int32Array([255]));
    full.close();
  });

  it('validates reward shaping and reset options', () => {
    const env = make({ obs: 'ram' });
    expect(() => env.setRewardShaping({ distanceWeight: NaN })).toThrow(/rewardShaping.distanceWeight/);
    expect(() => env.setRewardShaping({ annealSteps: 1.5 } as never)).toThrow(/rewardShaping.annealSteps/);
    expect(() => env.setRewardShaping({ distanceWieght: 1 } as never)).toThrow(/Unknown option 'distanceWieght'/);
    expect(() => env.reset({ seed: -1 })).toThrow(/Expected an integer in \[0, 9007199254740991\] for seed but received -1/);
    expect(() => env.saveStates([1])).toThrow(/lanes\[0\]/);
    env.close();
  });

  it('rejects bad actions and unknown stages with clear errors', () => {
    const env = make({ numEnvs: 2, actions: 'simple' });
    expect(env.numActions).toBe(7);
    env.reset();
    expect(() => env.step(new Int32Array(3))).toThrow(new RangeError('Expected a Int32Array of length 2 for actions but received Int32Array(3)'));
    expect(() => env.step(new Float32Array(2) as unknown as Int32Array)).toThrow(TypeError);
    expect(() => env.step(new Int32Array([0, 7]))).toThrow(new RangeError('Expected an integer in [0, 6] for actions[1] but received 7'));
    env.close();
    expect(() => env.step(new Int32Array(2))).toThrow(/after close/);
    expect(() => make({ stages: ['9-1'] })).toThrow(/Expected a stage 'W-S' with W in 1..8 and S in 1..4 for stages\[0\] but received "9-1"/);
  });
});
