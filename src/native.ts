/**
 * Loader for the native addon (`mario_rl.node`) and the raw types of what it exports, one section
 * per module (nes, env, replay); the TS wrappers (nes.ts, env/, replay/) import their raw types
 * from here, and this file imports none of them.
 *
 * The published package ships a prebuilt binary per platform in `prebuilds/<platform>-<arch>/`;
 * a source checkout builds one into `build/Release/` (`npm run build:native`). The loader tries
 * each place in order and, if none loads, throws one error listing every path it tried, why each
 * failed, and how to fix it. Nothing here compiles or downloads anything. Test hooks are not in
 * this addon: they live in the test addon (`mario_rl_test.node`, tests/native-test-addon.ts).
 */
import { existsSync } from 'node:fs';
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

/** Thrown when no candidate binary loads; `attempts` lists each path and why it failed. */
export class NativeLoadError extends Error {
  constructor(readonly attempts: { path: string; reason: string }[]) {
    super(
      [
        `mario-rl could not load its native addon for ${process.platform}-${process.arch} (Node ${process.version}).`,
        'Tried:',
        ...attempts.map((a) => `  ${a.path}: ${a.reason}`),
        'To fix it:',
        `  - in an installed package: reinstall mario-rl; prebuilt binaries ship for linux-x64 (see docs/install.md);`,
        '  - in a source checkout: run `npm run build:native` (needs cmake and a C++17 compiler);',
        '  - or point MARIO_RL_NATIVE at a mario_rl.node you built.',
      ].join('\n'),
    );
    this.name = 'NativeLoadError';
  }
}

/**
 * Tries each path in order and returns the first addon that loads; throws NativeLoadError
 * listing every path and why it failed.
 */
export function loadNativeFrom(candidates: readonly string[]): NativeAddon {
  const require = createRequire(import.meta.url);
  const attempts: { path: string; reason: string }[] = [];
  for (const candidate of candidates) {
    if (!existsSync(candidate)) {
      attempts.push({ path: candidate, reason: 'not found' });
      continue;
    }
    try {
      return require(candidate) as NativeAddon;
    } catch (err) {
      attempts.push({ path: candidate, reason: (err as Error).message.split('\n')[0] });
    }
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

/** Constructor of the raw class: (rom, powerOnRam 0|1|2, seed). */
export type NativeNesCoreCtor = new (rom: Uint8Array, powerOnRam: number, seed: number) => NativeNesCore;

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
  maxEpisodeSteps: number;
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
