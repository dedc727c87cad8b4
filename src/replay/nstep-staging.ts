/**
 * `NStepStaging`: the replay's side of n-step returns. Each `addBatch` pushes every lane's reward
 * and episode end into the one n-step implementation ({@link NStepAccumulator}, src/algos/nstep.ts),
 * which holds the open windows; every transition it completes becomes a ready entry of the
 * TransitionStore, with its return, its bootstrap offset m and whether it bootstraps.
 *
 * Where the bootstrap observation is, for a window of m rewards starting at position t:
 * - window full, or the episode truncated with a final observation (stored at t + m), or cut by
 *   `begin` (the current observation, at t + m): offset m, discount γ^m;
 * - episode terminated (or truncated without a final observation): discount 0, offset m - 1 (the
 *   last transition's own slot; gathered but multiplied by 0).
 *
 * Ownership: owned by one PrioritizedReplay and used on its thread only; it must run before the
 * lane heads move past the step it stages.
 */
import { gammaPowers, NStepAccumulator, type NStepAccumulatorState, type NStepBatch } from '../algos/nstep.js';
import { roundToDtype, type ScalarDtype } from './scalar-column.js';
import type { TransitionStore } from './transition-store.js';

export class NStepStaging {
  /** γ^k for k in [0, nStep], Float64Array [nStep + 1]: the discounts of stored transitions. */
  readonly powers: Float64Array;
  readonly #acc: NStepAccumulator;
  readonly #store: TransitionStore;
  readonly #dtype: ScalarDtype;
  readonly #rewards: Float32Array; // [N] rewards as stored (rounded to the returns' dtype)
  readonly #terminal: Uint8Array; // [N] 1 where the episode ended without a bootstrap
  readonly #ended: Uint8Array; // [N] 1 where the episode ended

  constructor(store: TransitionStore, nStep: number, gamma: number, dtype: ScalarDtype) {
    this.#store = store;
    this.#dtype = dtype;
    this.#acc = new NStepAccumulator(store.lanes, nStep, gamma);
    this.powers = gammaPowers(gamma, nStep);
    this.#rewards = new Float32Array(store.lanes);
    this.#terminal = new Uint8Array(store.lanes);
    this.#ended = new Uint8Array(store.lanes);
  }

  /**
   * Stages one step of every lane (the transition at each lane's head) and makes ready the
   * windows it completes. A truncation bootstraps only when `finalObsGiven`.
   */
  step(rewards: Float32Array, terminated: Uint8Array, truncated: Uint8Array, finalObsGiven: boolean): void {
    for (let lane = 0; lane < this.#store.lanes; lane++) {
      // Returns are summed from rewards as stored (float16 storage rounds them first).
      this.#rewards[lane] = this.#dtype === 'float16' ? roundToDtype(rewards[lane], 'float16') : rewards[lane];
      const terminal = terminated[lane] !== 0 || (truncated[lane] !== 0 && !finalObsGiven);
      this.#terminal[lane] = terminal ? 1 : 0;
      this.#ended[lane] = terminal || truncated[lane] !== 0 ? 1 : 0;
    }
    this.#makeReady(this.#acc.push(this.#rewards, this.#terminal, this.#ended), 0);
  }

  /** `begin` cuts every running episode: open windows bootstrap from the current observation. */
  cut(): void {
    this.#terminal.fill(0);
    this.#makeReady(this.#acc.flush(), 1);
  }

  /** Makes each emitted window ready; its last transition is `back` positions before the head. */
  #makeReady(b: NStepBatch, back: number): void {
    for (let k = 0; k < b.count; k++) {
      const lane = b.lanes[k];
      const m = b.horizons[k];
      const start = this.#store.head[lane] - back - m + 1;
      const bootstrap = this.#terminal[lane] === 0;
      this.#store.makeReady(lane, start, b.returns[k], bootstrap ? m : m - 1, bootstrap);
    }
  }

  /** The open windows (JSON), for replay states. */
  toJSON(): NStepAccumulatorState {
    return this.#acc.toJSON();
  }

  /** Restores open windows saved with toJSON (checked; nothing changes on error). */
  restore(state: NStepAccumulatorState): void {
    this.#acc.restore(state);
  }
}
