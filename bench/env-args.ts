/** Environment-variable arguments shared by the env benches (bench/env.ts, bench/env-scaling.ts). */

/**
 * `name` as a comma-separated list of integers in [1, max], or `fallback` when unset. Exits with
 * status 2 and a message naming the variable on anything else.
 */
export function intListFromEnv(name: string, fallback: readonly number[], max: number): number[] {
  const raw = process.env[name];
  if (raw === undefined) return [...fallback];
  const list = raw.split(',').map(Number);
  if (list.some((n) => !Number.isInteger(n) || n < 1 || n > max)) {
    console.error(`Expected ${name} to be a comma-separated list of integers in [1, ${max}] but received '${raw}'`);
    process.exit(2);
  }
  return list;
}

/** BENCH_SECONDS (seconds per cell, > 0), default 2. Exits with status 2 on anything else. */
export function benchSeconds(): number {
  const raw = process.env.BENCH_SECONDS;
  const seconds = Number(raw ?? 2);
  if (!(seconds > 0)) {
    console.error(`Expected BENCH_SECONDS to be a number > 0 but received '${raw}'`);
    process.exit(2);
  }
  return seconds;
}
