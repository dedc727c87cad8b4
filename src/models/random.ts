/**
 * The seeded stream used for parameter initialisation and test data. The generator itself is the
 * one of src/util/rng.ts (xoshiro128**, 53-bit uniforms); this adapter keeps the seeding
 * (SplitMix32 over any number), the cached Box–Muller spare and `int` that existing networks and
 * tests were written against, so every seed still gives the same parameters on every platform.
 */
import { Rng as Xoshiro, type RngState } from '../util/rng.js';

/** Seeded random stream. */
export class Rng {
  #gen: Xoshiro;
  #spare: number | undefined;

  /** Seeds the stream; any integer (or number) works. */
  constructor(seed: number) {
    const s: RngState = [0, 0, 0, 0];
    let x = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (s.every((v) => v === 0)) s[0] = 1;
    this.#gen = Xoshiro.fromState(s);
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    return this.#gen.nextUint32();
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    return this.#gen.nextFloat();
  }

  /** Standard normal (Box–Muller, the second draw kept for the next call). */
  normal(): number {
    if (this.#spare !== undefined) {
      const v = this.#spare;
      this.#spare = undefined;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }
}
