/**
 * The one seeded PRNG of the TypeScript side (minibatch shuffles, ε-greedy draws, action
 * sampling, parameter initialisation, NoisyNet noise, test data): xoshiro128** (Blackman & Vigna)
 * seeded through SplitMix64, stepping in 32-bit integer arithmetic so every platform gives the
 * same stream. Its full state is four uint32 words: {@link Rng.getState} / {@link Rng.setState}
 * save and restore it exactly for checkpoints. Categorical sampling from logits lives in
 * src/algos/action-sampling.ts (`sampleFromLogits`).
 */
import { expectInteger, expectNumber, expectedMessage } from '../validate.js';

/** Serializable state of an {@link Rng}: four uint32 words as a JSON-safe array. */
export type RngState = [number, number, number, number];

/** Seeded xoshiro128** generator. */
export class Rng {
  #s = new Uint32Array(4);

  /**
   * @param seed an integer in [0, 2^53 - 1]; both 32-bit halves feed the seeding.
   * @param stream optional stream index: `new Rng(seed, k)` gives independent streams per k
   *   (e.g. one per worker or per purpose) from one user seed.
   */
  constructor(seed: number, stream = 0) {
    expectInteger(seed, 'seed', 0, Number.MAX_SAFE_INTEGER);
    expectInteger(stream, 'stream', 0, 0xffffffff);
    // (seed, stream) -> 64-bit key through two rounds of the SplitMix64 finalizer (a bijection), so
    // nearby seeds and streams give unrelated keys; then SplitMix64 output fills the four words.
    // BigInt is fine here: it runs once per generator.
    let key = mix64(mix64(BigInt(seed)) ^ BigInt(stream));
    for (let i = 0; i < 2; i++) {
      key = (key + 0x9e3779b97f4a7c15n) & MASK64;
      const z = mix64(key);
      this.#s[2 * i] = Number(z & 0xffffffffn);
      this.#s[2 * i + 1] = Number(z >> 32n);
    }
    if ((this.#s[0] | this.#s[1] | this.#s[2] | this.#s[3]) === 0) this.#s[0] = 1;
  }

  /**
   * A generator seeded the way model initialisation has always been (SplitMix32 over the seed's
   * truncated low 32 bits), so each seed keeps giving the same parameters and the Learner's
   * default minibatch permutations stay the same. Any finite number is accepted.
   */
  static fromSeed32(seed: number): Rng {
    expectNumber(seed, 'seed');
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
    return Rng.fromState(s);
  }

  /** A generator at exactly `state` (as returned by {@link Rng.getState}). */
  static fromState(state: RngState): Rng {
    const rng = new Rng(0);
    rng.setState(state);
    return rng;
  }

  /** The full state, JSON-serializable. */
  getState(): RngState {
    return [this.#s[0], this.#s[1], this.#s[2], this.#s[3]];
  }

  /** Restores a state saved by {@link Rng.getState}. */
  setState(state: RngState): void {
    if (!Array.isArray(state) || state.length !== 4) {
      throw new TypeError(expectedMessage('an array of 4 uint32 words', 'rng state', state));
    }
    state.forEach((w, i) => expectInteger(w, `rng state[${i}]`, 0, 0xffffffff));
    if (state.every((w) => w === 0)) throw new RangeError(expectedMessage('a state that is not all zero', 'rng state', state));
    this.#s.set(state);
  }

  /** Next uint32. */
  nextUint32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n), unbiased (rejection), for n in [1, 2^32]. */
  nextInt(n: number): number {
    expectInteger(n, 'n', 1, 2 ** 32);
    if (n === 2 ** 32) return this.nextUint32();
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Standard normal draw (Box–Muller, two uniforms per call, no cached spare so the state is all there is). */
  nextNormal(): number {
    const u1 = 1 - this.nextFloat(); // (0, 1]
    const u2 = this.nextFloat();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /**
   * Fills `out` with standard normals from Box–Muller pairs, both halves used (cos, then sin;
   * an odd length drops the last sin), so nothing is cached between calls. These are the draws
   * of orthogonal initialisation and NoisyNet noise.
   */
  fillNormal<T extends Float32Array | Float64Array>(out: T): T {
    for (let i = 0; i < out.length; i += 2) {
      let u = 0;
      while (u === 0) u = this.nextFloat(); // (0, 1)
      const v = this.nextFloat();
      const r = Math.sqrt(-2 * Math.log(u));
      out[i] = r * Math.cos(2 * Math.PI * v);
      if (i + 1 < out.length) out[i + 1] = r * Math.sin(2 * Math.PI * v);
    }
    return out;
  }

  /** Shuffles `array` in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
    return array;
  }

  /** A random permutation of 0..n-1 (minibatch order), written into `out` when given. */
  permutation(n: number, out: Int32Array = new Int32Array(n)): Int32Array {
    expectInteger(n, 'n', 0, 2 ** 31 - 1);
    if (out.length !== n) throw new RangeError(expectedMessage(`an Int32Array of length ${n}`, 'out', out));
    for (let i = 0; i < n; i++) out[i] = i;
    return this.shuffle(out);
  }
}

const MASK64 = (1n << 64n) - 1n;

/** SplitMix64's output function (Stafford variant 13), a bijection on 64-bit integers. */
function mix64(x: bigint): bigint {
  let z = x & MASK64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
