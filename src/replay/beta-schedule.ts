/**
 * `BetaSchedule`: the importance-sampling exponent β of prioritized replay, annealed linearly from
 * `start` to `final` over `steps` sample calls (0 keeps it at `start`). Immutable; the replay
 * counts its sample calls and asks for β at that count.
 */
export class BetaSchedule {
  readonly #start: number;
  readonly #final: number;
  readonly #steps: number;

  constructor(start: number, final: number, steps: number) {
    this.#start = start;
    this.#final = final;
    this.#steps = steps;
  }

  /** β for the sample call after `sampleCalls` earlier ones. */
  at(sampleCalls: number): number {
    if (this.#steps === 0) return this.#start;
    const f = Math.min(1, sampleCalls / this.#steps);
    return this.#start + (this.#final - this.#start) * f;
  }
}
