/**
 * Loader for the native addon (`mario_rl.node`) and the raw types of what it exports, one section
 * per module (nes, env, replay); the TS wrappers (nes.ts, env/, replay/) import their raw types
 * from here, and this file imports none of them.
 *
 * The published package ships a prebuilt binary per platform in `prebuilds/<platform>-<arch>/`;
 * a source checkout builds one into `build/Release/` (`npm run build:native`). The loader tries
 * each place in order and, if none loads, throws one error listing every path it tried, why each
 * failed (with what the file's header says it is: a binary for another architecture, or not a
 * binary at all), the fallback taken, and how to fix it. A candidate that is there but does not
 * load, followed by one that does, is reported once as a process warning naming both. Nothing
 * here compiles or downloads anything. Test hooks are not in
 * this addon: they live in the test addon (`mario_rl_test.node`, tests/native-test-addon.ts).
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What `buildInfo()` reports about the loaded binary. */
export interface NativeBuildInfo {
  version: string;
  napiVersion: number;
  /** Whether CUDA kernels were compiled in (a GPU may still be absent at run time). */
  cuda: boolean;
  compiler: string;
  hardwareConcurrency: number;
}

/**
 * The raw addon's core members; each module's section below has its own, and `NativeAddon` at the
 * end is their union (see docs/boundary.md). Classes take already-validated arguments from the TS
 * wrappers, but still re-check sizes and throw TypeError/RangeError rather than crash.
 */
export interface NativeCoreAddon {
  /** [sync] Describes the binary. Never throws. */
  buildInfo(): NativeBuildInfo;
}

const ADDON_FILE = 'mario_rl.node';

/** Directory of the installed package (or checkout): the one holding package.json. */
export function packageRoot(): string {
  // After bundling, this file lives in dist/; in tests it runs from src/. Walk up to package.json.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'CMakeLists.txt'))) return dir;
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'prebuilds'))) return dir;
    dir = dirname(dir);
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '..');
}

/** Paths the loader tries, in order. `MARIO_RL_NATIVE` (a file path) overrides all others. */
export function nativeCandidates(root = packageRoot()): string[] {
  const list: string[] = [];
  const override = process.env.MARIO_RL_NATIVE;
  if (override) list.push(resolve(override));
  list.push(
    join(root, 'prebuilds', `${process.platform}-${process.arch}`, ADDON_FILE),
    join(root, 'build', 'Release', ADDON_FILE),
    join(root, 'build', 'Debug', ADDON_FILE),
  );
  return list;
}

/**
 * Node's name (`process.arch`) of each ELF `e_machine` value a prebuilt could carry (EM_* numbers
 * of the ELF specification and its processor supplements).
 */
const ELF_MACHINES: Record<number, string> = {
  3: 'ia32',
  8: 'mips',
  20: 'ppc',
  21: 'ppc64',
  22: 's390x',
  40: 'arm',
  62: 'x64',
  183: 'arm64',
  243: 'riscv64',
  258: 'loong64',
};

/** Node's name of each Mach-O `cputype` (macOS binaries: CPU_TYPE_X86_64, CPU_TYPE_ARM64). */
const MACHO_CPUS: Record<number, string> = { 0x01000007: 'x64', 0x0100000c: 'arm64' };

/** What a candidate file is, read from its header before anything tries to load it. */
export interface BinaryInspection {
  /** `'ELF for arm64'`, `'Mach-O for x64'`, `'a Windows DLL'`, `'not a native binary (starts with 6e 6f 74 20)'`, `'an empty file'`. */
  kind: string;
  /** Why loading it would fail or crash (another architecture, cut short), so it is not tried; absent when it may load. */
  problem?: string;
}

/**
 * Reads a would-be addon's header (at most 4 KiB) and says what it is. A binary for another
 * platform or architecture, a file that is no binary at all (require() would run it as
 * JavaScript) and an ELF file shorter than its own headers say (dlopen would crash the process
 * with SIGBUS) get a `problem`; everything else is left to the platform's loader. Never throws.
 */
