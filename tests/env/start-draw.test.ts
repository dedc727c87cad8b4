/**
 * How a reset picks where its episode starts (native/env/vec_env.cc, VecEnv::DrawStart), on the
 * built-in game with stages ['1', '2', '3']: stage weights (`setStageWeights`), the start-state
 * share (`setStartStates(..., { share })`), `episode.startState` and `startStats()`. Every reset
 * is checked against a TS model of the lane's random stream, so unset weights provably draw the
 * same numbers as before weights existed.
 */
import { describe, expect, it } from 'vitest';

import { VecEnv } from '../../src/index.js';
import { normalizeVecEnvOptions } from '../../src/env/vec-env.js';
import { loadNative, type NativeVecEnv } from '../../src/native.js';
import { ENV_BACKENDS, type EnvBackend } from './backends.js';
import { stepDigest } from './step-digest.js';

const LANES = 8;
const STAGES = ['1', '2', '3'];
const NOOP = 0;
const M64 = (1n << 64n) - 1n;
const SCALE = 2 ** 24; // kStartDrawScale

/** The native lane stream (common/rng.h): xoshiro256** seeded by SplitMix64 from (seed, lane). */
class LaneRng {
  #s: bigint[] = [];
  constructor(seed: number, lane: number) {
    let sm = (BigInt(seed) ^ (BigInt(lane) * 0xd1b54a32d192ed03n)) & M64;
    for (let i = 0; i < 4; i++) {
      sm = (sm + 0x9e3779b97f4a7c15n) & M64;
      let z = sm;
      z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
      z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
      this.#s.push(z ^ (z >> 31n));
    }
  }
  nextU32(): number {
    const s = this.#s;
    const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (64n - k))) & M64;
    const result = (rotl((s[1]! * 5n) & M64, 7n) * 9n) & M64;
    const t = (s[1]! << 17n) & M64;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 45n);
    return Number(result >> 32n);
  }
  /** Lemire's multiply-shift with rejection, as Rng::NextBelow. */
  nextBelow(bound: number): number {
    let m = BigInt(this.nextU32()) * BigInt(bound);
    let low = Number(m & 0xffffffffn);
    if (low < bound) {
      const threshold = (2 ** 32 - bound) % bound;
      while (low < threshold) {
        m = BigInt(this.nextU32()) * BigInt(bound);
        low = Number(m & 0xffffffffn);
      }
    }
    return Number(m >> 32n);
  }
}

/** What one reset of a lane does, per the documented rule; returns [stage (1-based), fromState]. */
interface StartModel {
  weights?: number[];
  share?: number; // with a start state of stage `stateStage` in 'fixed' mode
  stateStage?: number;
}
function modelReset(rng: LaneRng, m: StartModel): [number, boolean] {
  if (m.share !== undefined) {
    const fromState = m.share === 1 || rng.nextU32() >>> 8 < Math.round(m.share * SCALE);
    if (fromState) return [m.stateStage!, true];
  }
  const w = m.weights ?? [1, 1, 1];
  if (w.every((x) => x === w[0])) return [rng.nextBelow(w.length) + 1, false];
  const max = Math.max(...w);
  const total = w.reduce((a, x) => a + x / max, 0);
  let prefix = 0;
  const thresholds = w.map((x) => Math.min(Math.round(((prefix += x / max) / total) * SCALE), SCALE));
  thresholds[thresholds.length - 1] = SCALE;
  const r = rng.nextU32() >>> 8;
  return [thresholds.findIndex((t) => r < t) + 1, false];
}

/** The model's start stages and sources for `reset({ seed })` followed by `steps` one-step episodes. */
function modelRun(seed: number, steps: number, m: StartModel): { stages: number[][]; fromState: boolean[][] } {
  const rngs = Array.from({ length: LANES }, (_, i) => new LaneRng(seed, i));
  const stages: number[][] = [];
  const fromState: boolean[][] = [];
  for (let t = 0; t <= steps; t++) {
    const draws = rngs.map((rng) => modelReset(rng, m));
    stages.push(draws.map((d) => d[0]));
    fromState.push(draws.map((d) => d[1]));
  }
  return { stages, fromState };
}

