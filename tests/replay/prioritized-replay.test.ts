import { describe, expect, it } from 'vitest';

import { cudaAvailability } from '../../src/replay/cuda-sampler.js';
import { PrioritizedReplay, type PrioritizedReplayOptions, type ReplayBatch } from '../../src/replay/prioritized-replay.js';
import { ReferenceVecEnv } from './reference-env.js';
import { testRng } from './stats-helpers.js';

const H = 3;
const W = 4;

interface Run {
  replay: PrioritizedReplay;
  env: ReferenceVecEnv;
}

function run(
  opts: Partial<PrioritizedReplayOptions> & { capacity: number; numEnvs: number },
  steps: number,
  feed: { layout?: 'stacked' | 'frames'; finalObs?: boolean; sampleEvery?: number; envSeed?: number } = {},
): Run {
  const stack = opts.stack ?? 4;
  const padding = opts.startPadding ?? 'repeat';
  const env = new ReferenceVecEnv({
    lanes: opts.numEnvs,
    height: H,
    width: W,
    stack,
    padding,
    maxEpisodeLength: 14,
    seed: feed.envSeed ?? 7,
  });
  const replay = new PrioritizedReplay({ frameShape: [H, W], ...opts });
  const layout = (x: Uint8Array) => (feed.layout === 'frames' ? ReferenceVecEnv.newestFrames(x, opts.numEnvs, stack, H * W) : x);
  replay.begin(layout(env.observe()));
  for (let t = 0; t < steps; t++) {
    const actions = env.randomActions();
    const s = env.step(actions);
    replay.addBatch({
      actions,
      rewards: s.rewards,
      terminated: s.terminated,
      truncated: s.truncated,
      obs: layout(s.obs),
      ...(feed.finalObs === false ? {} : { finalObs: layout(s.finalObs) }),
    });
    if (feed.sampleEvery && replay.size > 0 && t % feed.sampleEvery === 0) replay.sample(32);
  }
  return { replay, env };
}

function sampleableIndices(replay: PrioritizedReplay): Int32Array {
  const list: number[] = [];
  for (let i = 0; i < replay.capacity; i++) if (replay.transitionInfo(i).sampleable) list.push(i);
  return Int32Array.from(list);
}

/** Checks every sampleable transition against the reference, field by field. */
function checkAgainstReference(r: Run, nStep: number, gamma: number, finalObsGiven: boolean): number {
  const { replay, env } = r;
  const indices = sampleableIndices(replay);
  expect(indices.length).toBe(replay.size);
  const batch = replay.gather(indices);
  const stackBytes = batch.obs.length / indices.length;
  for (let b = 0; b < indices.length; b++) {
    const info = replay.transitionInfo(indices[b]);
    const want = env.expected(info.lane, info.episode, info.step, nStep, gamma, finalObsGiven);
    const where = `lane ${info.lane} episode ${info.episode} step ${info.step}`;
    expect(batch.actions[b], where).toBe(want.action);
    expect(batch.returns[b], where).toBe(want.ret);
    expect(batch.discounts[b], where).toBe(want.discount);
    expect(Buffer.from(batch.obs.subarray(b * stackBytes, (b + 1) * stackBytes)).equals(Buffer.from(want.obs)), `obs of ${where}`).toBe(true);
    if (want.nextObs) {
      const next = batch.nextObs.subarray(b * stackBytes, (b + 1) * stackBytes);
      expect(Buffer.from(next).equals(Buffer.from(want.nextObs)), `nextObs of ${where}`).toBe(true);
    }
  }
  return indices.length;
}

