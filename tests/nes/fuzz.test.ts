/**
 * Fuzz smoke: builds native/fuzz/rom_fuzz.cc with ASan + UBSan through scripts/fuzz.sh (g++
 * alone is enough) and runs the built-in mutation driver on 40 inputs from a fixed seed. Any sanitizer
 * report or harness failure fails the test. Also the driver's options: --skip continues a stream,
 * a bad --frames is refused. Long runs: docs/fuzzing.md.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const CXX = process.env.CXX ?? 'g++';
const hasCompiler = spawnSync(CXX, ['--version']).status === 0;
if (!hasCompiler) console.warn(`[skip] fuzz smoke: no C++ compiler (${CXX}) on PATH; set CXX to run it`);

function fuzz(args: string[], timeoutMs: number) {
  return spawnSync('bash', ['scripts/fuzz.sh', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, CMAKE_BUILD_PARALLEL_LEVEL: process.env.CMAKE_BUILD_PARALLEL_LEVEL ?? '2' },
  });
}

describe.skipIf(!hasCompiler)('ROM fuzz smoke (ASan + UBSan)', () => {
  // Building the core with sanitizers takes ~25 s on an idle 2-core machine, much longer when the
  // other suites run beside it: give the build its own generous budget.
  beforeAll(() => {
    const build = fuzz(['--build-only'], 540_000);
    if (build.status !== 0) throw new Error(`scripts/fuzz.sh --build-only failed:\n${build.stdout}\n${build.stderr}`);
  }, 600_000);

  it('the sanitizers are really compiled in: a planted heap overflow is reported', () => {
    const run = fuzz(['--sanitizer-self-test'], 170_000);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/AddressSanitizer: heap-buffer-overflow/);
  }, 180_000);

  it('40 mutated ROMs (seed 1): no sanitizer report, no crash, no hang', () => {
    // A fixed input count, not a time budget, so every run checks the same inputs however busy
    // the machine is (the seconds cap only guards against a stuck run).
    const run = fuzz(['--seed', '1', '--iterations', '40', '--seconds', '150'], 170_000);
    const output = `${run.stdout}\n${run.stderr}`;
    expect(output).not.toMatch(/AddressSanitizer|runtime error|LeakSanitizer|rom_fuzz: BUG/);
    expect(run.status, output.slice(-4000)).toBe(0);
    expect(run.stdout).toContain('rom_fuzz: 40 inputs, seed 1, no failures');
    // The seed corpus's 11 valid images and the mutants that still parse ran their frames.
    const ran = /rom_fuzz: (\d+) images parsed and ran (\d+) frames \(12-35 each\)/.exec(run.stdout);
    expect(ran, run.stdout).not.toBeNull();
    expect(Number(ran![1])).toBeGreaterThanOrEqual(11);
    expect(Number(ran![2])).toBeGreaterThanOrEqual(12 * Number(ran![1]));
    expect(Number(ran![2])).toBeLessThanOrEqual(35 * Number(ran![1]));
  }, 180_000);

  // --skip N continues a seed's stream at input N (how a stopped long run goes on), so the inputs
  // of the first 20 plus those of 20 more from input 20 are exactly the first 40: the driver's
  // digest is the XOR of its inputs' hashes.
  it('--skip continues the input stream exactly where a shorter run stopped', () => {
    const digest = (args: string[]) => {
      const run = fuzz(['--seed', '3', '--seconds', '150', ...args], 170_000);
      expect(run.status, `${run.stdout}\n${run.stderr}`.slice(-4000)).toBe(0);
      const m = /inputs digest ([0-9a-f]{16})/.exec(run.stdout);
      expect(m, run.stdout).not.toBeNull();
      return BigInt(`0x${m![1]}`);
    };
    const all = digest(['--iterations', '40']);
    const first = digest(['--iterations', '20']);
    const rest = digest(['--iterations', '20', '--skip', '20']);
    expect(first ^ rest).toBe(all);
    expect(first).not.toBe(all);
  }, 540_000);

  it('a malformed --frames is refused with a message naming the flag', () => {
    for (const bad of ['0-10', '9-3', '12', '1-200000', 'a-b']) {
      const run = fuzz(['--iterations', '1', '--frames', bad], 60_000);
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(`Expected MIN-MAX (1 <= MIN <= MAX <= 100000) for --frames but received "${bad}"`);
    }
  }, 300_000);

  // Save states from the fuzzed console with flipped body bytes: the checksum must reject each;
  // re-sealed (a crafted state with a valid checksum), the field checks reject it or it loads
  // and the console runs on within bounds (docs/nes-core.md, "Save states"). An input takes ~1 s
  // under ASan on an idle machine and several times that beside the other suites; a bad state
  // used to hang for hours, so 30 s per input still tells a hang from a busy machine.
  it('corrupted and crafted save states are rejected or harmless: no crash, no hang', () => {
    const run = fuzz(['--seed', '1', '--iterations', '16', '--seconds', '150', '--timeout', '30', '--corrupt-states'], 170_000);
    const output = `${run.stdout}\n${run.stderr}`;
    expect(output).not.toMatch(/AddressSanitizer|runtime error|LeakSanitizer|rom_fuzz: BUG/);
    expect(run.status, output.slice(-4000)).toBe(0);
    expect(run.stdout).toContain('rom_fuzz: 16 inputs, seed 1, corrupt states, no failures');
    const crafted = /crafted states: (\d+) rejected by the field checks, (\d+) loaded and ran/.exec(run.stdout);
    expect(crafted, run.stdout).not.toBeNull();
  }, 180_000);
});