/**
 * Every episode lasts one step (maxEpisodeSteps 1), so every step resets every lane. One frame a
 * step: the draws do not depend on frame skip, and jsnes pays for every frame.
 */
function makeEnv(backend: EnvBackend, options: Record<string, unknown> = {}): VecEnv {
  return new VecEnv({ backend, game: 'runner', numEnvs: LANES, stages: STAGES, obs: 'ram', frameSkip: 1, maxEpisodeSteps: 1, seed: 1, ...options });
}

/**
 * The stage each lane starts in after `reset({ seed })` and after each of `steps` steps, and
 * `episode.startState` of the episodes that ended on each step (all of them).
 */
function runStages(env: VecEnv, seed: number, steps: number): { stages: number[][]; startState: number[][]; finalStage: number[][] } {
  const stages = [Array.from(env.reset({ seed }).info.stage!)];
  const startState: number[][] = [];
  const finalStage: number[][] = [];
  const actions = new Int32Array(LANES).fill(NOOP);
  for (let t = 0; t < steps; t++) {
    const r = env.step(actions);
    for (let i = 0; i < LANES; i++) expect(r.terminated[i]! | r.truncated[i]!, 'every step ends every episode').toBe(1);
    stages.push(Array.from(r.info.stage!));
    startState.push(Array.from(r.episode.startState));
    finalStage.push(Array.from(r.finalInfo.stage!));
  }
  return { stages, startState, finalStage };
}

/** A save state in stage 3, a few steps in. */
function stage3State(backend: EnvBackend = 'native'): Uint8Array {
  const e = new VecEnv({ backend, game: 'runner', numEnvs: 1, stages: ['3'], obs: 'ram' });
  e.reset();
  for (let t = 0; t < 5; t++) e.step([1]);
  const [state] = e.saveStates([0]);
  e.close();
  return state!;
}

