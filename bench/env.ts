/**
 * VecEnv throughput: agent steps/s for N lanes x worker threads, frame skip 4 (max-pool of the
 * last two frames), 84x84 gray, 4-frame stack, SMB1 1-1, random SIMPLE actions, next to the
 * baseline measured in the same run: N jsnes instances stepped in a JS loop with the same
 * preprocessing written in JS (luma, 84x84 area average, frame stack, max-pool).
 *
 *   MARIO_ROM=/path/to/smb.nes npm run bench:env   (BENCH_SECONDS per cell, default 2: best of 5 windows;
 *   BENCH_LANES=8,32 to measure only those N)
 *
 * The machine is shared and its speed swings by up to 1.6x for seconds at a time, so for each N the
 * cells (jsnes, VecEnv with 1 thread, with 2 threads) take turns window by window: every cell sees
 * the same slow and fast moments, and each reports its best window.
 *
 * A second table puts the 1 -> 2 thread speed-up next to what the machine itself gives two threads
 * at that moment: two independent single-thread VecEnvs of N/2 lanes each, one on the main thread
 * and one on a worker thread (bench/env-half-worker.ts), running at once with no step barrier
 * between them. That cell takes its turn with the others, so "of ceiling" compares like with like.
 *
 * A row "1, fastPaths: false" runs the one-thread cell with the NES core's fast paths off
 * (docs/nes-core.md), in the same turns, to show what they give.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';

import { Controller, NES, type ButtonKey } from 'jsnes';

import { VecEnv } from '../src/index.js';
import { measureInTurns, type ThroughputSubject } from '../src/util/throughput.js';
import { benchSeconds, intListFromEnv } from './env-args.js';
import { BENCH_FRAME_SKIP, BENCH_OBS, randomStepper, smbBenchEnv } from './env-cells.js';

const romPath = process.env.MARIO_ROM;
if (!romPath) {
  console.error('Set MARIO_ROM to a Super Mario Bros. (NES) image to run this bench.');
  process.exit(1);
}
const rom = readFileSync(romPath);
const SECONDS = benchSeconds();
const LANES = intListFromEnv('BENCH_LANES', [1, 8, 32, 64], 512);
const THREADS = [1, 2];
const SKIP = BENCH_FRAME_SKIP;
const { width: W, height: H, stack: STACK } = BENCH_OBS;

const WINDOWS = 5;

function oursCell(n: number, threads: number, fastPaths = true): { cell: ThroughputSubject; env: VecEnv } {
  const env = smbBenchEnv(rom, n, threads, 1, fastPaths);
  return { cell: { step: randomStepper(env, 1), itemsPerStep: n }, env };
}

/**
 * The machine's two-thread ceiling for N lanes: ceil(N/2) lanes on a worker thread and floor(N/2)
 * on this one, each a single-thread VecEnv, stepping at the same time only while a window is open.
 */