export function inspectBinary(path: string): BinaryInspection {
  const head = Buffer.alloc(4096);
  let length: number;
  let size: number;
  try {
    const fd = openSync(path, 'r');
    try {
      size = fstatSync(fd).size;
      length = readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    return { kind: `unreadable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
  const bytes = head.subarray(0, length);
  if (length >= 4 && bytes.readUInt32BE(0) === 0x7f454c46) return inspectElf(bytes, size);
  let kind: string;
  let format: 'Mach-O' | 'PE' | undefined;
  let arch: string | undefined;
  if (length >= 8 && (bytes.readUInt32LE(0) === 0xfeedfacf || bytes.readUInt32LE(0) === 0xfeedface)) {
    const cpu = bytes.readUInt32LE(4);
    [format, arch] = ['Mach-O', MACHO_CPUS[cpu] ?? `cputype 0x${cpu.toString(16)}`];
    kind = `Mach-O for ${arch}`;
  } else if (length >= 4 && bytes.readUInt32BE(0) === 0xcafebabe) {
    [format, kind] = ['Mach-O', 'a universal (fat) Mach-O'];
  } else if (length >= 2 && bytes[0] === 0x4d && bytes[1] === 0x5a) {
    [format, kind] = ['PE', 'a Windows DLL'];
  } else {
    const hex = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    // Not handed to require(): a file without a native header would be run as JavaScript.
    return { kind: length === 0 ? 'an empty file' : `not a native binary (starts with ${hex})`, problem: 'it is not a native binary' };
  }
  const native = process.platform === 'darwin' ? 'Mach-O' : process.platform === 'win32' ? 'PE' : 'ELF';
  if (format !== native || (arch !== undefined && arch !== process.arch)) {
    return { kind, problem: `it is ${kind}, but this Node is ${process.platform}-${process.arch}` };
  }
  return { kind };
}

/** ELF: the machine from e_machine, and the file size its header and PT_LOAD segments need. */
function inspectElf(bytes: Buffer, size: number): BinaryInspection {
  // e_ident: byte 4 is the class (1: 32-bit, 2: 64-bit), byte 5 the byte order (1: little, 2: big).
  const wide = bytes[4] === 2;
  const big = bytes[5] === 2;
  if (bytes.length < (wide ? 64 : 52)) return { kind: 'ELF (cut short)', problem: `it is cut short: ${size} bytes, less than an ELF header` };
  const u16 = (at: number) => (big ? bytes.readUInt16BE(at) : bytes.readUInt16LE(at));
  const u32 = (at: number) => (big ? bytes.readUInt32BE(at) : bytes.readUInt32LE(at));
  const word = (at: number) => (wide ? Number(big ? bytes.readBigUInt64BE(at) : bytes.readBigUInt64LE(at)) : u32(at));
  const machine = u16(18);
  const arch = ELF_MACHINES[machine] ?? `machine ${machine}`;
  const kind = `ELF for ${arch}`;
  // glibc reports a foreign machine as "No such file or directory": say what it really is.
  if (process.platform === 'darwin' || process.platform === 'win32' || arch !== process.arch) {
    return { kind, problem: `it is ${kind}, but this Node is ${process.platform}-${process.arch}` };
  }
  // e_phoff, e_shoff, e_phentsize, e_phnum, e_shentsize, e_shnum, at their offsets in each class.
  const [phoff, shoff, phentsize, phnum, shentsize, shnum] = wide
    ? [word(32), word(40), u16(54), u16(56), u16(58), u16(60)]
    : [word(28), word(32), u16(42), u16(44), u16(46), u16(48)];
  let needed = Math.max(phoff + phnum * phentsize, shnum > 0 ? shoff + shnum * shentsize : 0);
  const PT_LOAD = 1;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + phentsize > bytes.length) break; // past the bytes read: the table-size check above stands
    if (u32(at) !== PT_LOAD) continue;
    const [offset, fileSize] = wide ? [word(at + 8), word(at + 32)] : [word(at + 4), word(at + 16)];
    needed = Math.max(needed, offset + fileSize);
  }
  if (needed > size) return { kind, problem: `it is cut short: its headers describe ${needed} bytes but the file has ${size}` };
  return { kind };
}

/** The `<platform>-<arch>` folders of prebuilds/ the published package ships (docs/install.md). */
export const PREBUILT_PLATFORMS: readonly string[] = ['linux-x64', 'linux-arm64'];

/** Thrown when no candidate binary loads; `attempts` lists each path and why it failed. */
export class NativeLoadError extends Error {
  /**
   * @param attempts every path tried, in order, and why it failed.
   * @param fallback the backend used instead, or 'none' when nothing can stand in for the addon.
   */
  constructor(
    readonly attempts: { path: string; reason: string }[],
    readonly fallback = 'none',
  ) {
    super(
      [
        `mario-rl could not load its native addon for ${process.platform}-${process.arch} (Node ${process.version}).`,
        'Tried:',
        ...attempts.map((a) => `  ${a.path}: ${a.reason}`),
        `Fallback: ${fallback}.`,
        'To fix it:',
        `  - in an installed package: reinstall mario-rl; prebuilt binaries ship for ${PREBUILT_PLATFORMS.join(' and ')} (see docs/install.md);`,
        '  - in a source checkout: run `npm run build:native` (needs cmake and a C++17 compiler);',
        '  - or point MARIO_RL_NATIVE at a mario_rl.node you built.',
      ].join('\n'),
    );
    this.name = 'NativeLoadError';
  }
}

/**
 * Tries each path in order and returns the first addon that loads. When a path that exists failed
 * before it, emits one process warning (code MARIO_RL_NATIVE_FALLBACK) naming the skipped file,
 * what it is and the file loaded instead. Throws NativeLoadError listing every path and why it
 * failed when none loads.
 */
export function loadNativeFrom(candidates: readonly string[]): NativeAddon {
  const require = createRequire(import.meta.url);
  const attempts: { path: string; reason: string }[] = [];
  for (const candidate of candidates) {
    if (!existsSync(candidate)) {
      attempts.push({ path: candidate, reason: 'not found' });
      continue;
    }
    const { kind, problem } = inspectBinary(candidate);
    if (problem) {
      attempts.push({ path: candidate, reason: `not loaded: ${problem}` });
      continue;
    }
    let addon: NativeAddon;
    try {
      addon = require(candidate) as NativeAddon;
    } catch (err) {
      attempts.push({ path: candidate, reason: `${(err as Error).message.split('\n')[0]} [the file is ${kind}]` });
      continue;
    }
    const skipped = attempts.filter((a) => a.reason !== 'not found');
    if (skipped.length > 0) {
      process.emitWarning(
        [`mario-rl: could not load ${skipped.map((a) => `${a.path} (${a.reason})`).join('; ')}.`, `Fallback: loaded ${candidate} instead.`].join(' '),
        { code: 'MARIO_RL_NATIVE_FALLBACK' },
      );
    }
    return addon;
  }
  throw new NativeLoadError(attempts);
}

let cached: NativeAddon | undefined;

/** Loads (once) and returns the native addon; throws NativeLoadError listing what it tried. */
export function loadNative(): NativeAddon {
  cached ??= loadNativeFrom(nativeCandidates());
  return cached;
}

// ---- nes (native/binding/nes_binding.cc; wrapped by src/nes.ts) ----

/** What the raw `cpu()` returns; nes.ts's public `CpuState` documents each field. */
export interface NativeCpuState {
  pc: number;
  a: number;
  x: number;
  y: number;
  p: number;
  sp: number;
  cycles: number;
}

/** Raw members of the native `NesCore` class. */
export interface NativeNesCore {
  /** [sync] Throws TypeError/RangeError or Error. */
  stepFrame(buttons: number, render: boolean): void;
  /** [sync] One frame per byte. Throws TypeError for a non-Uint8Array. */
  stepFrames(buttons: Uint8Array, render: boolean): void;
  /** [sync] */
  reset(): void;
  /** [sync] The same live Uint8Array(2048) on every call. */
  ramView(): Uint8Array;
  /** [sync] The same live Uint8Array(61440) on every call. */
  frameView(): Uint8Array;
  /** [sync] RangeError outside [0, 0xFFFF]. */
  peek(address: number): number;
  /** [sync] RangeError outside [0, 0x3FFF]. */
  peekPpu(address: number): number;
  /** [sync] RangeError outside RAM/PRG-RAM. */
  poke(address: number, value: number): void;
  /** [sync] */
  stateSize(): number;
  /** [sync] */
  saveState(): Uint8Array;
  /** [sync] RangeError unless out.length === stateSize(). */
  saveStateInto(out: Uint8Array): void;
  /** [sync] Error (console unchanged) for another ROM, another version or truncated bytes. */
  loadState(state: Uint8Array): void;
  /** [sync] */
  frameCount(): number;
  /** [sync] */
  mapper(): number;
  /** [sync] RangeError unless out.length === 184320. */
  toRgb(out: Uint8Array): Uint8Array;
  /** [sync] */
  cpu(): NativeCpuState;
  /** [sync] RangeError for a value out of range. */
  setCpu(pc: number, a: number, x: number, y: number, p: number, sp: number): void;
  /** [sync] */
  cpuCycles(): number;
  /** [sync] */
  stepInstruction(): void;
  /** [sync] */
  traceLine(): string;
  /** [sync] Idempotent; never throws. */
  close(): void;
  /** [sync] Never throws. */
  isClosed(): boolean;
}

/**
 * The default of the `fastPaths` options (Nes, VecEnv): true unless the environment variable
 * `MARIO_RL_EXACT=1` asks for the core without fast paths (for tests and comparisons).
 */
export function defaultFastPaths(): boolean {
  return process.env.MARIO_RL_EXACT !== '1';
}

/** Constructor of the raw class: (rom, powerOnRam 0|1|2, seed, fastPaths 0|1). */
export type NativeNesCoreCtor = new (rom: Uint8Array, powerOnRam: number, seed: number, fastPaths: number) => NativeNesCore;

/** Members the nes module adds to the addon. */
export interface NativeNesAddon {
  NesCore: NativeNesCoreCtor;
}

// ---- env (native/binding/vec_env_binding.cc; wrapped by src/env/vec-env.ts) ----

/** Raw config of `new addon.VecEnv(config, rom)`, already validated by src/env/vec-env.ts. */
export interface NativeVecEnvConfig {
  game: string;
  actions: string;
  reward: string;
  stages: string[];
  numEnvs: number;
  numThreads: number;
  frameSkip: number;
  maxPool: boolean;
  stickyActionProb: number;
  noopMax: number;
  fastPaths: boolean;
  maxEpisodeSteps: number;
  /** 0 = never; else truncate after this many agent steps without a new max x. */
  maxStallSteps: number;
  /** A stall cut ends the episode as terminated instead of truncated. */
  stallTerminal: boolean;
  /** Added to the reward of the step a stall cut ends. */
  stallReward: number;
  /** Pixels (width ... cropRight), the 2 KiB RAM, or the game's tile grid (tileRows x tileCols); `stack` is the frame stack of pixels and tiles. */
  obsKind: 'pixels' | 'ram' | 'tiles';
  width: number;
  height: number;
  stack: number;
  grayscale: boolean;
  cropTop: number;
  cropBottom: number;
  cropLeft: number;
  cropRight: number;
  tileRows: number;
  tileCols: number;
  seed: number;
}

/** The raw VecEnv (native/binding/vec_env_binding.cc). Every method re-checks its arguments. */
export interface NativeVecEnv {
  /** [sync] Sizes and names, fixed at construction. */
  readonly description: {
    numEnvs: number;
    numActions: number;
    obsBytes: number;
    stateSize: number;
    infoFields: string[];
    rewardComponents: string[];
    actionButtons: number[];
  };
  /** [sync] Binds the output arrays once. Throws TypeError/RangeError on a wrong type or length. */
  bind(buffers: Record<string, ArrayBufferView>): void;
  /** [sync] Resets all lanes (reseeding when a seed is given). Throws while a step is in flight. */
  reset(seed: number | undefined): void;
  /** [sync] Steps all lanes. Throws TypeError/RangeError on bad actions, Error while in flight or before the first reset. */
  step(actions: Int32Array): void;
  /** [async] Steps all lanes on the worker threads; throws synchronously on bad actions, when in flight or before the first reset. */
  stepAsync(actions: Int32Array): Promise<void>;
  /** [sync] Sets the reward weights and their linear annealing. */
  setRewardShaping(distanceStart: number, distanceEnd: number, scoreStart: number, scoreEnd: number, annealSteps: number): void;
  /** [sync] Weights the next step uses. */
  rewardWeights(): { distanceWeight: number; scoreWeight: number };
  /** [sync] Save state of one lane. */
  saveState(lane: number): Uint8Array;
  /**
   * [sync] Start states for resets, each reset using one with probability `share` (in [0, 1]; 1
   * draws nothing). Throws naming a state the core rejects, or RangeError for a bad share.
   */
  setStartStates(states: Uint8Array[], mode: string, share: number): void;
  /** [sync] Back to the game's start points. */
  clearStartStates(): void;
  /** [sync] One weight per start point (finite, >= 0, one > 0); throws TypeError/RangeError naming `weights`/`weights[i]`. */
  setStageWeights(weights: number[]): void;
  /** [sync] The weights last set (all 1 until then). */
  stageWeights(): number[];
  /** [sync] Resets (and those from start states) since the last call, summed over lanes; zeroes the counters. Throws while a step is in flight. */
  startStats(): { resets: number; fromStartStates: number };
  /** [sync] Joins the threads. Throws while a step is in flight. */
  close(): void;
}

/** Members the env module adds to the addon. */
export interface NativeEnvAddon {
  VecEnv: new (config: NativeVecEnvConfig, rom: Uint8Array) => NativeVecEnv;
  /** [sync] Names of the registered game adapters (native/env/game_registry.cc). */
  envGameNames(): string[];
}

// ---- replay (native/binding/priority_tree_binding.cc, frame_gather_binding.cc; wrapped by src/replay/) ----

/**
 * Raw native PriorityTree (native/binding/priority_tree_binding.cc). Every method is [sync].
 * Wrong argument types throw TypeError, wrong lengths or out-of-range values RangeError.
 */
export interface RawPriorityTree {
  /** [sync] Sets leaves and recomputes ancestors; RangeError naming the position for a bad index or a NaN/negative priority or one above 1e280 (MAX_PRIORITY; tree unchanged). */
  set(indices: Int32Array, priorities: Float32Array | Float64Array): void;
  /** [sync] Leaf value; RangeError for an index outside [0, capacity). */
  get(index: number): number;
  /** [sync] Leaf values into out (same length); RangeError for a bad index. */
  getMany(indices: Int32Array, out: Float64Array): void;
  /** [sync] Stratified sample of out.length indices; seed -1 continues the stream. Error when the total is 0. */
  sample(out: Int32Array, seed: number): void;
  /** [sync] Stratified sample with given uniforms in [0, 1) (RangeError otherwise). Error when the total is 0. */
  sampleWithUniforms(uniforms: Float64Array, out: Int32Array): void;
  /** [sync] Never throws. */
  total(): number;
  /** [sync] Smallest positive priority (Infinity if none). Never throws. */
  min(): number;
  /** [sync] 1 + largest index ever set. Never throws. */
  filled(): number;
  /** [sync] Never throws. */
  capacity(): number;
  /** [sync] Never throws. */
  memoryBytes(): number;
}

/** What `cudaInfo()` reports. */
export interface NativeCudaInfo {
  /** CUDA kernels are in this binary. */
  compiled: boolean;
  /** A device can be used now. */
  available: boolean;
  devices: number;
  /** Name of device 0 ('' when none). */
  deviceName: string;
  /** Why CUDA is unavailable ('' when available). */
  reason: string;
}

/** Raw GPU mirror of a PriorityTree. Every method is [sync] (each waits for its kernel). */
export interface RawCudaPriorityTree {
  /** [sync] Applies a batch the CPU tree took; TypeError/RangeError for bad arrays, Error on a CUDA failure or after dispose. */
  set(indices: Int32Array, priorities: Float64Array): void;
  /** [sync] Seeded stratified sample + IS weights (seed -1 continues); Error when the total is 0 or on a CUDA failure. */
  sample(outIndices: Int32Array, outWeights: Float32Array, beta: number, seed: number): void;
  /** [sync] The same with given uniforms in [0, 1) (RangeError otherwise). */
  sampleWithUniforms(uniforms: Float64Array, beta: number, outIndices: Int32Array, outWeights: Float32Array): void;
  /** [sync] Device total; Error after dispose. */
  total(): number;
  /** [sync] Device min; Error after dispose. */
  min(): number;
  /** [sync] Never throws. */
  memoryBytes(): number;
  /** [sync] Frees device memory. Never throws. */
  dispose(): void;
}

/** Constructors the replay module adds to the addon. */
export interface NativeReplayAddon {
  /** [sync] Mirrors a raw PriorityTree on CUDA device 0; TypeError if not given one, Error("no CUDA device: …") without a usable GPU. */
  CudaPriorityTree: new (tree: RawPriorityTree) => RawCudaPriorityTree;
  /** [sync] CUDA status of this binary and machine. Never throws. */
  cudaInfo(): NativeCudaInfo;
  /**
   * [sync] Copies row rows[k] (rowBytes each; row r is row r % rowsPerChunk of
   * chunks[r / rowsPerChunk]) into row k of out; -1 writes zeros. TypeError for wrong types;
   * RangeError for a bad chunk or out length or a row out of range (nothing written then).
   */
  gatherRows(chunks: Uint8Array[], rowsPerChunk: number, rowBytes: number, rows: Int32Array, out: Uint8Array): void;
  /** [sync] RangeError unless capacity is an integer in [1, 2^30] (or on out of memory). */
  PriorityTree: new (capacity: number) => RawPriorityTree;
}
/** The whole raw addon: the core members plus each module's section. */
export type NativeAddon = NativeCoreAddon & NativeNesAddon & NativeEnvAddon & NativeReplayAddon;
