/**
 * A small flag parser for subcommands: `--name value`, `--name=value` and boolean `--name`.
 * Errors are UsageError (the CLI exits with code 2 and prints the command's usage).
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Bad usage: the CLI prints the message and the usage, and exits with code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Declares a flag: boolean or valued. */
export interface FlagSpec {
  /** True for flags without a value. */
  boolean?: boolean;
  /** A one-letter alias written `-x` (e.g. `h` for `--help`). */
  short?: string;
}

/** Parses `args` against `spec`; returns flag values (booleans as 'true'). Any other argument is an error. */
export function parseFlags(args: readonly string[], spec: Readonly<Record<string, FlagSpec>>): Record<string, string> {
  return parse(args, spec, undefined);
}

/**
 * Parses the flags in `spec` out of `args` and returns the other arguments, in order, as `rest`
 * (for commands whose remaining flags are run-config flags, parsed by `resolveConfig`). A flag of
 * `spec` given twice, without its value, or with a value it does not take is still an error.
 */
export function parseKnownFlags(args: readonly string[], spec: Readonly<Record<string, FlagSpec>>): { flags: Record<string, string>; rest: string[] } {
  const rest: string[] = [];
  const flags = parse(args, spec, rest);
  return { flags, rest };
}

function parse(args: readonly string[], spec: Readonly<Record<string, FlagSpec>>, rest: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const shortNames = new Map<string, string>();
  for (const [name, f] of Object.entries(spec)) if (f.short) shortNames.set(`-${f.short}`, name);
  for (let i = 0; i < args.length; i++) {
    const short = shortNames.get(args[i]!);
    const arg = short === undefined ? args[i]! : `--${short}`;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') ? arg.slice(2, eq === -1 ? undefined : eq) : '';
    const flag = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (!flag && rest) {
      rest.push(arg);
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument '${arg}'`);
    if (!flag) throw new UsageError(`unknown flag --${name}`);
    if (name in out) throw new UsageError(`flag --${name} given twice`);
    if (flag.boolean) {
      if (eq !== -1) throw new UsageError(`flag --${name} takes no value`);
      out[name] = 'true';
    } else if (eq !== -1) {
      out[name] = arg.slice(eq + 1);
    } else {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`flag --${name} needs a value`);
      out[name] = v;
    }
  }
  return out;
}

/** Parses a positive integer flag value. */
export function intFlag(value: string, name: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`--${name} must be an integer in [${min}, ${max}] but is '${value}'`);
  return n;
}

/** Parses a flag whose value must be one of `choices`. */
export function choiceFlag<T extends string>(value: string, name: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`--${name} must be one of ${choices.join(', ')} but is '${value}'`);
  return value as T;
}

/** Checks that an output file's folder exists (so a typo in it is a usage error, not a crash at the end). */
export function outFileFlag(value: string, name: string): string {
  const dir = dirname(resolve(value));
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UsageError(`Expected a file in an existing folder for --${name} but received '${value}' (no folder ${dir})`);
  return value;
}