describe('PrioritizedReplay storage', () => {
  it('stores every added transition, with n-step returns and stacks equal to a brute-force reference', () => {
    const r = run({ capacity: 8 * 200, numEnvs: 8, stack: 4, nStep: 3, gamma: 0.9 }, 150);
    const checked = checkAgainstReference(r, 3, 0.9, true);
    // Every transition whose window is complete is sampleable (nothing is lost without a wrap).
    let expected = 0;
    for (let lane = 0; lane < 8; lane++) {
      r.env.episodes[lane].forEach((ep, e) => {
        for (let t = 0; t < ep.length; t++) if (r.env.isComplete(lane, e, t, 3, true)) expected++;
      });
    }
    expect(checked).toBe(expected);
    expect(r.replay.stats().pushTotal).toBe(8 * 150);
  });

  it('stores every transition whatever the sampling interval (the seeds regression)', () => {
    const opts = { capacity: 4 * 120, numEnvs: 4, stack: 2, nStep: 2, gamma: 0.95 };
    const never = run(opts, 100);
    const every = run(opts, 100, { sampleEvery: 1 });
    const sometimes = run(opts, 100, { sampleEvery: 7 });
    for (const r of [never, every, sometimes]) {
      expect(r.replay.stats().pushTotal).toBe(400);
      expect(r.replay.size).toBe(never.replay.size);
      expect(Array.from(sampleableIndices(r.replay))).toEqual(Array.from(sampleableIndices(never.replay)));
    }
    expect(never.replay.size).toBeGreaterThan(300);
  });

  it('stores frames in several chunks when asked (as for captures over 4 GiB)', () => {
    const r = run({ capacity: 4 * 60, numEnvs: 4, stack: 3, nStep: 2, gamma: 0.9, framesPerChunk: 16 }, 120, { sampleEvery: 5 });
    checkAgainstReference(r, 2, 0.9, true);
    expect(() => new PrioritizedReplay({ capacity: 64, numEnvs: 2, frameShape: [H, W], framesPerChunk: 12 })).toThrow(
      /Expected a power of two for framesPerChunk but received 12/,
    );
  });

  it('accepts newest frames only ([N, H, W]) and zero start padding', () => {
    checkAgainstReference(run({ capacity: 3 * 100, numEnvs: 3, stack: 3, nStep: 4, gamma: 0.8 }, 80, { layout: 'frames' }), 4, 0.8, true);
    checkAgainstReference(run({ capacity: 3 * 100, numEnvs: 3, stack: 3, nStep: 2, gamma: 0.8, startPadding: 'zero' }, 80), 2, 0.8, true);
  });

  it('treats a truncation without finalObs as the end of bootstrapping (discount 0)', () => {
    const r = run({ capacity: 2 * 100, numEnvs: 2, stack: 2, nStep: 3, gamma: 0.9 }, 70, { finalObs: false });
    checkAgainstReference(r, 3, 0.9, false);
  });

  it('keeps every invariant through capacity wrap-around', () => {
    const nStep = 3;
    const stack = 4;
    const lanes = 5;
    const laneCapacity = 24;
    const r = run({ capacity: lanes * laneCapacity, numEnvs: lanes, stack, nStep, gamma: 0.97, alpha: 0.7 }, 400, {
      sampleEvery: 3,
    });
    const { replay } = r;
    checkAgainstReference(r, nStep, 0.97, true);
    // Priorities: positive exactly on sampleable transitions, and the tree's total is their sum.
    let total = 0;
    for (let i = 0; i < replay.capacity; i++) {
      const p = replay.tree.get(i);
      expect(p > 0, `priority of index ${i}`).toBe(replay.transitionInfo(i).sampleable);
      total += p;
    }
    expect(replay.tree.total).toBeCloseTo(total, 10);
    // Only the oldest few slots of each lane may be lost to the wrap.
    expect(replay.size).toBeGreaterThanOrEqual(lanes * (laneCapacity - stack - nStep - 2));
    const batch = replay.sample(512);
    for (const i of batch.indices) expect(replay.transitionInfo(i).sampleable).toBe(true);
  });

  it('stores rewards and returns as float16 when asked, within half precision', () => {
    const opts = { capacity: 4 * 100, numEnvs: 4, stack: 2, nStep: 3, gamma: 0.9 };
    const full = run(opts, 60);
    const half = run({ ...opts, scalarDtype: 'float16' }, 60);
    const idx = sampleableIndices(full.replay);
    expect(Array.from(sampleableIndices(half.replay))).toEqual(Array.from(idx));
    const a = full.replay.gather(idx);
    const b = half.replay.gather(idx);
    for (let k = 0; k < idx.length; k++) expect(Math.abs(a.returns[k] - b.returns[k])).toBeLessThan(2e-2);
    expect(Array.from(b.discounts)).toEqual(Array.from(a.discounts));
    expect(half.replay.stats().memoryBytes).toBeLessThan(full.replay.stats().memoryBytes);
  });
});

