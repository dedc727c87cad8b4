/**
 * Throughput measurement for benches on a shared, noisy machine: the subjects take turns, window
 * by window, so each sees the same fast and slow moments, and each reports its best window.
 */

/** One subject: `step()` does `itemsPerStep` units of work (e.g. agent steps of all lanes). */
export interface ThroughputSubject {
  step: () => void;
  itemsPerStep: number;
  /** Steps a window always runs, however long they take (default 3). */
  minSteps?: number;
  /** Called just before each timed window starts (not for warm-up calls). */
  begin?: () => void;
  /**
   * Called just after each timed window ends; returns items done during the window outside
   * `step()`, e.g. by another thread that runs while the window is open. They count towards the
   * window's rate.
   */
  end?: () => number;
}

/** Options of {@link measureInTurns}. */
export interface TurnOptions {
  /** Total time per subject in seconds, split evenly over the windows. */
  seconds: number;
  /** Number of windows per subject (default 5). */
  windows?: number;
  /** Untimed calls of each subject before the first window (default 3). */
  warmup?: number;
  /** Clock in milliseconds (default `performance.now`); tests pass a simulated one. */
  now?: () => number;
}

/**
 * Times `subjects` in turns (window 1 of each, then window 2 of each, ...) and returns each
 * subject's best rate in items per second, in the order given.
 */
export function measureInTurns(subjects: readonly ThroughputSubject[], options: TurnOptions): number[] {
  const windows = options.windows ?? 5;
  if (!(options.seconds > 0)) throw new RangeError(`Expected seconds > 0 for measureInTurns but received ${options.seconds}`);
  if (!Number.isInteger(windows) || windows < 1) throw new RangeError(`Expected an integer >= 1 for windows but received ${windows}`);
  const windowMs = (options.seconds * 1000) / windows;
  const now = options.now ?? (() => performance.now());
  for (const s of subjects) for (let i = 0; i < (options.warmup ?? 3); i++) s.step();
  const best = subjects.map(() => 0);
  for (let w = 0; w < windows; w++) {
    subjects.forEach((s, k) => {
      s.begin?.();
      const t0 = now();
      let steps = 0;
      while (now() - t0 < windowMs || steps < (s.minSteps ?? 3)) {
        s.step();
        steps++;
      }
      const seconds = (now() - t0) / 1000;
      const extra = s.end?.() ?? 0;
      best[k] = Math.max(best[k]!, (steps * s.itemsPerStep + extra) / seconds);
    });
  }
  return best;
}