describe.each(ENV_BACKENDS)('start draws on the %s backend', (backend) => {
  // Enough one-step episodes for the shares to show; jsnes steps a lane tens of times slower.
  const LONG = backend === 'native' ? 100 : 40;
  const MID = backend === 'native' ? 30 : 12;
  const SHORT = backend === 'native' ? 20 : 8;

  describe('stage weights', () => {
    it('unset and equal weights draw exactly the uniform stream of before (one NextBelow(3) per reset)', () => {
      const expected = modelRun(5, MID, {}).stages;
      const plain = makeEnv(backend);
      expect(plain.stageWeights()).toEqual([1, 1, 1]);
      const plainStages = runStages(plain, 5, MID).stages;
      expect(plainStages).toEqual(expected);
      expect(new Set(plainStages.flat())).toEqual(new Set([1, 2, 3]));
      for (const weights of [
        [1, 1, 1],
        [2.5, 2.5, 2.5],
      ]) {
        const e = makeEnv(backend);
        e.setStageWeights([3, 0, 1]); // unequal first: setting equal weights goes back to the old draw
        e.setStageWeights(weights);
        expect(e.stageWeights()).toEqual(weights);
        expect(runStages(e, 5, MID).stages, `weights ${weights}`).toEqual(plainStages);
        e.close();
      }
      plain.close();
    });

    it('weights [0, 1, 0] start every episode in stage 2', () => {
      const e = makeEnv(backend);
      e.setStageWeights([0, 1, 0]);
      expect(e.stageWeights()).toEqual([0, 1, 0]);
      const { stages } = runStages(e, 9, MID);
      expect(stages.flat().every((s) => s === 2)).toBe(true);
      // The construction-time seed does not matter either: a reset without a seed continues.
      expect(Array.from(e.reset().info.stage!)).toEqual(new Array(LANES).fill(2));
      e.close();
    });

    it('weights [1, 1, 0] start only stages 1 and 2, in about equal shares, and [1, 2, 3] in proportion', () => {
      const e = makeEnv(backend);
      e.setStageWeights([1, 1, 0]);
      const half = runStages(e, 3, LONG).stages;
      expect(half).toEqual(modelRun(3, LONG, { weights: [1, 1, 0] }).stages);
      const resets = half.flat();
      expect(resets.length).toBe(LANES * (LONG + 1));
      expect(resets.every((s) => s === 1 || s === 2)).toBe(true);
      const ones = resets.filter((s) => s === 1).length / resets.length;
      expect(ones).toBeGreaterThan(0.44);
      expect(ones).toBeLessThan(0.56);

      e.setStageWeights([1, 2, 3]);
      const sixths = runStages(e, 4, LONG).stages;
      expect(sixths).toEqual(modelRun(4, LONG, { weights: [1, 2, 3] }).stages);
      const share = (stage: number) => sixths.flat().filter((s) => s === stage).length / (LANES * (LONG + 1));
      expect(share(1)).toBeCloseTo(1 / 6, 1);
      expect(share(2)).toBeCloseTo(2 / 6, 1);
      expect(share(3)).toBeCloseTo(3 / 6, 1);
      e.close();
    });

    it('a full-game env takes exactly one weight and draws nothing', () => {
      const e = new VecEnv({ backend, game: 'runner', numEnvs: 2, obs: 'ram', seed: 2 });
      expect(e.stageWeights()).toEqual([1]);
      e.setStageWeights([4]);
      expect(e.stageWeights()).toEqual([4]);
      expect(() => e.setStageWeights([1, 1])).toThrow(
        new RangeError('Expected an array of 1 weight (no stages list: one start point) for weights but received an array of length 2'),
      );
      expect(Array.from(e.reset({ seed: 1 }).info.stage!)).toEqual([1, 1]);
      e.close();
    });
  });

  describe('start-state share', () => {
    const state = stage3State(backend);

    it('share 0 never starts from the states, share 1 (the default) always', () => {
      for (const share of [0, 1, undefined]) {
        const e = makeEnv(backend);
        e.setStageWeights([1, 0, 0]); // stage-1 starts are told apart from the stage-3 state
        e.setStartStates([state], 'fixed', share === undefined ? {} : { share });
        const always = share !== 0;
        const run = runStages(e, 7, SHORT);
        expect(run.stages.flat().every((s) => s === (always ? 3 : 1))).toBe(true);
        expect(run.startState.flat().every((s) => s === (always ? 1 : 0))).toBe(true);
        expect(e.startStats()).toEqual({ resets: LANES * (SHORT + 1), fromStartStates: always ? LANES * (SHORT + 1) : 0 });
        expect(e.startStats()).toEqual({ resets: 0, fromStartStates: 0 });
        e.close();
      }
    });

    it('share 1 consumes no random numbers: the draws after clearStartStates are the first of the seed', () => {
      const plain = makeEnv(backend);
      const expected = runStages(plain, 5, 10).stages;
      const e = makeEnv(backend);
      e.setStartStates([state], 'fixed', { share: 1 });
      expect(Array.from(e.reset({ seed: 5 }).info.stage!)).toEqual(new Array(LANES).fill(3));
      for (let t = 0; t < 4; t++) e.step(new Int32Array(LANES));
      e.clearStartStates();
      const after: number[][] = [];
      for (let t = 0; t <= 10; t++) after.push(Array.from(e.step(new Int32Array(LANES)).info.stage!));
      expect(after).toEqual(expected);
      plain.close();
      e.close();
    });

    it('share 0.5 starts about half the episodes from the states, as counted by startStats and episode.startState', () => {
      const e = makeEnv(backend);
      expect(e.startStats(), 'the reset at construction is not counted').toEqual({ resets: 0, fromStartStates: 0 });
      e.setStageWeights([1, 0, 0]);
      e.setStartStates([state], 'fixed', { share: 0.5 });
      const steps = LONG;
      const run = runStages(e, 11, steps);
      const model = modelRun(11, steps, { weights: [1, 0, 0], share: 0.5, stateStage: 3 });
      expect(run.stages).toEqual(model.stages);
      // Each finished episode says how it began: from the state exactly where it was in stage 3.
      for (let t = 0; t < steps; t++) {
        expect(run.startState[t]).toEqual(run.finalStage[t]!.map((s) => (s === 3 ? 1 : 0)));
        expect(run.startState[t]).toEqual(model.fromState[t]!.map((f) => (f ? 1 : 0)));
      }
      const stats = e.startStats();
      const fromStates = model.fromState.flat().filter(Boolean).length;
      expect(stats).toEqual({ resets: LANES * (steps + 1), fromStartStates: fromStates });
      const running = run.stages[steps]!.filter((s) => s === 3).length; // began from the state, not finished yet
      expect(run.startState.flat().filter((s) => s === 1).length).toBe(fromStates - running);
      expect(fromStates / stats.resets).toBeGreaterThan(0.44);
      expect(fromStates / stats.resets).toBeLessThan(0.56);
      e.close();
    });
  });

  describe('start draws: bad input', () => {
    it('rejects bad weights naming the option, and keeps the weights it had', () => {
      const e = makeEnv(backend);
      e.setStageWeights([1, 2, 0]);
      const cases: [unknown, Error][] = [
        [[1, NaN, 1], new RangeError('Expected a finite number >= 0 for weights[1] but received NaN')],
        [[1, -1, 1], new RangeError('Expected a finite number >= 0 for weights[1] but received -1')],
        [[Infinity, 1, 1], new RangeError('Expected a finite number >= 0 for weights[0] but received Infinity')],
        [[1, 1, '1'], new TypeError('Expected a finite number >= 0 for weights[2] but received "1"')],
        [[0, 0, 0], new RangeError('Expected at least one weight > 0 for weights but received all zeros')],
        [[1, 1], new RangeError('Expected an array of 3 weights (one per stage) for weights but received an array of length 2')],
        [[1, 1, 1, 1], new RangeError('Expected an array of 3 weights (one per stage) for weights but received an array of length 4')],
        [new Float64Array(3), new TypeError('Expected an array of 3 weights (one per stage) for weights but received Float64Array(3)')],
        [undefined, new TypeError('Expected an array of 3 weights (one per stage) for weights but received undefined')],
      ];
      for (const [weights, error] of cases) {
        expect(() => e.setStageWeights(weights as number[])).toThrow(error);
        expect(e.stageWeights()).toEqual([1, 2, 0]);
      }
      expect(
        runStages(e, 1, 5)
          .stages.flat()
          .every((s) => s !== 3),
      ).toBe(true);
      e.close();
    });

    it('rejects a bad share naming it, and keeps the start states it had', () => {
      const state = stage3State(backend);
      const e = makeEnv(backend);
      e.setStageWeights([1, 0, 0]);
      e.setStartStates([state], 'fixed', { share: 0 });
      const cases: [unknown, Error][] = [
        [{ share: 2 }, new RangeError('Expected a finite number in [0, 1] for share but received 2')],
        [{ share: -0.1 }, new RangeError('Expected a finite number in [0, 1] for share but received -0.1')],
        [{ share: NaN }, new RangeError('Expected a finite number in [0, 1] for share but received NaN')],
        [{ share: '0.5' }, new TypeError('Expected a finite number in [0, 1] for share but received "0.5"')],
        [{ shares: 0.5 }, new TypeError("Unknown option 'shares' for setStartStates options; known options are share")],
        [0.5, new TypeError('Expected an options object for setStartStates options but received 0.5')],
      ];
      for (const [options, error] of cases) {
        expect(() => e.setStartStates([state], 'fixed', options as { share: number })).toThrow(error);
      }
      expect(
        runStages(e, 1, 5)
          .stages.flat()
          .every((s) => s === 1),
      ).toBe(true);
      expect(e.startStats().fromStartStates).toBe(0);
      e.close();
    });
  });
});

