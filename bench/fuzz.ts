/**
 * The ROM fuzzer's cost per input against what it reaches, for several frame budgets on the same
 * inputs (docs/fuzzing.md, "Frames per input"). Baseline in the same run: the first budget, by
 * default the one the fuzzer used before (100-355 frames per parsed image).
 *
 * For each budget (`--frames MIN-MAX` of the driver), on the first `--inputs` inputs of `--seed`:
 *   - the ASan + UBSan build (scripts/fuzz.sh, what long runs use): process CPU time per input
 *     (user + system, the figure to read on a shared machine) and its ratio to the baseline;
 *   - the gcov build (scripts/fuzz.sh --coverage): lines and branches of native/nes and
 *     native/common executed at least once, and the lines the baseline reached that this budget
 *     did not (listed, up to 20): on the same inputs, and on as many inputs as the baseline's CPU
 *     time buys at this budget's rate.
 *
 * `--asan-inputs` (default `--inputs`) times the ASan build on the first N inputs only: it is the
 * slow half of the bench.
 *
 *   npm run bench:fuzz -- [--inputs 10000] [--asan-inputs N] [--seed 19] [--budgets 100-355,12-35] [--corrupt-states]
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

import { UsageError, intFlag, parseFlags } from '../src/cli/flags.js';
import { type Coverage, type GcovFile, coverageOf } from '../scripts/fuzz-coverage.js';

const ROOT = resolve(import.meta.dirname, '..');
const USAGE =
  'usage: npm run bench:fuzz -- [--inputs N (10000)] [--asan-inputs N (--inputs)] [--seed S (19)] [--budgets MIN-MAX,... (100-355,12-35)] [--corrupt-states]';
let o: { inputs: number; asanInputs: number; seed: number; budgets: string[]; corruptStates: boolean };
try {
  const f = parseFlags(process.argv.slice(2), {
    inputs: {},
    'asan-inputs': {},
    seed: {},
    budgets: {},
    'corrupt-states': { boolean: true },
    help: { boolean: true, short: 'h' },
  });
  if (f.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const budgets = (f.budgets ?? '100-355,12-35').split(',');
  for (const b of budgets) {
    const m = /^(\d+)-(\d+)$/.exec(b);
    if (!m || Number(m[1]) < 1 || Number(m[2]) < Number(m[1]) || Number(m[2]) > 100_000)
      throw new UsageError(`Expected MIN-MAX frames (1 <= MIN <= MAX <= 100000) in --budgets but received '${b}'`);
  }
  o = {
    inputs: intFlag(f.inputs ?? '10000', 'inputs', 1, 100_000_000),
    asanInputs: intFlag(f['asan-inputs'] ?? f.inputs ?? '10000', 'asan-inputs', 1, 100_000_000),
    seed: intFlag(f.seed ?? '19', 'seed', 0, 2 ** 31),
    budgets,
    corruptStates: f['corrupt-states'] === 'true',
  };
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  console.error(`${err.message}\n${USAGE}`);
  process.exit(2);
}

function fuzzSh(args: string[]): void {
  const r = spawnSync('bash', ['scripts/fuzz.sh', ...args], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`scripts/fuzz.sh ${args.join(' ')} failed (${r.status})`);
}

/** Runs a driver binary on the bench's inputs; returns its stdout and CPU seconds (user + system). */
function drive(bin: string, frames: string, inputs: number): { stdout: string; cpuSeconds: number } {
  const args = ['--seed', String(o.seed), '--iterations', String(inputs), '--seconds', '1e9', '--timeout', '120', '--frames', frames];
  if (o.corruptStates) args.push('--corrupt-states');
  const env = { ...process.env, ASAN_OPTIONS: 'abort_on_error=1:detect_leaks=1', UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1' };
  const r = spawnSync('/usr/bin/time', ['-f', 'CPU %U %S', bin, ...args], { cwd: ROOT, encoding: 'utf8', env, maxBuffer: 1 << 26 });
  const cpu = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  if (r.status !== 0 || !cpu) throw new Error(`${bin} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr.slice(-4000)}`);
  return { stdout: r.stdout, cpuSeconds: Number(cpu[1]) + Number(cpu[2]) };
}

/** gcov's JSON for every .gcda of the coverage build. */
function gcov(dir: string): GcovFile[] {
  const gcda = readdirSync(dir).filter((f) => f.endsWith('.gcda'));
  const r = spawnSync('gcov', ['--json-format', '--stdout', '--branch-probabilities', ...gcda.map((f) => join(dir, f))], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`gcov failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return r.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => (JSON.parse(line) as { files: GcovFile[] }).files);
}

const covDir = join(ROOT, 'build/fuzz/coverage');
const inNes = (file: string) => {
  const rel = relative(ROOT, resolve(ROOT, file));
  return rel.startsWith('native/nes/') || rel.startsWith('native/common/') ? rel : undefined;
};

/** Coverage of the first `inputs` inputs under `budget`, and what the driver says it parsed and ran. */
function coverage(budget: string, inputs: number): Coverage & { ran: string } {
  for (const f of readdirSync(covDir)) if (f.endsWith('.gcda')) rmSync(join(covDir, f));
  const run = drive(join(ROOT, 'build/fuzz/rom_fuzz_coverage'), budget, inputs);
  const ran = /(\d+) images parsed and ran (\d+) frames/.exec(run.stdout);
  return { ...coverageOf(gcov(covDir), inNes), ran: ran ? `${ran[1]} parsed, ${ran[2]} frames` : '?' };
}

function describe(label: string, c: Coverage & { ran: string }, base: Coverage): string {
  const missing = [...base.lines].filter((l) => !c.lines.has(l));
  const extra = [...c.lines].filter((l) => !base.lines.has(l));
  const list = missing.slice(0, 20).map((l) => `\n      not reached: ${l}`);
  return (
    `  ${label}: lines ${c.lines.size}/${c.lineTotal}, branches ${c.branches}/${c.branchTotal} (${c.ran}); ` +
    `baseline lines not reached ${missing.length}, lines beyond the baseline ${extra.length}${list.join('')}`
  );
}

console.log(`[fuzz bench] building the ASan + UBSan and the gcov drivers`);
fuzzSh(['--build-only']);
fuzzSh(['--coverage', '--build-only']);
const timed = o.budgets.map((budget) => ({ budget, cpuSeconds: drive(join(ROOT, 'build/fuzz/rom_fuzz'), budget, o.asanInputs).cpuSeconds }));
const baseline = coverage(o.budgets[0], o.inputs);
console.log(
  `\nseed ${o.seed}${o.corruptStates ? ', corrupt states' : ''}; ASan timing on the first ${o.asanInputs} inputs; coverage of native/nes + native/common`,
);
for (const t of timed) {
  const ratio = timed[0].cpuSeconds / t.cpuSeconds;
  console.log(
    `frames ${t.budget}: ASan CPU ${((t.cpuSeconds / o.asanInputs) * 1000).toFixed(2)} ms/input (${t.cpuSeconds.toFixed(1)} s), ${ratio.toFixed(2)}x the baseline's inputs per CPU second`,
  );
  if (t === timed[0]) {
    console.log(describe(`${o.inputs} inputs`, baseline, baseline));
    continue;
  }
  console.log(describe(`the same ${o.inputs} inputs`, coverage(t.budget, o.inputs), baseline));
  // What the same ASan CPU time buys: more inputs.
  const equal = Math.round(o.inputs * ratio);
  console.log(describe(`${equal} inputs (the baseline's CPU time)`, coverage(t.budget, equal), baseline));
}
