/**
 * The native core's per-lane random stream (native/common/rng.h) in TypeScript, so the jsnes
 * VecEnv draws the same sticky actions, no-op counts and stage picks as the native one for the
 * same seed: xoshiro256** seeded by SplitMix64 from (seed, lane). BigInt arithmetic: it runs a
 * few times per reset and once per frame only with sticky actions, next to a frame of jsnes.
 */
const MASK = (1n << 64n) - 1n;

function rotl(x: bigint, k: bigint): bigint {
  return ((x << k) | (x >> (64n - k))) & MASK;
}

/** xoshiro256** with the native Seed/NextU32/NextDouble/NextBelow. One per lane. */
export class LaneRng {
  #s: bigint[] = [0n, 0n, 0n, 0n];

  constructor(seed: number, stream: number) {
    this.seed(seed, stream);
  }

  /** Seeds from (seed, stream) exactly as `Rng::Seed(seed, stream)`. */
  seed(seed: number, stream: number): void {
    let sm = (BigInt(seed) ^ ((BigInt(stream) * 0xd1b54a32d192ed03n) & MASK)) & MASK;
    for (let i = 0; i < 4; i++) {
      sm = (sm + 0x9e3779b97f4a7c15n) & MASK;
      let z = sm;
      z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
      z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK;
      this.#s[i] = z ^ (z >> 31n);
    }
  }

  nextU64(): bigint {
    const s = this.#s;
    const result = (rotl((s[1]! * 5n) & MASK, 7n) * 9n) & MASK;
    const t = (s[1]! << 17n) & MASK;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 45n);
    return result;
  }

  nextU32(): number {
    return Number(this.nextU64() >> 32n);
  }

  /** Uniform in [0, 1) with 53 random bits. */
  nextDouble(): number {
    return Number(this.nextU64() >> 11n) * 2 ** -53;
  }

  /** Uniform integer in [0, bound), bound > 0 (Lemire's multiply-shift with rejection, as natively). */
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