describe('PrioritizedReplay episode cuts', () => {
  it('begin() mid-episode closes open windows, bootstrapping from the current observation', () => {
    const replay = new PrioritizedReplay({ capacity: 16, numEnvs: 1, frameShape: [1, 1], stack: 1, nStep: 3, gamma: 0.5 });
    const frame = (v: number) => new Uint8Array([v]);
    const step = (reward: number, obs: number) => ({
      actions: new Int32Array([reward]),
      rewards: new Float32Array([reward]),
      terminated: new Uint8Array(1),
      truncated: new Uint8Array(1),
      obs: frame(obs),
    });
    replay.begin(frame(10));
    replay.addBatch(step(1, 11));
    replay.addBatch(step(2, 12));
    expect(replay.size).toBe(0); // windows of 3 are still open
    replay.begin(frame(20));
    expect(replay.size).toBe(2);
    const idx = sampleableIndices(replay);
    const batch = replay.gather(idx);
    const byStep = new Map(Array.from(idx, (i, k) => [replay.transitionInfo(i).step, k] as [number, number]));
    const first = byStep.get(0)!;
    expect(batch.returns[first]).toBe(1 + 0.5 * 2);
    expect(batch.discounts[first]).toBe(0.25);
    expect(batch.nextObs[first]).toBe(12);
    const second = byStep.get(1)!;
    expect(batch.returns[second]).toBe(2);
    expect(batch.discounts[second]).toBe(0.5);
    expect(batch.nextObs[second]).toBe(12);
    // The new episode continues from the new observation.
    replay.addBatch(step(4, 21));
    replay.addBatch(step(8, 22));
    replay.addBatch(step(16, 23));
    const fresh = Array.from(sampleableIndices(replay)).find((i) => replay.transitionInfo(i).episode === 1)!;
    const b = replay.gather(new Int32Array([fresh]));
    expect(b.obs[0]).toBe(20);
    expect(b.returns[0]).toBe(4 + 0.5 * 8 + 0.25 * 16);
    expect(b.nextObs[0]).toBe(23);
  });
});

