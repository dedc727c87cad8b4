/**
 * Gymnasium habits on VecEnv: per-lane action and observation spaces, plain arrays of actions
 * (same results as an Int32Array), render(lane), the lane's RGB picture, which leaves the env as
 * it was, and no step before the first reset. One suite on both backends (ENV_BACKENDS), but for
 * the raw native binding's own check.
 */
import { describe, expect, it } from 'vitest';

import { normalizeVecEnvOptions, RENDER_HEIGHT, RENDER_WIDTH, VecEnv } from '../../src/env/vec-env.js';
import { loadNative, type NativeVecEnv } from '../../src/native.js';
import { Nes } from '../../src/nes.js';
import { loadRunnerRom } from '../../src/games/runner.js';
import { encodePng } from '../../src/util/png.js';
import { ENV_BACKENDS } from './backends.js';

describe.each(ENV_BACKENDS)('VecEnv gym habits on the %s backend', (backend) => {
  const runner = (extra: Record<string, unknown> = {}) => new VecEnv({ backend, game: 'runner', numEnvs: 2, numThreads: 1, stages: ['1'], seed: 5, ...extra });

  describe('VecEnv spaces', () => {
    it('describe one lane: Discrete(n) actions, obsShape without the lane axis, uint8', () => {
      const cases: [Record<string, unknown>, number[], number][] = [
        [{}, [4, 1, 84, 84], 7],
        [{ obs: 'ram', actions: 'right-only' }, [2048], 5],
        [{ obs: { width: 42, height: 42, frameStack: 2, grayscale: false }, actions: 'complex' }, [2, 3, 42, 42], 12],
        [{ obs: 'tiles' }, [4, 13, 16], 7],
      ];
      for (const [options, shape, n] of cases) {
        const env = runner(options);
        try {
          expect(env.actionSpace).toEqual({ n });
          expect(env.observationSpace).toEqual({ shape, dtype: 'uint8' });
          expect(env.obsShape).toEqual([2, ...shape]);
        } finally {
          env.close();
        }
      }
    });
  });

  describe('VecEnv actions as plain arrays', () => {
    it('step and stepAsync take number[] with the same results as an Int32Array', async () => {
      const a = runner();
      const b = runner();
      try {
        a.reset({ seed: 1 });
        b.reset({ seed: 1 });
        for (let t = 0; t < 24; t++) {
          const actions = [t % 7, (t * 3) % 7];
          const ra = t % 2 ? a.step(actions) : await a.stepAsync(actions);
          const rb = b.step(Int32Array.from(actions));
          expect(Buffer.from(ra.obs).equals(Buffer.from(rb.obs)), `step ${t}`).toBe(true);
          expect(Array.from(ra.reward)).toEqual(Array.from(rb.reward));
        }
        expect(() => a.step([1])).toThrow('Expected an array of 2 actions for actions');
        expect(() => a.step([1, 2.5])).toThrow('Expected an integer for actions[1] but received 2.5');
        expect(() => a.step([1, '2'] as unknown as number[])).toThrow(/for actions\[1\]/);
        expect(() => a.step([1, 7])).toThrow('Expected an integer in [0, 6] for actions[1] but received 7');
      } finally {
        a.close();
        b.close();
      }
    });
  });

  describe('VecEnv.render', () => {
    it("returns the lane's 256×240 RGB picture (the frame its console draws next) without changing the env", () => {
      const a = runner();
      const b = runner();
      const nes = new Nes(loadRunnerRom(), { backend });
      try {
        const same = (x: Uint8Array, y: Uint8Array) => Buffer.from(x).equals(Buffer.from(y));
        a.reset();
        b.reset();
        const frames: Uint8Array[] = [];
        for (let t = 0; t < 20; t++) {
          const ra = a.step([1, 0]); // lane 0 runs right, lane 1 stands
          frames.push(a.render(0), a.render(1));
          expect(same(a.render(0), frames[frames.length - 2]!), 'deterministic').toBe(true);
          expect(same(ra.obs, b.step([1, 0]).obs), `step ${t}: the twin env without render()`).toBe(true);
        }
        for (let t = 0; t < 10; t++) expect(same(a.step([2, 3]).obs, b.step([2, 3]).obs)).toBe(true);
        const last = a.render(1);
        expect(last.length).toBe(RENDER_WIDTH * RENDER_HEIGHT * 3);
        expect(new Set(last).size).toBeGreaterThan(2); // a picture, not a blank screen
        // The same as the Nes class shows one frame after loading the lane's state.
        nes.loadState(a.saveStates([1])[0]!);
        nes.stepFrame(0);
        expect(same(nes.toRgb(), last)).toBe(true);
        // Lanes that did different things look different.
        expect(same(frames[frames.length - 2]!, frames[frames.length - 1]!)).toBe(false);
        expect(encodePng(last, RENDER_WIDTH, RENDER_HEIGHT).length).toBeGreaterThan(100);
        expect(() => a.render(2)).toThrow('Expected an integer in [0, 1] for lane but received 2');
      } finally {
        a.close();
        b.close();
        nes.close();
      }
      expect(() => a.render(0)).toThrow('VecEnv.render() called after close()');
    });
  });

  describe('VecEnv before reset and after close (issue 19, finding 9)', () => {
    it('step and stepAsync throw before the first reset, as Gymnasium does, then work; both throw after close', async () => {
      const env = runner();
      const actions = new Int32Array(2);
      const before = 'VecEnv.step() called before reset(); call reset() first';
      expect(() => env.step(actions)).toThrow(before);
      expect(() => env.step([0, 1])).toThrow(before);
      await expect(env.stepAsync(actions)).rejects.toThrow('VecEnv.stepAsync() called before reset(); call reset() first');
      // Nothing stepped: the first reset's observations are those of a fresh env's reset.
      const fresh = runner();
      try {
        const obs = Uint8Array.from(env.reset({ seed: 5 }).obs);
        expect(Buffer.from(fresh.reset({ seed: 5 }).obs).equals(Buffer.from(obs))).toBe(true);
        expect(env.step(actions).obs).toHaveLength(obs.length);
        expect((await env.stepAsync(actions)).reward).toHaveLength(2);
      } finally {
        env.close();
        fresh.close();
      }
      expect(() => env.step(actions)).toThrow('VecEnv.step() called after close()');
      await expect(env.stepAsync(actions)).rejects.toThrow('VecEnv.stepAsync() called after close()');
      expect(() => env.reset()).toThrow('VecEnv.reset() called after close()');
    });
  });
});

