/**
 * Saving and restoring a PrioritizedReplay: a restored replay must behave exactly as the one it
 * was saved from (same batches byte for byte, same priorities, same stats) for the same later calls,
 * and a state that does not fit (other options, truncated or corrupt sections) must be refused with
 * the standard message before anything changes. The CUDA cases skip without a device.
 */
import { describe, expect, it } from 'vitest';

import { cudaAvailability } from '../../src/replay/cuda-sampler.js';
import { PrioritizedReplay, type PrioritizedReplayOptions, type ReplayBatch, type ReplayState } from '../../src/replay/prioritized-replay.js';
import { testRng } from './stats-helpers.js';

const H = 3;
const W = 2;
const F = H * W;
const LANES = 4;

const base = {
  capacity: LANES * 40,
  numEnvs: LANES,
  frameShape: [H, W] as [number, number],
  stack: 3,
  nStep: 3,
  gamma: 0.93,
  alpha: 0.7,
  beta: 0.4,
  betaFinal: 1,
  betaSteps: 60,
  seed: 11,
  framesPerChunk: 32,
} satisfies PrioritizedReplayOptions;

/** A stream of random calls (steps with episode ends on every lane, samples, updates, begin cuts), replayable on several buffers. */
class Driver {
  readonly #rng: () => number;
  readonly #stack: number;
  readonly #padding: 'repeat' | 'zero';
  constructor(seed: number, stack = base.stack, padding: 'repeat' | 'zero' = 'repeat') {
    this.#rng = testRng(seed);
    this.#stack = stack;
    this.#padding = padding;
  }

