/** Statistics shared by the replay suites. */

/** Upper critical value of chi-square with df degrees of freedom at p = 0.001 (Wilson–Hilferty). */
export function chiSquareCritical(df: number): number {
  const z = 3.090232; // one-sided 0.999 normal quantile
  const a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}

/** Pearson statistic over bins with positive expectation; throws if a zero-expectation bin was hit. */
export function chiSquare(counts: Float64Array | number[], probabilities: number[], draws: number): { stat: number; df: number } {
  let stat = 0;
  let bins = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const expected = probabilities[i] * draws;
    if (expected === 0) {
      if (counts[i] !== 0) throw new Error(`bin ${i} has probability 0 but was drawn ${counts[i]} times`);
      continue;
    }
    stat += (counts[i] - expected) ** 2 / expected;
    bins++;
  }
  return { stat, df: bins - 1 };
}

/** Small deterministic PRNG for building test inputs (mulberry32). */
export function testRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