describe('the raw native binding', () => {
  // Native-only: the raw N-API object, which a caller could reach past VecEnv's own check.
  it('the native env refuses a step before its first reset too (a raw binding call cannot skip it)', () => {
    const { config, rom } = normalizeVecEnvOptions({ game: 'runner', numEnvs: 2, numThreads: 1, seed: 5 });
    const raw = new (loadNative().VecEnv)(config, rom) as NativeVecEnv;
    try {
      const d = raw.description;
      const n = d.numEnvs;
      const f = d.infoFields.length;
      const c = d.rewardComponents.length;
      raw.bind({
        obs: new Uint8Array(n * d.obsBytes),
        reward: new Float32Array(n),
        terminated: new Uint8Array(n),
        truncated: new Uint8Array(n),
        info: new Int32Array(f * n),
        components: new Float32Array(c * n),
        finalObs: new Uint8Array(n * d.obsBytes),
        finalInfo: new Int32Array(f * n),
        episodeReturn: new Float32Array(n),
        episodeLength: new Int32Array(n),
        episodeMaxX: new Int32Array(n),
        episodeFlag: new Uint8Array(n),
        episodeStartState: new Uint8Array(n),
      });
      const actions = new Int32Array(n);
      expect(() => raw.step(actions)).toThrow('VecEnv: step() called before reset(); call reset() first');
      expect(() => raw.stepAsync(actions)).toThrow('VecEnv: step() called before reset(); call reset() first');
      raw.reset(5);
      raw.step(actions);
    } finally {
      raw.close();
    }
  });
});
