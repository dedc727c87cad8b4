/**
 * bench:emu — single-thread NES emulation speed on Super Mario Bros. (MARIO_ROM).
 *
 * Runs the input script of reference/baselines.md for N frames (default 20,000) with rendering,
 * without rendering, each with the core's fast paths on and off (`fastPaths`, docs/nes-core.md),
 * and on jsnes 3.0.0 (`emulateSound: false`) in the same process, and prints frames/s with the
 * ratio to jsnes, by wall time and by process CPU time (the one to read on a busy machine); then
 * the cost of one saveStateInto + loadState pair. With SMB3_ROM set it also
 * times Super Mario Bros. 3 (START presses, then the same script) with fast paths on and off.
 *
 *   MARIO_ROM=/path/to/smb.nes npm run bench:emu [-- --frames 20000]
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
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

/** Wall seconds and process CPU seconds (all threads, so V8's GC/JIT threads count for jsnes). */
interface Timing {
  seconds: number;
  cpuSeconds: number;
}

function startTiming(): () => Timing {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  return () => {
    const c = process.cpuUsage(c0);
    return { seconds: (performance.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6 };
  };
}

function ours(render: boolean, fastPaths: boolean, image = rom): Timing {
  const nes = new Nes(image, { fastPaths });
  nes.stepFrames(script.subarray(0, 300), { render }); // warm-up: boot, caches
  const fresh = new Nes(image, { fastPaths });
  const stop = startTiming();
  fresh.stepFrames(script, { render });
  const timing = stop();
  nes.close();
  fresh.close();
  return timing;
}

function jsnes(): Timing {
  const nes = new NES({ onFrame() {}, emulateSound: false });
  nes.loadROM(Buffer.from(rom).toString('binary'));
  let held = 0;
  const stop = startTiming();
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
  return stop();
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

const rendered = ours(true, true);
const renderedExact = ours(true, false);
const unrendered = ours(false, true);
const unrenderedExact = ours(false, false);
const baseline = jsnes();
const sl = saveLoad();

const us = (s: number) => ((s * 1e6) / frames).toFixed(1);
const rows = [
  ['mario-rl, render: true', rendered],
  ['mario-rl, render: true, fastPaths: false', renderedExact],
  ['mario-rl, render: false', unrendered],
  ['mario-rl, render: false, fastPaths: false', unrenderedExact],
  ['jsnes 3.0.0, emulateSound: false (baseline)', baseline],
] as const;
console.log(`# bench:emu — Super Mario Bros., ${frames} frames of the reference input script, one thread`);
console.log(`# node ${process.version}, ${process.platform}-${process.arch}, load ${loadavg()[0]!.toFixed(1)}, ${new Date().toISOString()}`);
console.log('# CPU = process CPU time; on a busy machine its ratios are the ones to read');
console.log('');
console.log('| emulator | seconds | frames/s | µs/frame | vs jsnes | CPU µs/frame | vs jsnes (CPU) |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const [name, t] of rows) {
  const fps = frames / t.seconds;
  console.log(
    `| ${name} | ${t.seconds.toFixed(2)} | ${fps.toFixed(0)} | ${us(t.seconds)} | ${(baseline.seconds / t.seconds).toFixed(1)}× | ` +
      `${us(t.cpuSeconds)} | ${(baseline.cpuSeconds / t.cpuSeconds).toFixed(1)}× |`,
  );
}
console.log('');
console.log(`| save + load (saveStateInto + loadState, ${sl.bytes}-byte state) | ${sl.micros.toFixed(2)} µs |`);
console.log('|---|---:|');

const smb3Path = process.env.SMB3_ROM;
if (smb3Path) {
  const smb3 = new Uint8Array(readFileSync(smb3Path));
  console.log('');
  console.log('| Super Mario Bros. 3 | fast paths on, µs/frame | off, µs/frame | on vs off | CPU µs/frame on | off | on vs off (CPU) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const render of [true, false]) {
    const on = ours(render, true, smb3);
    const off = ours(render, false, smb3);
    console.log(
      `| render: ${render} | ${us(on.seconds)} | ${us(off.seconds)} | ${(off.seconds / on.seconds).toFixed(2)}× | ` +
        `${us(on.cpuSeconds)} | ${us(off.cpuSeconds)} | ${(off.cpuSeconds / on.cpuSeconds).toFixed(2)}× |`,
    );
  }
}