// Native-only: thread counts (the jsnes pool has one thread).
describe('start draws and threads', () => {
  async function digests(numThreads: number): Promise<{ digests: string[]; stats: { resets: number; fromStartStates: number } }> {
    const state = stage3State();
    const e = new VecEnv({
      game: 'runner',
      numEnvs: 9,
      numThreads,
      stages: STAGES,
      stickyActionProb: 0.2,
      noopMax: 4,
      maxEpisodeSteps: 9,
      obs: { width: 32, height: 32, stack: 2 },
      seed: 21,
    });
    e.setStageWeights([1, 2, 3]);
    e.setStartStates([state, state], 'sample', { share: 0.5 });
    const out: string[] = [];
    e.reset({ seed: 6 });
    const actions = new Int32Array(9);
    for (let t = 0; t < 60; t++) {
      for (let i = 0; i < 9; i++) actions[i] = (t * 7 + i * 3) % e.numActions;
      out.push(stepDigest(t % 2 ? await e.stepAsync(actions) : e.step(actions), 9));
    }
    const stats = e.startStats();
    e.close();
    return { digests: out, stats };
  }

  it('gives byte-identical results for numThreads 1 and 2 with weights and a share set', async () => {
    const one = await digests(1);
    const two = await digests(2);
    expect(one.stats.resets).toBeGreaterThan(40);
    expect(one.stats.fromStartStates).toBeGreaterThan(0);
    expect(one.stats.fromStartStates).toBeLessThan(one.stats.resets);
    expect(two.stats).toEqual(one.stats);
    expect(
      two.digests.findIndex((d, t) => d !== one.digests[t]),
      'first differing step',
    ).toBe(-1);
  });
});

