/**
 * The arm64 prebuilt, tested rather than assumed: `npm run test:arm64` (scripts/test-arm64.sh)
 * bundles this file for Node 18, runs it once with the host's Node on the linux-x64 binary
 * (`--write DIR`, the reference) and once with Debian's arm64 Node under qemu-user on
 * prebuilds/linux-arm64 (`--expect DIR`). Each run checks that the loader picks its platform's
 * binary (and names a foreign one as such), runs nestest against its golden log, and steps VecEnvs
 * on the built-in game (and Super Mario Bros. when MARIO_ROM is set); `--expect` compares every
 * step's observations, rewards and flags byte for byte with the reference, and runs with one and
 * two threads must match too. Ends with "N passed, M failed"; exits 1 on any failure.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { VecEnv, type VecEnvOptions } from '../../src/env/vec-env.js';
import { inspectBinary, loadNative, loadNativeFrom, nativeCandidates, NativeLoadError, packageRoot, PREBUILT_PLATFORMS } from '../../src/native.js';
import { Nes } from '../../src/nes.js';
import { runNestest } from '../nes/nestest-log.js';

const platform = `${process.platform}-${process.arch}`;
const [mode, dir] = process.argv.slice(2);
if ((mode !== '--write' && mode !== '--expect') || !dir) {
  console.error('usage: cross-check.mjs --write DIR | --expect DIR');
  process.exit(2);
}

let passed = 0;
let failed = 0;
function check(name: string, body: () => string): void {
  try {
    const note = body();
    passed++;
    console.log(`ok - ${name}${note ? `: ${note}` : ''}`);
  } catch (err) {
    failed++;
    console.log(`not ok - ${name}: ${(err as Error).message}`);
  }
}
function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

const warnings: string[] = [];
process.on('warning', (w) => warnings.push(w.message));

check(`loader picks prebuilds/${platform}`, () => {
  const prebuilt = join(packageRoot(), 'prebuilds', platform, 'mario_rl.node');
  assert(!process.env.MARIO_RL_NATIVE, 'MARIO_RL_NATIVE is set; unset it so the loader chooses');
  assert(nativeCandidates()[0] === prebuilt, `first candidate is ${nativeCandidates()[0]}, not ${prebuilt}`);
  const { kind } = inspectBinary(prebuilt);
  assert(kind === `ELF for ${process.arch}`, `${prebuilt} is ${kind}`);
  const info = loadNative().buildInfo();
  assert(warnings.length === 0, `the loader fell back: ${warnings.join('; ')}`);
  return `${kind}, ${info.compiler}, N-API ${info.napiVersion}, Node ${process.version}`;
});

for (const other of PREBUILT_PLATFORMS.filter((p) => p !== platform)) {
  const foreign = join(packageRoot(), 'prebuilds', other, 'mario_rl.node');
  if (!existsSync(foreign)) continue;
  check(`loader names prebuilds/${other} as foreign`, () => {
    let error: unknown;
    try {
      loadNativeFrom([foreign]);
    } catch (e) {
      error = e;
    }
    assert(error instanceof NativeLoadError, `loading ${foreign} did not throw NativeLoadError`);
    const wanted = `${foreign}: not loaded: it is ELF for ${other.split('-')[1]}, but this Node is ${platform}`;
    assert(error.message.includes(wanted), `message lacks "${wanted}":\n${error.message}`);
    assert(error.message.includes('Fallback: none.'), 'message does not say the fallback');
    return '';
  });
}

const testRoms = process.env.NES_TEST_ROMS;
if (testRoms && existsSync(join(testRoms, 'nestest', 'nestest.nes'))) {
  check('nestest matches its golden log', () => {
    const nes = new Nes(new Uint8Array(readFileSync(join(testRoms, 'nestest', 'nestest.nes'))));
    const { lines, matched, result } = runNestest(nes, readFileSync(join(testRoms, 'nestest', 'nestest.log'), 'latin1'));
    nes.close();
    assert(matched === lines && lines > 8900, `${matched} of ${lines} lines matched`);
    assert(result[0] === 0 && result[1] === 0, `nestest result bytes $02/$03 = ${result}`);
    return `${matched} lines`;
  });
} else {
  console.log(`[skip] nestest: set NES_TEST_ROMS to run it (currently ${testRoms ?? 'unset'})`);
}

// Each case: VecEnv options, and the steps to take with actions from a seeded stream.
const cases: { name: string; steps: number; options: VecEnvOptions; sameAs?: string }[] = [
  { name: 'runner-gray-1thread', steps: 120, options: { game: 'runner', numEnvs: 4, numThreads: 1, stickyActionProb: 0.25, noopMax: 8, seed: 7 } },
  {
    name: 'runner-gray-2threads',
    steps: 120,
    sameAs: 'runner-gray-1thread',
    options: { game: 'runner', numEnvs: 4, numThreads: 2, stickyActionProb: 0.25, noopMax: 8, seed: 7 },
  },
  {
    name: 'runner-rgb-crop',
    steps: 60,
    options: {
      game: 'runner',
      numEnvs: 2,
      numThreads: 2,
      obs: { grayscale: false, width: 96, height: 90, crop: { top: 16, left: 8 } },
      maxPool: false,
      seed: 3,
    },
  },
  { name: 'runner-tiles', steps: 60, options: { game: 'runner', numEnvs: 2, numThreads: 2, obs: 'tiles', seed: 5 } },
];
const marioRom = process.env.MARIO_ROM;
if (marioRom && existsSync(marioRom)) {
  const rom = new Uint8Array(readFileSync(marioRom));
  cases.push({ name: 'smb1-gray', steps: 60, options: { rom, numEnvs: 2, numThreads: 2, actions: 'right-only', noopMax: 4, seed: 11 } });
} else {
  console.log(`[skip] smb1 case: set MARIO_ROM to run it (currently ${marioRom ?? 'unset'})`);
}

/** Every step's observations, rewards, terminated/truncated flags and x positions, concatenated. */
function record(options: VecEnvOptions, steps: number): Buffer {
  const env = new VecEnv(options);
  const chunks: Buffer[] = [];
  const keep = (view: ArrayBufferView) => chunks.push(Buffer.from(new Uint8Array(view.buffer, view.byteOffset, view.byteLength)));
  keep(env.reset({ seed: options.seed }).obs);
  const actions = new Int32Array(options.numEnvs);
  let state = 0x2545f491;
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < actions.length; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      actions[i] = (state >>> 8) % env.actionSpace.n;
    }
    const r = env.step(actions);
    for (const view of [r.obs, r.reward, r.terminated, r.truncated, r.info.xPos]) keep(view);
  }
  env.close();
  return Buffer.concat(chunks);
}

function firstDifference(a: Buffer, b: Buffer): string {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return `byte ${i} differs (${a[i]} vs ${b[i]})`;
  return `lengths differ (${a.length} vs ${b.length})`;
}

mkdirSync(dir, { recursive: true });
const recorded = new Map<string, Buffer>();
for (const c of cases) {
  check(`VecEnv ${c.name} (${c.options.numEnvs} lanes x ${c.steps} steps)`, () => {
    const bytes = record(c.options, c.steps);
    recorded.set(c.name, bytes);
    if (c.sameAs) {
      const other = recorded.get(c.sameAs);
      assert(other && other.equals(bytes), `differs from ${c.sameAs}: ${other ? firstDifference(other, bytes) : 'missing'}`);
    }
    const file = join(dir, `${c.name}.bin`);
    if (mode === '--write') {
      writeFileSync(file, bytes);
      return `${bytes.length} bytes written`;
    }
    assert(existsSync(file), `no reference ${file}: run with --write on the other platform first`);
    const reference = readFileSync(file);
    assert(reference.equals(bytes), `differs from the reference ${file}: ${firstDifference(reference, bytes)}`);
    return `${bytes.length} bytes identical to the reference`;
  });
}

console.log(`${platform}: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
