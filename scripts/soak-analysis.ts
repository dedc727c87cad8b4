/**
 * The verdict of a soak run (scripts/soak.ts), kept apart from the run so tests can feed it
 * samples: a least-squares slope of each memory series over the samples after warm-up (a slope,
 * not end minus start, so one late garbage collection or one early allocation does not decide
 * it), and the open descriptors counted where the soak has closed everything it opened.
 */

/** One row of soak.jsonl, written every `--sample-seconds`. */
export interface SoakSample {
  /** Seconds since the soak started. */
  t_s: number;
  rss_mib: number;
  heap_used_mib: number;
  external_mib: number;
  array_buffers_mib: number;
  /** Open file descriptors (entries of /proc/self/fd; -1 where that does not exist). */
  fds: number;
  event_loop_lag_p99_ms: number;
  event_loop_lag_max_ms: number;
  /** Soak cycles finished so far. */
  cycles: number;
  /** The training run's agent steps so far. */
  global_step: number;
}

/** Memory growth bounds in MiB per hour, after warm-up. */
export interface SoakBounds {
  rssMibPerHour: number;
  heapMibPerHour: number;
  externalMibPerHour: number;
}

/** Defaults stated in docs/reliability.md. */
export const DEFAULT_SOAK_BOUNDS: SoakBounds = { rssMibPerHour: 20, heapMibPerHour: 10, externalMibPerHour: 20 };

/** Slope (units per second) and intercept of the least-squares line through (x, y). NaN slope for fewer than 2 distinct x. */
export function fitLine(xs: readonly number[], ys: readonly number[]): { slope: number; intercept: number } {
  const n = xs.length;
  if (n !== ys.length) throw new RangeError(`Expected as many y values as x values (${n}) but received ${ys.length}`);
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i]! / n;
    my += ys[i]! / n;
  }
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : NaN;
  return { slope, intercept: my - (Number.isNaN(slope) ? 0 : slope * mx) };
}

/** What {@link judgeSoak} found. */
export interface SoakVerdict {
  ok: boolean;
  /** One line per failed check (empty when ok). */
  failures: string[];
  /** Samples after warm-up that the slopes were fitted to. */
  samplesFitted: number;
  /** Fitted growth after warm-up, MiB per hour. */
  slopes: { rss: number; heap: number; external: number };
  /** Descriptors open at the first and last cycle boundary after warm-up (-1 where not countable). */
  fdsAfterWarmup: number;
  fdsAtEnd: number;
  /** Largest event-loop lag seen (p99 of a sample, and the max). */
  maxLagP99Ms: number;
  maxLagMs: number;
}

/**
 * Judges a soak: the memory slopes after `warmupSeconds` against `bounds`, and the descriptors
 * open at cycle boundaries (`boundaryFds`: [t_s, count] where nothing the soak opened is open)
 * after warm-up: the last must not exceed the first.
 */
export function judgeSoak(
  samples: readonly SoakSample[],
  boundaryFds: readonly (readonly [number, number])[],
  warmupSeconds: number,
  bounds: SoakBounds = DEFAULT_SOAK_BOUNDS,
): SoakVerdict {
  const after = samples.filter((s) => s.t_s >= warmupSeconds);
  const failures: string[] = [];
  const perHour = (key: 'rss_mib' | 'heap_used_mib' | 'external_mib') =>
    fitLine(
      after.map((s) => s.t_s),
      after.map((s) => s[key]),
    ).slope * 3600;
  const slopes = { rss: perHour('rss_mib'), heap: perHour('heap_used_mib'), external: perHour('external_mib') };
  if (after.length < 6) failures.push(`only ${after.length} samples after the ${warmupSeconds} s warm-up; a slope needs at least 6 (run longer)`);
  const check = (name: string, slope: number, bound: number) => {
    if (slope > bound) failures.push(`${name} grew ${slope.toFixed(1)} MiB/h after warm-up (bound ${bound} MiB/h)`);
  };
  if (after.length >= 6) {
    check('RSS', slopes.rss, bounds.rssMibPerHour);
    check('heap', slopes.heap, bounds.heapMibPerHour);
    check('external memory', slopes.external, bounds.externalMibPerHour);
  }
  const fdsAfter = boundaryFds.filter(([t]) => t >= warmupSeconds).map(([, n]) => n);
  const fdsAfterWarmup = fdsAfter.length ? fdsAfter[0]! : -1;
  const fdsAtEnd = fdsAfter.length ? fdsAfter[fdsAfter.length - 1]! : -1;
  if (fdsAfter.length < 2) failures.push(`only ${fdsAfter.length} cycle boundaries after warm-up; a descriptor check needs 2 (run longer)`);
  else if (fdsAtEnd > fdsAfterWarmup)
    failures.push(`open descriptors grew from ${fdsAfterWarmup} to ${fdsAtEnd} between cycle boundaries after warm-up (a descriptor leak)`);
  return {
    ok: failures.length === 0,
    failures,
    samplesFitted: after.length,
    slopes,
    fdsAfterWarmup,
    fdsAtEnd,
    maxLagP99Ms: Math.max(0, ...samples.map((s) => s.event_loop_lag_p99_ms)),
    maxLagMs: Math.max(0, ...samples.map((s) => s.event_loop_lag_max_ms)),
  };
}
