/**
 * Fuzz smoke: builds native/fuzz/rom_fuzz.cc with ASan + UBSan through scripts/fuzz.sh (g++
 * alone is enough) and runs the built-in mutation driver for 20 s with a fixed seed. Any sanitizer
 * report or harness failure fails the test. Long runs: docs/fuzzing.md.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

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
  it('the sanitizers are really compiled in: a planted heap overflow is reported', () => {
    const run = fuzz(['--sanitizer-self-test'], 170_000);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/AddressSanitizer: heap-buffer-overflow/);
  }, 180_000);

  it('20 s of mutated ROMs (seed 1): no sanitizer report, no crash', () => {
    const run = fuzz(['--seed', '1', '--seconds', '20'], 170_000);
    const output = `${run.stdout}\n${run.stderr}`;
    expect(output).not.toMatch(/AddressSanitizer|runtime error|LeakSanitizer|rom_fuzz: BUG/);
    expect(run.status, output.slice(-4000)).toBe(0);
    const inputs = Number(/rom_fuzz: (\d+) inputs/.exec(run.stdout)?.[1] ?? 0);
    expect(inputs).toBeGreaterThan(16); // got past the seed corpus into mutants
  }, 180_000);

  // KNOWN FAILURE (core): LoadState checks the header but trusts the body, so a state with a valid
  // header and corrupted registers (e.g. the PPU clock) makes the next StepFrame spin on a
  // far-away catch-up target: the watchdog reports a hang. Remove `.fails` once the core
  // validates or clamps restored fields.
  it.fails('states with a valid header and a garbage body neither crash nor hang', () => {
    const run = fuzz(['--seed', '1', '--iterations', '16', '--timeout', '5', '--corrupt-states'], 170_000);
    const output = `${run.stdout}\n${run.stderr}`;
    expect(output).not.toMatch(/AddressSanitizer|runtime error|LeakSanitizer|rom_fuzz: BUG/);
    expect(run.status, output.slice(-4000)).toBe(0);
  }, 180_000);
});