  /** Observations whose older stack frames follow the padding, so any of them may start an episode. */
  obs(): Uint8Array {
    const S = this.#stack;
    const out = new Uint8Array(LANES * S * F);
    for (let lane = 0; lane < LANES; lane++) {
      const newest = Uint8Array.from({ length: F }, () => Math.floor(this.#rng() * 256));
      for (let k = 0; k < S; k++) if (k === S - 1 || this.#padding === 'repeat') out.set(newest, (lane * S + k) * F);
    }
    return out;
  }

  /** Runs `calls` calls on every replay, returning a transcript of everything they returned. */
  run(replays: PrioritizedReplay[], calls: number): string[] {
    const r = this.#rng;
    const log: string[] = [];
    const out = replays.map((rp) => rp.createBatch(24));
    for (let t = 0; t < calls; t++) {
      if (r() < 0.01) {
        const o = this.obs();
        for (const rp of replays) rp.begin(o);
        continue;
      }
      const step = {
        actions: Int32Array.from({ length: LANES }, () => Math.floor(r() * 7)),
        rewards: Float32Array.from({ length: LANES }, () => (r() - 0.4) * 5),
        terminated: Uint8Array.from({ length: LANES }, () => (r() < 0.06 ? 1 : 0)),
        truncated: Uint8Array.from({ length: LANES }, () => (r() < 0.06 ? 1 : 0)),
        obs: this.obs(),
        ...(r() < 0.7 ? { finalObs: this.obs() } : {}),
      };
      for (const rp of replays) rp.addBatch(step);
      if (replays[0].size > 0 && r() < 0.6) {
        const B = r() < 0.5 ? 24 : 1 + Math.floor(r() * 30);
        const batches = replays.map((rp, k) => (B === 24 ? rp.sample(B, out[k]) : rp.sample(B)));
        log.push(...batches.map(digest));
        if (r() < 0.8) {
          const td = Float32Array.from({ length: B }, () => (r() - 0.5) * 6);
          replays.forEach((rp, k) => rp.updatePriorities(batches[k].indices, td));
        }
      }
      log.push(...replays.map((rp) => JSON.stringify({ ...rp.stats(), total: rp.tree.total, min: rp.tree.min })));
    }
    return log;
  }
}

function digest(b: ReplayBatch): string {
  const hex = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
  return [b.indices, b.obs, b.nextObs, b.actions, b.returns, b.discounts, b.weights].map(hex).join('|');
}

/** Checks that every replay gave the same answers: entries come in groups of replays.length. */
function expectSame(log: string[], copies: number): void {
  expect(log.length).toBeGreaterThan(50);
  for (let i = 0; i < log.length; i += copies) {
    for (let k = 1; k < copies; k++) expect(log[i + k], `entry ${i}`).toBe(log[i]);
  }
}

/** The state as a checkpoint would give it back: header through JSON, every section copied to an odd (unaligned) offset. */
function throughStorage(state: ReplayState): ReplayState {
  const sections: Record<string, Uint8Array> = {};
  for (const [name, bytes] of Object.entries(state.sections)) {
    const buf = new Uint8Array(bytes.byteLength + 1);
    buf.set(bytes, 1);
    sections[name] = buf.subarray(1);
  }
  return { header: JSON.parse(JSON.stringify(state.header)), sections };
}

function used(options: PrioritizedReplayOptions, driver: Driver, calls: number): PrioritizedReplay {
  const replay = new PrioritizedReplay(options);
  replay.begin(driver.obs());
  driver.run([replay], calls);
  return replay;
}

describe('PrioritizedReplay state', () => {
  const variants: [string, Partial<PrioritizedReplayOptions>][] = [
    ['float32, repeat padding', {}],
    ['float16, zero padding, n = 1', { scalarDtype: 'float16', startPadding: 'zero', nStep: 1 }],
    ['stack 1, n = 5, fixed β', { stack: 1, nStep: 5, betaSteps: 0 }],
  ];
  for (const [name, patch] of variants) {
    it(`continues exactly where it was saved (${name})`, () => {
      const options = { ...base, ...patch };
      const driver = new Driver(5, options.stack, options.startPadding);
      const original = used(options, driver, 300); // wraps each lane's 40 slots several times
      expect(original.stats().pushTotal).toBeGreaterThan(1000);
      const state = throughStorage(original.exportState());
      const viaFromState = PrioritizedReplay.fromState(state);
      const viaImport = new PrioritizedReplay(options);
      viaImport.importState(state);
      const rechunked = PrioritizedReplay.fromState(state, { framesPerChunk: 4 });
      expect(viaFromState.stats()).toEqual(original.stats());
      expectSame(driver.run([original, viaFromState, viaImport, rechunked], 300), 4);
      for (let i = 0; i < original.capacity; i++) {
        expect(viaImport.transitionInfo(i)).toEqual(original.transitionInfo(i));
        expect(viaImport.tree.get(i)).toBe(original.tree.get(i));
      }
    });
  }

  it('saves the same state again after a restore, and restores fresh and just-begun replays', () => {
    const driver = new Driver(8);
    const original = used(base, driver, 120);
    const state = original.exportState();
    const again = PrioritizedReplay.fromState(throughStorage(state)).exportState();
    expect(again.header).toEqual(JSON.parse(JSON.stringify(state.header)));
    expect(Object.keys(again.sections)).toEqual(Object.keys(state.sections));
    for (const name of Object.keys(state.sections)) expect(Buffer.from(again.sections[name]).equals(Buffer.from(state.sections[name])), name).toBe(true);

    const fresh = new PrioritizedReplay(base);
    const restoredFresh = PrioritizedReplay.fromState(throughStorage(fresh.exportState()));
    const begun = new PrioritizedReplay(base);
    const d2 = new Driver(9);
    const start = d2.obs();
    begun.begin(start);
    const restoredBegun = PrioritizedReplay.fromState(throughStorage(begun.exportState()));
    fresh.begin(start);
    restoredFresh.begin(start);
    expectSame(d2.run([begun, restoredBegun, fresh, restoredFresh], 150), 4);
  });

  it('restores the sampling stream even when every priority has underflowed to 0', () => {
    const options = { ...base, alpha: 16, epsilon: Number.MIN_VALUE };
    const driver = new Driver(13);
    const original = used(options, driver, 60);
    const all = Int32Array.from({ length: original.capacity }, (_, i) => i).filter((i) => original.transitionInfo(i).sampleable);
    original.updatePriorities(all, new Float32Array(all.length)); // (0 + ε)^16 = 0
    expect(original.tree.total).toBe(0);
    const restored = PrioritizedReplay.fromState(throughStorage(original.exportState()));
    expect(restored.tree.total).toBe(0);
    expect(restored.tree.filled).toBe(original.tree.filled);
    expectSame(driver.run([original, restored], 100), 2);
  });

  it('exports sections as views of the storage, described in the header', () => {
    const state = used(base, new Driver(3), 50).exportState();
    expect(state.header.sections.actions).toEqual({ dtype: 'int32', shape: [base.capacity] });
    expect(state.header.sections['frames.0']).toEqual({ dtype: 'uint8', shape: [32, H, W] });
    expect(Object.keys(state.sections).filter((k) => k.startsWith('frames.'))).toEqual(['frames.0', 'frames.1', 'frames.2', 'frames.3', 'frames.4']);
    for (const [name, { dtype, shape }] of Object.entries(state.header.sections)) {
      const size = { uint8: 1, int32: 4, float16: 2, float32: 4, float64: 8 }[dtype];
      expect(state.sections[name].byteLength, name).toBe(shape.reduce((a, b) => a * b, size));
    }
    expect(state.header.sampleCalls).toBeGreaterThan(0);
    expect(state.header.nStep.pending).toHaveLength(LANES);
  });
});

describe('PrioritizedReplay state errors', () => {
  const driver = new Driver(21);
  const state = used(base, driver, 100).exportState();
  const withHeader = (patch: Record<string, unknown>): ReplayState => ({ header: { ...state.header, ...patch } as never, sections: state.sections });
  const withSection = (name: string, bytes: unknown): ReplayState => ({ header: state.header, sections: { ...state.sections, [name]: bytes as Uint8Array } });
  const corrupt = (name: string, edit: (bytes: Uint8Array) => void): ReplayState => {
    const bytes = new Uint8Array(state.sections[name]);
    edit(bytes);
    return withSection(name, bytes);
  };

  it('refuses a replay built with other options, naming the option', () => {
    const cases: [Partial<PrioritizedReplayOptions>, RegExp][] = [
      [{ stack: 2 }, /^Expected 2 \(this replay's stack\) for state\.header\.options\.stack but received 3$/],
      [{ capacity: LANES * 48 }, /Expected 192 \(this replay's capacity\) for state\.header\.options\.capacity but received 160/],
      [{ nStep: 2 }, /Expected 2 \(this replay's nStep\) for state\.header\.options\.nStep but received 3/],
      [{ frameShape: [2, 3] }, /Expected \[2, 3\] \(this replay's frameShape\) for state\.header\.options\.frameShape but received an array of length 2/],
      [{ scalarDtype: 'float16' }, /Expected "float16" \(this replay's scalarDtype\) for state\.header\.options\.scalarDtype but received "float32"/],
      [{ seed: 12 }, /for state\.header\.options\.seed but received 11/],
      [{ gamma: 0.9 }, /for state\.header\.options\.gamma but received 0\.93/],
    ];
    for (const [patch, message] of cases) {
      expect(() => new PrioritizedReplay({ ...base, ...patch }).importState(state)).toThrow(message);
    }
    const otherLanes = new PrioritizedReplay({ ...base, numEnvs: 2, capacity: 80 });
    expect(() => otherLanes.importState(state)).toThrow(/Expected 2 \(this replay's numEnvs\) for state\.header\.options\.numEnvs but received 4/);
    // Placement and chunking may differ.
    expect(() => new PrioritizedReplay({ ...base, framesPerChunk: 64 }).importState(state)).not.toThrow();
  });

  it('refuses truncated, missing, extra or mistyped sections', () => {
    const actions = state.sections.actions;
    const fresh = () => new PrioritizedReplay(base);
    expect(() => fresh().importState(withSection('actions', actions.subarray(0, actions.length - 1)))).toThrow(
      new RangeError("Expected a Uint8Array of 640 bytes (int32 [160]) for state.sections['actions'] but received Uint8Array(639)"),
    );
    expect(() => fresh().importState(withSection('frames.4', new Uint8Array(0)))).toThrow(
      /of 192 bytes \(uint8 \[32, 3, 2\]\) for state\.sections\['frames\.4'\]/,
    );
    expect(() => fresh().importState(withSection('actions', undefined))).toThrow(TypeError);
    expect(() => fresh().importState(withSection('actions', new Int32Array(160)))).toThrow(
      /Expected a Uint8Array of 640 bytes .* but received Int32Array\(160\)/,
    );
    expect(() => fresh().importState(withSection('junk', new Uint8Array(1)))).toThrow(/for state\.sections\['junk'\]/);
    expect(() => fresh().importState(withHeader({ treeFilled: state.header.treeFilled - 1 }))).toThrow(
      /for state\.header\.sections\['priorities'\] but received float64 \[\d+\]/,
    );
  });

  it('refuses a wrong envelope or inconsistent contents', () => {
    const fresh = () => new PrioritizedReplay(base);
    expect(() => fresh().importState(undefined as never)).toThrow(/Expected a replay state \{ header, sections \} for state but received undefined/);
    expect(() => fresh().importState(withHeader({ format: 'other' }))).toThrow(/for state\.header\.format/);
    expect(() => fresh().importState(withHeader({ version: 2 }))).toThrow(/Expected version 1 for state\.header\.version but received 2/);
    expect(() => fresh().importState(withHeader({ size: state.header.size + 1 }))).toThrow(/sampleable slots \(state\.header\.size\)/);
    expect(() => fresh().importState(withHeader({ sampleCalls: -1 }))).toThrow(/for state\.header\.sampleCalls but received -1/);
    expect(() => fresh().importState(withHeader({ maxPriority: NaN }))).toThrow(/for state\.header\.maxPriority but received NaN/);
    expect(() => fresh().importState(corrupt('flags', (b) => (b[7] = 0x80)))).toThrow(/for state\.sections\['flags'\]\[7\] but received 128/);
    const idle = Array.from({ length: base.capacity }, (_, i) => i).find((i) => state.sections.flags[i] === 0)!;
    expect(() => fresh().importState(corrupt('priorities', (b) => new Float64Array(b.buffer).fill(1, idle, idle + 1)))).toThrow(
      new RegExp(`Expected priority 0 \\(the slot is not sampleable\\) for state\\.sections\\['priorities'\\]\\[${idle}\\] but received 1`),
    );
    expect(() => fresh().importState(corrupt('priorities', (b) => new Float64Array(b.buffer).fill(NaN, 3, 4)))).toThrow(
      /finite priority >= 0 .*\[3\] but received NaN/,
    );
    expect(() => fresh().importState(corrupt('head', (b) => new Float64Array(b.buffer).fill(-1, 0, 1)))).toThrow(
      /for state\.sections\['head'\]\[0\] but received -1/,
    );
    const pending = state.header.nStep.pending.map((p, lane) => (lane === 1 ? [...p, 0.5, 0.5, 0.5] : p));
    expect(() => fresh().importState(withHeader({ nStep: { ...state.header.nStep, pending } }))).toThrow(/for state\.header\.nStep\.pending\[1\]/);
  });

  it('changes nothing when it refuses, and refuses a replay already in use', () => {
    const replay = new PrioritizedReplay(base);
    expect(() => replay.importState(withSection('actions', new Uint8Array(3)))).toThrow(RangeError);
    replay.importState(state);
    expect(replay.stats()).toEqual(PrioritizedReplay.fromState(state).stats());
    expect(() => replay.importState(state)).toThrow(/restore into a freshly constructed replay/);
    const begun = new PrioritizedReplay(base);
    begun.begin(new Driver(1).obs());
    expect(() => begun.importState(state)).toThrow(/freshly constructed/);
    expect(() => PrioritizedReplay.fromState(state, { capacity: 8 } as never)).toThrow(/Unknown option 'capacity' for fromState options/);
  });
});

const cuda = cudaAvailability();
describe.skipIf(!cuda.available)('PrioritizedReplay state on CUDA', () => {
  it("continues exactly with device 'cuda', and a CPU state restores onto CUDA with the same draws", () => {
    const driver = new Driver(31);
    const onGpu = used({ ...base, device: 'cuda' }, driver, 200);
    const restored = PrioritizedReplay.fromState(throughStorage(onGpu.exportState()));
    expect(restored.stats()).toEqual(onGpu.stats());
    expectSame(driver.run([onGpu, restored], 200), 2);

    const d2 = new Driver(32);
    const onCpu = used(base, d2, 200);
    const moved = PrioritizedReplay.fromState(throughStorage(onCpu.exportState()), { device: 'cuda' });
    for (let k = 0; k < 5; k++) {
      const x = onCpu.sample(64);
      const y = moved.sample(64);
      expect(Array.from(y.indices)).toEqual(Array.from(x.indices));
      expect(Buffer.from(y.obs).equals(Buffer.from(x.obs))).toBe(true);
      for (let i = 0; i < 64; i++) expect(Math.abs(y.weights[i] - x.weights[i])).toBeLessThanOrEqual(x.weights[i] * 1.2e-7);
    }
    for (const r of [onGpu, restored, moved]) r.dispose();
  });
});
