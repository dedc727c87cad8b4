/**
 * One VecEnv suite on both backends (native and jsnes): the behaviours that do not depend on
 * native-only features, parametrised by backend, then a comparison of both backends step for step
 * (observations, rewards, components, infos, episode stats) on the built-in game, and on SMB1
 * when MARIO_ROM is set. jsnes is much slower, so the runs are short.
 */
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { VecEnv, type VecEnvOptions } from '../../../src/env/vec-env.js';
import { ENV_BACKENDS as BACKENDS } from '../backends.js';
const MARIO_ROM = process.env.MARIO_ROM;
if (!MARIO_ROM) console.warn('[backends test] SMB1 comparison skipped: set MARIO_ROM to a Super Mario Bros. ROM');

function scripted(env: VecEnv, steps: number, seed: number): { obs: Buffer[]; rewards: number[]; dones: number } {
  const actions = new Int32Array(env.numEnvs);
  let s = seed;
  const obs: Buffer[] = [];
  const rewards: number[] = [];
  let dones = 0;
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < env.numEnvs; i++) actions[i] = (s = (s * 1103515245 + 12345) >>> 0) % env.numActions;
    const r = env.step(actions);
    obs.push(Buffer.from(r.obs));
    rewards.push(...r.reward);
    for (let i = 0; i < env.numEnvs; i++) dones += r.terminated[i]! | r.truncated[i]!;
  }
  return { obs, rewards, dones };
}

describe.each(BACKENDS)('VecEnv on the %s backend', (backend) => {
  const base: VecEnvOptions = { backend, game: 'runner', numEnvs: 2, stages: ['1'], obs: { width: 42, height: 42, frameStack: 2 }, seed: 5 };

  it('reports its backend, shapes and spaces', () => {
    const env = new VecEnv(base);
    try {
      expect(env.backend).toBe(backend);
      expect(env.obsShape).toEqual([2, 2, 1, 42, 42]);
      expect(env.numActions).toBe(7);
      const { obs, info } = env.reset();
      expect(obs.length).toBe(2 * 2 * 42 * 42);
      expect(info.xPos![0]).toBeGreaterThan(0);
      let r = env.step([1, 1]);
      for (let t = 0; t < 4; t++) r = env.step([1, 1]);
      expect(new Set(r.obs).size).toBeGreaterThan(1); // a picture, not a blank
    } finally {
      env.close();
    }
  });

  it('is deterministic for a seed, with sticky actions and no-op starts', () => {
    const run = () => {
      const env = new VecEnv({ ...base, stickyActionProb: 0.25, noopMax: 8, maxEpisodeSteps: 12 });
      try {
        env.reset();
        return scripted(env, 30, 9);
      } finally {
        env.close();
      }
    };
    const a = run();
    const b = run();
    expect(a.dones).toBeGreaterThan(0); // truncations autoreset inside the run
    expect(a.rewards).toEqual(b.rewards);
    expect(Buffer.compare(Buffer.concat(a.obs), Buffer.concat(b.obs))).toBe(0);
  });

  it('same-step autoreset: finalObs and episode stats describe the finished episode', () => {
    const env = new VecEnv({ ...base, numEnvs: 1, maxEpisodeSteps: 5 });
    try {
      env.reset();
      let r = env.step([1]);
      for (let t = 1; t < 5; t++) r = env.step([1]);
      expect(r.truncated[0]).toBe(1);
      expect(r.episode.length[0]).toBe(5);
      expect(r.episode.maxX[0]).toBeGreaterThanOrEqual(r.finalInfo.xPos![0]!);
      expect(r.info.xPos![0]).toBeLessThan(r.finalInfo.xPos![0]!); // the new episode starts back at the start
    } finally {
      env.close();
    }
  });

  it('start states: a saved lane state becomes the start of the next episodes', () => {
    const env = new VecEnv({ ...base, numEnvs: 1, maxEpisodeSteps: 3, obs: 'ram' });
    try {
      const start = env.reset().info.xPos![0]!;
      let x = start;
      for (let t = 0; t < 2; t++) x = env.step([1]).info.xPos![0]!;
      expect(x).toBeGreaterThan(start);
      const [state] = env.saveStates([0]);
      expect(state!.length).toBe(env.stateSize);
      env.setStartStates([state!]);
      // The reset starts one no-op frame after the saved state: within a few pixels of it.
      const resumed = env.reset().info.xPos![0]!;
      expect(resumed - x).toBeGreaterThanOrEqual(0);
      expect(resumed - x).toBeLessThanOrEqual(3);
      expect(env.startStats().fromStartStates).toBe(1);
      env.clearStartStates();
    } finally {
      env.close();
    }
  });

  it('rejects bad options and bad states with clear errors', () => {
    expect(() => new VecEnv({ ...base, backend: 'gpu' as never })).toThrow(/for backend but received "gpu"/);
    expect(() => new VecEnv({ ...base, stages: ['9'] })).toThrow(/runner stage/);
    const env = new VecEnv(base);
    try {
      env.reset();
      expect(() => env.step([0, 99])).toThrow(/for actions\[1\] but received 99/);
      expect(() => env.setStartStates([new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])])).toThrow(/Invalid save state|states\[0\]/);
    } finally {
      env.close();
    }
  });
});