async function ceilingCell(n: number): Promise<{ cell: ThroughputSubject; close: () => Promise<void> }> {
  const mine = Math.floor(n / 2);
  const theirs = n - mine;
  const control = new SharedArrayBuffer(8);
  const flags = new Int32Array(control);
  // Workers do not inherit tsx's loader: register it in the worker before importing the script.
  const script = new URL('./env-half-worker.ts', import.meta.url).href;
  const worker = new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(script)}); });`, {
    eval: true,
    workerData: { romPath, lanes: theirs, control, seed: 2 },
  });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  // A worker that fails mid-run would silently stop adding steps: end the bench instead.
  worker.on('error', (error) => {
    console.error('bench:env ceiling worker failed:', error);
    process.exit(1);
  });
  const { cell: half, env } = oursCell(mine, 1);
  let startSteps = 0;
  const cell: ThroughputSubject = {
    step: half.step,
    itemsPerStep: mine,
    begin: () => {
      startSteps = Atomics.load(flags, 1);
      Atomics.store(flags, 0, 1);
      Atomics.notify(flags, 0);
    },
    end: () => {
      Atomics.store(flags, 0, 0);
      return (Atomics.load(flags, 1) - startSteps) * theirs;
    },
  };
  const close = async () => {
    Atomics.store(flags, 0, 2);
    Atomics.notify(flags, 0);
    await new Promise((resolve) => worker.once('exit', resolve));
    env.close();
  };
  return { cell, close };
}

// ---- baseline: jsnes + JS preprocessing ------------------------------------------------------
const SIMPLE: ButtonKey[][] = [[], [7], [7, 0], [7, 1], [7, 0, 1], [0], [6]];

class JsnesLane {
  nes: NES;
  frame = new Int32Array(256 * 240);
  luma = new Uint8Array(256 * 240);
  pooled = new Uint8Array(256 * 240);
  stack: Uint8Array[] = Array.from({ length: STACK }, () => new Uint8Array(W * H));
  held: ButtonKey[] = [];
  constructor() {
    this.nes = new NES({ onFrame: (buf: ArrayLike<number>) => this.frame.set(buf as ArrayLike<number>), emulateSound: false });
    this.nes.loadROM(rom.toString('binary'));
    // Start-screen skip: wait, press START, wait for the level.
    for (let f = 0; f < 140; f++) {
      if (f === 60 || f === 120) this.nes.buttonDown(1, Controller.BUTTON_START);
      if (f === 66 || f === 126) this.nes.buttonUp(1, Controller.BUTTON_START);
      this.nes.frame();
    }
  }
  toLuma(out: Uint8Array) {
    const f = this.frame;
    for (let p = 0; p < f.length; p++) {
      const c = f[p]!;
      out[p] = ((299 * (c & 255) + 587 * ((c >> 8) & 255) + 114 * ((c >> 16) & 255) + 500) / 1000) | 0;
    }
  }
  step(action: number, out: Uint8Array, reward: Float32Array, i: number) {
    for (const b of this.held) this.nes.buttonUp(1, b);
    this.held = SIMPLE[action]!;
    for (const b of this.held) this.nes.buttonDown(1, b);
    const mem = (this.nes as unknown as { cpu: { mem: ArrayLike<number> } }).cpu.mem;
    const x0 = mem[0x6d]! * 256 + mem[0x86]!;
    for (let k = 0; k < SKIP; k++) {
      this.nes.frame();
      if (k === SKIP - 2) this.toLuma(this.pooled);
    }
    this.toLuma(this.luma);
    for (let p = 0; p < this.luma.length; p++) if (this.pooled[p]! > this.luma[p]!) this.luma[p] = this.pooled[p]!;
    const next = this.stack.shift()!;
    areaResize(this.luma, next);
    this.stack.push(next);
    this.stack.forEach((s, j) => out.set(s, (i * STACK + j) * W * H));
    reward[i] = Math.max(-15, Math.min(15, mem[0x6d]! * 256 + mem[0x86]! - x0));
  }
}

function areaResize(src: Uint8Array, dst: Uint8Array) {
  // Same integer area average as the native path (sources span 256/84 x 240/84 pixels).
  for (let y = 0; y < H; y++) {
    const y0 = y * 240,
      y1 = (y + 1) * 240;
    for (let x = 0; x < W; x++) {
      const x0 = x * 256,
        x1 = (x + 1) * 256;
      let sum = 0;
      for (let sy = Math.floor(y0 / H); sy < Math.ceil(y1 / H); sy++) {
        const wy = Math.min(y1, (sy + 1) * H) - Math.max(y0, sy * H);
        for (let sx = Math.floor(x0 / W); sx < Math.ceil(x1 / W); sx++) {
          const wx = Math.min(x1, (sx + 1) * W) - Math.max(x0, sx * W);
          sum += wx * wy * src[sy * 256 + sx]!;
        }
      }
      dst[y * W + x] = Math.floor((sum + 30720) / 61440);
    }
  }
}

const jsnesLanes: JsnesLane[] = []; // booted once, the first N used for each row

function baselineCell(n: number): ThroughputSubject {
  while (jsnesLanes.length < n) jsnesLanes.push(new JsnesLane());
  const lanes = jsnesLanes.slice(0, n);
  const obs = new Uint8Array(n * STACK * W * H);
  const reward = new Float32Array(n);
  let s = 1;
  const step = () => {
    for (let i = 0; i < n; i++) lanes[i]!.step((s = (s * 1103515245 + 12345) >>> 0) % 7, obs, reward, i);
  };
  return { step, itemsPerStep: n, minSteps: 2 };
}

const scaling: string[] = [];
console.log(
  `VecEnv bench: SMB1 1-1, skip ${SKIP} + max-pool, ${W}x${H} gray x ${STACK}, ${SECONDS}s per cell, ` +
    `best of ${WINDOWS} windows taken in turns, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load ${loadavg()[0]!.toFixed(1)}, Node ${process.version}`,
);
console.log('| N | jsnes baseline (agent steps/s) | threads | VecEnv (agent steps/s) | emulated frames/s | per thread | vs baseline |');
console.log('|---|---|---|---|---|---|---|');
for (const n of LANES) {
  const baseline = baselineCell(n);
  const cells = THREADS.map((t) => oursCell(n, t));
  const exact = oursCell(n, 1, false);
  const ceiling = n >= 2 ? await ceilingCell(n) : undefined;
  const subjects = [baseline, ...cells.map((c) => c.cell), ...(ceiling ? [ceiling.cell] : []), exact.cell];
  const [base, ...rates] = measureInTurns(subjects, { seconds: SECONDS, windows: WINDOWS }) as [number, ...number[]];
  for (const c of [...cells, exact]) c.env.close();
  await ceiling?.close();
  for (const [k, t] of THREADS.entries()) {
    const ours = rates[k]!;
    const row = `| ${n} | ${base.toFixed(0)} | ${t} | ${ours.toFixed(0)} | ${(ours * SKIP).toFixed(0)} | ${(ours / t).toFixed(0)} | ${(ours / base).toFixed(1)}x |`;
    console.log(row);
  }
  const exactRate = rates[rates.length - 1]!;
  console.log(
    `| ${n} | ${base.toFixed(0)} | 1, fastPaths: false | ${exactRate.toFixed(0)} | ${(exactRate * SKIP).toFixed(0)} | ${exactRate.toFixed(0)} | ${(exactRate / base).toFixed(1)}x |`,
  );
  if (ceiling) {
    const [one, two, halves] = [rates[0]!, rates[1]!, rates[THREADS.length]!];
    scaling.push(
      `| ${n} | ${one.toFixed(0)} | ${two.toFixed(0)} | ${(two / one).toFixed(2)}x | ${halves.toFixed(0)} | ` +
        `${(halves / one).toFixed(2)}x | ${((100 * two) / halves).toFixed(0)}% |`,
    );
  }
}
if (scaling.length > 0) {
  console.log("\n1 -> 2 threads against the machine's own two-thread ceiling, measured in the same turns:");
  console.log('| N | 1 thread | 2 threads | speed-up | two independent halves (ceiling) | ceiling speed-up | 2 threads of ceiling |');
  console.log('|---|---|---|---|---|---|---|');
  for (const row of scaling) console.log(row);
}