describe('PrioritizedReplay sampling', () => {
  const base = { capacity: 4 * 256, numEnvs: 4, stack: 2, nStep: 2, gamma: 0.99 };

  it('gives exact importance weights (min P / P)^β after priority updates, and anneals β', () => {
    const alpha = 0.6;
    const epsilon = 1e-3;
    const { replay } = run({ ...base, alpha, epsilon, beta: 0.4, betaFinal: 1, betaSteps: 10 }, 200);
    const idx = sampleableIndices(replay);
    const rng = testRng(4);
    const td = Float32Array.from({ length: idx.length }, () => (rng() - 0.5) * 8);
    replay.updatePriorities(idx, td);
    const p = Array.from(td, (d) => (Math.abs(d) + epsilon) ** alpha);
    const byIndex = new Map(Array.from(idx, (i, k) => [i, p[k]] as [number, number]));
    const min = Math.min(...p);
    expect(replay.tree.min).toBe(min);
    for (let call = 0; call < 12; call++) {
      const beta = replay.beta;
      expect(beta).toBeCloseTo(0.4 + 0.6 * Math.min(1, call / 10), 12);
      const batch = replay.sample(64);
      for (let b = 0; b < 64; b++) {
        expect(batch.weights[b]).toBe(Math.fround((min / byIndex.get(batch.indices[b])!) ** beta));
        expect(batch.weights[b]).toBeLessThanOrEqual(1);
      }
    }
    expect(replay.stats().maxPriority).toBeCloseTo(Math.max(...Array.from(td, (d) => Math.abs(d) + epsilon)), 6);
  });

  it('samples in proportion to updated priorities', () => {
    const { replay } = run(base, 200);
    const idx = sampleableIndices(replay);
    // A quarter of the transitions get 9x the TD error: with α = 0.6 they carry 9^0.6 / (9^0.6 + 3) of the mass.
    const td = Float64Array.from(idx, (_, k) => (k % 4 === 0 ? 9 : 1));
    replay.updatePriorities(idx, td);
    let heavy = 0;
    let draws = 0;
    const heavySet = new Set(Array.from(idx).filter((_, k) => k % 4 === 0));
    for (let call = 0; call < 200; call++) {
      const batch = replay.sample(256);
      for (const i of batch.indices) if (heavySet.has(i)) heavy++;
      draws += 256;
    }
    const pHeavy = 9 ** 0.6 / (9 ** 0.6 + 3);
    expect(Math.abs(heavy / draws - pHeavy)).toBeLessThan(0.01);
  });

  it('is deterministic with a seed and reports sample statistics', () => {
    const a = run({ ...base, seed: 9 }, 100).replay;
    const b = run({ ...base, seed: 9 }, 100).replay;
    const c = run({ ...base, seed: 10 }, 100).replay;
    const batches = (r: PrioritizedReplay) => {
      const out: number[][] = [];
      for (let k = 0; k < 3; k++) {
        const batch: ReplayBatch = r.sample(128);
        out.push(Array.from(batch.indices), Array.from(batch.obs.subarray(0, 64)), Array.from(batch.weights));
      }
      return out;
    };
    const first = batches(a);
    expect(batches(b)).toEqual(first);
    expect(batches(c)).not.toEqual(first);
    const stats = a.stats();
    expect(stats.capacity).toBe(1024);
    expect(stats.size).toBe(a.size);
    expect(stats.fillRate).toBeCloseTo(a.size / 1024, 12);
    expect(stats.pushTotal).toBe(400);
    expect(stats.uniqueRatio).toBeGreaterThan(0.5);
    expect(stats.uniqueRatio).toBeLessThanOrEqual(1);
    expect(stats.uniqueRatioMean).toBeGreaterThan(0.5);
    expect(stats.memoryBytes).toBeGreaterThan(1024 * (2 * H * W));
  });

  it('fills a caller-owned batch in place', () => {
    const { replay } = run(base, 50);
    const out = replay.createBatch(16);
    const obs = out.obs;
    expect(replay.sample(16, out)).toBe(out);
    expect(out.obs).toBe(obs);
    expect(out.indices.some((i) => i !== 0)).toBe(true);
  });
});

