/**
 * bench:emu — single-thread NES emulation speed on Super Mario Bros. (MARIO_ROM).
 *
 * Runs the input script of reference/baselines.md for N frames (default 20,000) with rendering,
 * without rendering, and on jsnes 3.0.0 (`emulateSound: false`) in the same process, and prints
 * frames/s with the ratio to jsnes; then the cost of one saveStateInto + loadState pair.
 *
 *   MARIO_ROM=/path/to/smb.nes npm run bench:emu [-- --frames 20000]
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

import { NES } from 'jsnes';

import { Nes } from '../src/index.js';

function scriptBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let f = 0; f < n; f++) {
    if (f < 60) out[f] = 0;
    else if (f < 66) out[f] = 0x08;
    else if (f < 120) out[f] = 0;
    else if (f < 130) out[f] = 0x08;
    else out[f] = 0x82 | (f % 40 < 12 ? 0x01 : 0);
  }
  return out;
}

function parseFrames(argv: string[]): number {
  const i = argv.indexOf('--frames');
  if (i < 0) return 20_000;
  const n = Number(argv[i + 1]);
  if (!Number.isInteger(n) || n < 200) {
    console.error(`Expected an integer >= 200 for --frames but received ${argv[i + 1]}`);
    process.exit(2);
  }
  return n;
}

const romPath = process.env.MARIO_ROM;
if (!romPath) {
  console.error('bench:emu needs a Super Mario Bros. image: set MARIO_ROM=/path/to/super-mario-bros.nes');
  process.exit(2);
}
const rom = new Uint8Array(readFileSync(romPath));
const frames = parseFrames(process.argv.slice(2));
const script = scriptBytes(frames);

function ours(render: boolean): number {
  const nes = new Nes(rom);
  nes.stepFrames(script.subarray(0, 300), { render }); // warm-up: boot, caches
  const fresh = new Nes(rom);
  const t0 = performance.now();
  fresh.stepFrames(script, { render });
  const seconds = (performance.now() - t0) / 1000;
  nes.close();
  fresh.close();
  return seconds;
}

function jsnes(): number {
  const nes = new NES({ onFrame() {}, emulateSound: false });
  nes.loadROM(Buffer.from(rom).toString('binary'));
  let held = 0;
  const t0 = performance.now();
  for (let f = 0; f < frames; f++) {
    const b = script[f];
    const changed = b ^ held;
    for (let bit = 0; bit < 8; bit++) {
      if (!(changed & (1 << bit))) continue;
      if (b & (1 << bit)) nes.buttonDown(1, bit as 0);
      else nes.buttonUp(1, bit as 0);
    }
    held = b;
    nes.frame();
  }
  return (performance.now() - t0) / 1000;
}

function saveLoad(): { micros: number; bytes: number } {
  const nes = new Nes(rom);
  nes.stepFrames(script.subarray(0, Math.min(frames, 2000)));
  const buffer = new Uint8Array(nes.stateSize);
  const rounds = 20_000;
  for (let i = 0; i < 1000; i++) {
    nes.saveStateInto(buffer);
    nes.loadState(buffer);
  }
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) {
    nes.saveStateInto(buffer);
    nes.loadState(buffer);
  }
  const micros = ((performance.now() - t0) * 1000) / rounds;
  nes.close();
  return { micros, bytes: buffer.length };
}

const rendered = ours(true);
const unrendered = ours(false);
const baseline = jsnes();
const sl = saveLoad();

const fps = (s: number) => frames / s;
const rows = [
  ['mario-rl, render: true', rendered],
  ['mario-rl, render: false', unrendered],
  ['jsnes 3.0.0, emulateSound: false (baseline)', baseline],
] as const;
console.log(`# bench:emu — Super Mario Bros., ${frames} frames of the reference input script, one thread`);
console.log(`# node ${process.version}, ${process.platform}-${process.arch}, ${new Date().toISOString()}`);
console.log('');
console.log('| emulator | seconds | frames/s | µs/frame | vs jsnes |');
console.log('|---|---:|---:|---:|---:|');
for (const [name, s] of rows) {
  console.log(`| ${name} | ${s.toFixed(2)} | ${fps(s).toFixed(0)} | ${((s * 1e6) / frames).toFixed(1)} | ${(fps(s) / fps(baseline)).toFixed(1)}× |`);
}
console.log('');
console.log(`| save + load (saveStateInto + loadState, ${sl.bytes}-byte state) | ${sl.micros.toFixed(2)} µs |`);
console.log('|---|---:|');