describe('start draws: the raw native binding', () => {
  // Native-only: the raw N-API object re-checks what VecEnv already checked.
  it('the native layer re-checks weights and share itself (never a crash)', () => {
    const { config, rom } = normalizeVecEnvOptions({ game: 'runner', numEnvs: 2, stages: STAGES, obs: 'ram' });
    const raw = new (loadNative().VecEnv)(config, rom) as NativeVecEnv;
    expect(() => raw.setStageWeights([1, NaN, 1])).toThrow(new RangeError('Expected a finite number >= 0 for weights[1] but received NaN'));
    expect(() => raw.setStageWeights([1, -2, 1])).toThrow(new RangeError('Expected a finite number >= 0 for weights[1] but received -2'));
    expect(() => raw.setStageWeights([0, 0, 0])).toThrow(new RangeError('Expected at least one weight > 0 for weights but received all zeros'));
    expect(() => raw.setStageWeights([1])).toThrow(
      new RangeError('Expected an array of 3 weights (one per stage) for weights but received an array of length 1'),
    );
    expect(() => raw.setStageWeights([1, 'x' as never, 1])).toThrow(new TypeError('Expected a number for weights[1] but received a string'));
    expect(() => raw.setStageWeights('x' as never)).toThrow(TypeError);
    expect(raw.stageWeights()).toEqual([1, 1, 1]);
    const state = stage3State();
    expect(() => raw.setStartStates([state], 'fixed', 2)).toThrow(new RangeError('Expected a finite number in [0, 1] for share but received 2'));
    expect(() => raw.setStartStates([state], 'fixed', NaN)).toThrow(new RangeError('Expected a finite number in [0, 1] for share but received NaN'));
    expect(() => raw.setStartStates([state], 'fixed', undefined as never)).toThrow(TypeError);
    expect(raw.startStats()).toEqual({ resets: 0, fromStartStates: 0 });
    raw.close();
  });
});
