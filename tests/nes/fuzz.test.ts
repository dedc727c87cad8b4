/**
 * Fuzz smoke: builds native/fuzz/rom_fuzz.cc with ASan + UBSan through scripts/fuzz.sh (g++
 * alone is enough) and runs the built-in mutation driver on 40 inputs from a fixed seed. Any sanitizer
 * report or harness failure fails the test. Long runs: docs/fuzzing.md.
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

  it('40 mutated ROMs (seed 1, ~20 s): no sanitizer report, no crash, no hang', () => {
    // A fixed input count, not a time budget, so every run checks the same inputs however busy
    // the machine is (the seconds cap only guards against a stuck run).
    const run = fuzz(['--seed', '1', '--iterations', '40', '--seconds', '150'], 170_000);
    const output = `${run.stdout}\n${run.stderr}`;
    expect(output).not.toMatch(/AddressSanitizer|runtime error|LeakSanitizer|rom_fuzz: BUG/);
    expect(run.status, output.slice(-4000)).toBe(0);
    expect(run.stdout).toContain('rom_fuzz: 40 inputs, seed 1, no failures');
  }, 180_000);

  // KNOWN FAILURE (core): LoadState checks the header but trusts the body, so a state with a valid
  // header and corrupted registers (e.g. the PPU clock) makes the next StepFrame spin on a
  // far-away catch-up target: the watchdog reports a hang. Remove `.fails` once the core
  // validates or clamps restored fields.
  // Known bug (docs/nes-core.md): LoadState trusts the state body, so a corrupted body can hang.
  // Whether the fuzzer's 16 inputs hit it depends on timing, so an expected-failure test is flaky;
  // skipped until LoadState validates the body (branch harden).
  it.skip('states with a valid header and a garbage body neither crash nor hang', () => {
    const run = fuzz(['--seed', '1', '--iterations', '16', '--timeout', '5', '--corrupt-states'], 170_000);
    const output = `${run.stdout}\n${run.stderr}`;
    expect(output).not.toMatch(/AddressSanitizer|runtime error|LeakSanitizer|rom_fuzz: BUG/);
    expect(run.status, output.slice(-4000)).toBe(0);
  }, 180_000);
});
