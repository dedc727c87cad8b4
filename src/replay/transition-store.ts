/**
 * `TransitionStore`: what the replay knows about each slot besides its frame, in one ring of
 * `laneCapacity` slots per lane. Replay index = lane · laneCapacity + position mod laneCapacity,
 * which is also the priority tree's index; a lane's positions count up forever (`head`).
 *
 * It owns sampleability: a slot is READY once its n-step return is known, and stops being ready
 * (priority 0) when its slot, or a slot its stack reaches back to, is about to be overwritten.
 *
 * Ownership: owned by one PrioritizedReplay and used on its thread only; every priority change is
 * queued on the PriorityBackend given at construction, which the replay flushes once per call.
 */
import type { PriorityBackend } from './priority-backend.js';
import { ScalarColumn, type ScalarDtype } from './scalar-column.js';

// Slot flag bits.
/** n-step return known: sampleable. */
export const READY = 1;
/** Bootstraps with discount γ^m (else 0). */
export const BOOTSTRAP = 2;
/** Holds a truncated (or cut) episode's final frame: never sampled. */
export const FINAL = 4;
/** Every flag bit (a saved state with others is corrupt). */
export const KNOWN_FLAGS = READY | BOOTSTRAP | FINAL;

export class TransitionStore {
  readonly lanes: number;
  readonly laneCapacity: number;
  readonly stack: number;
  readonly actions: Int32Array; // [capacity] a_t
  readonly returns: ScalarColumn; // [capacity] n-step return Σ_{k<m} γ^k r_{t+k}, once READY
  readonly nextOffset: Uint8Array; // [capacity] m: the bootstrap observation is m positions later
  readonly flags: Uint8Array; // [capacity] READY | BOOTSTRAP | FINAL
  readonly epStep: Int32Array; // [capacity] step within the episode
  readonly episode: Int32Array; // [capacity] the lane's episode count
  readonly head: Float64Array; // [N] position of the slot holding each lane's current observation (its action not yet known)
  readonly laneEpisode: Int32Array; // [N] episode count of each lane
  readonly #priorities: PriorityBackend;
  #size = 0;

  constructor(lanes: number, laneCapacity: number, stack: number, returnsDtype: ScalarDtype, priorities: PriorityBackend) {
    this.lanes = lanes;
    this.laneCapacity = laneCapacity;
    this.stack = stack;
    const c = lanes * laneCapacity;
    this.actions = new Int32Array(c);
    this.returns = new ScalarColumn(c, returnsDtype);
    this.nextOffset = new Uint8Array(c);
    this.flags = new Uint8Array(c);
    this.epStep = new Int32Array(c);
    this.episode = new Int32Array(c);
    this.head = new Float64Array(lanes);
    this.laneEpisode = new Int32Array(lanes);
    this.#priorities = priorities;
  }

  /** Transitions that can be sampled now. */
  get size(): number {
    return this.#size;
  }

  /** Replay index of a lane's absolute position. */
  index(lane: number, pos: number): number {
    return lane * this.laneCapacity + (pos % this.laneCapacity);
  }

  sampleable(i: number): boolean {
    return (this.flags[i] & READY) !== 0;
  }

  /**
   * Takes the slot of lane's position pos for a new observation at step `epStep` of the lane's
   * current episode (its frame is written by the caller) and returns its index. The slot's
   * previous generation, and entries whose stacks reach back to it, stop being sampleable.
   */
  open(lane: number, pos: number, epStep: number, flags: number): number {
    this.#invalidateForOverwrite(lane, pos);
    const e = this.index(lane, pos);
    this.flags[e] = flags;
    this.epStep[e] = epStep;
    this.episode[e] = this.laneEpisode[lane];
    this.nextOffset[e] = 0;
    return e;
  }

  /**
   * Position pos is about to overwrite the slot of pos - L: that entry, and entries whose stack
   * reaches back to it, stop being sampleable.
   */
  #invalidateForOverwrite(lane: number, pos: number): void {
    const L = this.laneCapacity;
    const lost = pos - L;
    if (lost < 0) return;
    for (let i = lost; i < lost + this.stack && i < pos; i++) {
      const e = this.index(lane, i);
      if (!(this.flags[e] & READY)) continue;
      const oldest = i - Math.min(this.stack - 1, this.epStep[e]);
      if (oldest <= lost) {
        this.flags[e] &= ~READY;
        this.#size--;
        this.#priorities.queueZero(e);
      }
    }
  }

  /**
   * The n-step return of the entry at (lane, pos) is known: stores it with its bootstrap offset m
   * and makes the entry sampleable at the largest priority seen so far.
   */
  makeReady(lane: number, pos: number, ret: number, nextOffset: number, bootstrap: boolean): void {
    const i = this.index(lane, pos);
    this.returns.set(i, ret);
    this.nextOffset[i] = nextOffset;
    this.flags[i] = (this.flags[i] & ~BOOTSTRAP) | READY | (bootstrap ? BOOTSTRAP : 0);
    this.#size++;
    this.#priorities.queueNew(i);
  }

  get memoryBytes(): number {
    return (
      this.actions.byteLength +
      this.returns.data.byteLength +
      this.nextOffset.byteLength +
      this.flags.byteLength +
      this.epStep.byteLength +
      this.episode.byteLength
    );
  }

  /** Recounts the sampleable slots after a restore copied the arrays in. */
  recount(): void {
    let n = 0;
    for (let i = 0; i < this.flags.length; i++) if (this.flags[i] & READY) n++;
    this.#size = n;
  }
}