describe('PrioritizedReplay errors', () => {
  const good = { capacity: 64, numEnvs: 2, frameShape: [H, W] as [number, number], stack: 2, nStep: 2 };

  it('rejects bad options', () => {
    const bad: [Partial<PrioritizedReplayOptions>, RegExp][] = [
      [{ capacity: 63 }, /Expected a multiple of numEnvs \(2\) for capacity but received 63/],
      [{ capacity: 8 }, /Expected an integer in \[12, 1073741824\] for capacity but received 8/],
      [{ numEnvs: 0 }, /for numEnvs but received 0/],
      [{ frameShape: [84] as never }, /Expected an array \[height, width\] for frameShape/],
      [{ frameShape: [84, 0] }, /for frameShape\[1\] but received 0/],
      [{ stack: 0 }, /for stack but received 0/],
      [{ gamma: 1.5 }, /for gamma but received 1.5/],
      [{ alpha: NaN }, /for alpha but received NaN/],
      [{ epsilon: 0 }, /for epsilon but received 0/],
      [{ startPadding: 'edge' as never }, /Expected one of 'repeat', 'zero' for startPadding/],
      [{ scalarDtype: 'int8' as never }, /for scalarDtype/],
      [{ device: 'tpu' as never }, /Expected one of 'cpu', 'cuda' for device but received "tpu"/],
      [{ capacty: 64 } as never, /Unknown option 'capacty'/],
    ];
    for (const [patch, message] of bad) expect(() => new PrioritizedReplay({ ...good, ...patch })).toThrow(message);
    expect(() => new PrioritizedReplay(undefined as never)).toThrow(TypeError);
  });

  it('reports a missing CUDA device clearly', () => {
    const cuda = cudaAvailability();
    if (cuda.available) return; // covered by the CUDA suite
    expect(cuda.reason).toMatch(/no CUDA device|without CUDA/);
    expect(() => new PrioritizedReplay({ ...good, device: 'cuda' })).toThrow(/no CUDA device/);
  });

  it('rejects bad steps, samples and priority updates', () => {
    const replay = new PrioritizedReplay(good);
    const obs = new Uint8Array(2 * 2 * H * W);
    const step = {
      actions: new Int32Array(2),
      rewards: new Float32Array(2),
      terminated: new Uint8Array(2),
      truncated: new Uint8Array(2),
      obs,
    };
    expect(() => replay.addBatch(step)).toThrow(/call begin\(obs\)/);
    expect(() => replay.begin(new Uint8Array(5))).toThrow(
      /Expected a Uint8Array of length 48 \(\[N, stack, H, W\]\) or 24 \(\[N, H, W\]\) for obs but received Uint8Array\(5\)/,
    );
    const badStart = new Uint8Array(48);
    badStart[3] = 1; // older stack frame differs from the newest: not 'repeat' padding
    expect(() => replay.begin(badStart)).toThrow(/lane 0 starts an episode, but its stack frame 0 is not a copy of the newest frame/);
    replay.begin(obs);
    expect(() => replay.sample(4)).toThrow(/no transition is sampleable yet/);
    expect(() => replay.addBatch({ ...step, actions: new Int32Array(3) })).toThrow(/Int32Array of length 2 for actions/);
    expect(() => replay.addBatch({ ...step, rewards: new Float64Array(2) as never })).toThrow(TypeError);
    expect(() => replay.addBatch({ ...step, rewards: new Float32Array([0, NaN]) })).toThrow(/finite number for rewards\[1\] but received NaN/);
    expect(() => replay.addBatch({ ...step, terminated: [0, 0] as never })).toThrow(TypeError);
    expect(() => replay.addBatch({ ...step, obs: new Uint8Array(7) })).toThrow(RangeError);
    expect(() => replay.addBatch({ ...step, finalObs: new Uint8Array(7) })).toThrow(/for finalObs/);
    expect(() => replay.addBatch({ ...step, extra: 1 } as never)).toThrow(/Unknown option 'extra'/);
    for (let t = 0; t < 6; t++) replay.addBatch(step);
    const batch = replay.sample(4);
    expect(() => replay.sample(0)).toThrow(/for batchSize but received 0/);
    expect(() => replay.sample(4, replay.createBatch(5))).toThrow(/out\.obs/);
    expect(() => replay.updatePriorities(batch.indices, new Float32Array([1, 2, NaN, 4]))).toThrow(
      new RangeError(`Expected a finite TD error for tdErrors[2] (replay index ${batch.indices[2]}) but received NaN`),
    );
    expect(() => replay.updatePriorities(batch.indices, new Float64Array([1, Infinity, 1, 1]))).toThrow(/tdErrors\[1\].*Infinity/);
    expect(() => replay.updatePriorities(new Int32Array([64]), new Float32Array([1]))).toThrow(
      /Expected an integer in \[0, 63\] for indices\[0\] but received 64/,
    );
    expect(() => replay.updatePriorities(batch.indices, new Float32Array(3))).toThrow(RangeError);
    expect(() => replay.updatePriorities(batch.indices, [1, 2, 3, 4] as never)).toThrow(TypeError);
    const unsampleable = Array.from({ length: 64 }, (_, i) => i).find((i) => !replay.transitionInfo(i).sampleable)!;
    expect(() => replay.gather(new Int32Array([unsampleable]))).toThrow(/sampleable transition for indices\[0\]/);
    // Nothing changed by the rejected updates: every stored priority is still the initial max.
    for (const i of batch.indices) expect(replay.tree.get(i)).toBe(1);
  });
});