describe('native and jsnes backends give the same steps', () => {
  const compare = (options: VecEnvOptions, steps: number) => {
    const envs = BACKENDS.map((backend) => new VecEnv({ ...options, backend }));
    try {
      const [n, j] = envs as [VecEnv, VecEnv];
      expect(Buffer.compare(Buffer.from(n.reset().obs), Buffer.from(j.reset().obs)), 'reset obs').toBe(0);
      const actions = new Int32Array(options.numEnvs);
      let s = 3;
      let dones = 0;
      for (let t = 0; t < steps; t++) {
        for (let i = 0; i < actions.length; i++) actions[i] = (s = (s * 1103515245 + 12345) >>> 0) % n.numActions;
        const a = n.step(actions);
        const b = j.step(actions);
        const where = `step ${t}`;
        expect(Buffer.compare(Buffer.from(a.obs), Buffer.from(b.obs)), `${where} obs`).toBe(0);
        expect([...b.reward], `${where} reward`).toEqual([...a.reward]);
        expect([...b.terminated, ...b.truncated], `${where} done`).toEqual([...a.terminated, ...a.truncated]);
        for (const f of n.infoFields) expect([...b.info[f]!], `${where} info.${f}`).toEqual([...a.info[f]!]);
        for (const c of n.rewardComponentNames) expect([...b.rewardComponents[c]!], `${where} ${c}`).toEqual([...a.rewardComponents[c]!]);
        for (let i = 0; i < actions.length; i++) {
          if (!(a.terminated[i]! | a.truncated[i]!)) continue;
          dones++;
          expect(Buffer.compare(Buffer.from(a.finalObs), Buffer.from(b.finalObs)), `${where} finalObs`).toBe(0);
          expect([b.episode.return[i], b.episode.length[i], b.episode.maxX[i], b.episode.flag[i]]).toEqual([
            a.episode.return[i],
            a.episode.length[i],
            a.episode.maxX[i],
            a.episode.flag[i],
          ]);
        }
      }
      return dones;
    } finally {
      for (const env of envs) env.close();
    }
  };

  it('built-in game: pixels (max-pool, sticky actions, no-ops, a reward anneal), tiles and RAM', () => {
    const common = { game: 'runner', numEnvs: 2, seed: 7, stickyActionProb: 0.2, noopMax: 6 } as const;
    const dones = compare(
      { ...common, stages: ['1', '2'], maxEpisodeSteps: 40, obs: { width: 42, height: 42 }, rewardShaping: { distanceWeightEnd: 0.5, annealSteps: 50 } },
      60,
    );
    expect(dones).toBeGreaterThan(0);
    compare({ ...common, obs: 'tiles' }, 40);
    compare({ ...common, obs: 'ram', actions: 'complex' }, 40);
    // Random actions stand still often enough for maxStallSteps to cut episodes on both.
    expect(compare({ ...common, obs: 'ram', actions: 'complex', maxStallSteps: 6 }, 40)).toBeGreaterThan(0);
    expect(compare({ ...common, obs: 'ram', actions: 'complex', maxStallSteps: 6, stallTerminal: true, stallReward: -2.5 }, 40)).toBeGreaterThan(0);
  }, 300_000);

  it.skipIf(!MARIO_ROM)(
    'SMB1 1-1, shaped reward, RGB crop',
    () => {
      const rom = readFileSync(MARIO_ROM!);
      compare({ rom, numEnvs: 1, stages: ['1-1'], reward: 'shaped', obs: { width: 64, height: 60, grayscale: false, crop: { top: 32 } }, seed: 2 }, 60);
    },
    300_000,
  );
});
