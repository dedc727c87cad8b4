/**
 * Loader for the test addon (`mario_rl_test.node`) and the raw types of its hooks: what tests and
 * benches reach inside the native core with (the preprocessor on synthetic frames, the SMB1 rules
 * on synthetic RAM, a thread-pool stress run, a plain console for reference runs, and the plain
 * binary sum tree bench/per.ts measures PriorityTree against).
 *
 * `npm run build:native` builds it next to the shipped addon (native/test_binding/ →
 * build/Release/mario_rl_test.node); it is never copied to prebuilds/, never packed, and not
 * built by node-gyp (`npm run build:gyp`). A test that needs it and cannot load it fails with
 * the fix, instead of skipping.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { packageRoot, type NativeVecEnvConfig } from '../src/native.js';

/** Raw pixel-pipeline spec of `envPreprocessFrames`. */
export type NativeObsSpec = Pick<NativeVecEnvConfig, 'width' | 'height' | 'stack' | 'grayscale' | 'cropTop' | 'cropBottom' | 'cropLeft' | 'cropRight'>;

/** A plain console driven frame by frame, the reference the env tests compare the pool against. */
export interface RawEnvTestConsole {
  /** [sync] Error for a state the core rejects. */
  loadState(state: Uint8Array): void;
  /** [sync] One frame; `render` (default false) draws it, for `frame()`. */
  stepFrame(buttons: number, render?: boolean): void;
  /** [sync] A copy of the 2 KiB RAM. */
  ram(): Uint8Array;
  /** [sync] The last rendered frame's palette indices (256 x 240), a copy. */
  frame(): Uint8Array;
  /** [sync] RangeError for an address outside [0, 0x7FF] or a value outside [0, 255]. */
  poke(address: number, value: number): void;
  /** [sync] Frames through env::SkippedFrames (unrendered, then the last re-run with pixels), with RAM pokes (at, address, value) after frame `at`. RangeError for a bad poke. */
  skipFrames(buttons: Uint8Array, pokes: Int32Array): void;
}

/** Plain binary sum tree (native/replay/binary_sum_tree.h), the C++ baseline of bench/per.ts. */
export interface RawBinarySumTreeBaseline {
  /** [sync] RangeError for a bad index or priority. */
  set(indices: Int32Array, priorities: Float64Array): void;
  /** [sync] One descent per sample; seed -1 continues the stream. Error when the total is 0. */
  sample(out: Int32Array, seed: number): void;
  /** [sync] Never throws. */
  total(): number;
}

/** What the test addon exports (native/test_binding/). */
export interface NativeTestAddon {
  /** [sync] The core's 64-entry RGB palette (192 bytes). */
  envPaletteRgb(): Uint8Array;
  /** [sync] Frames through the preprocessor and one frame stack; the obs after each push. TypeError/RangeError for a bad spec or frame length. */
  envPreprocessFrames(spec: NativeObsSpec, frames: Uint8Array, maxPool: boolean): Uint8Array;
  /** [sync] SMB1 quantities decoded from a RAM image. */
  smb1ReadRam(ram: Uint8Array): Record<string, number | boolean>;
  /** [sync] SMB1 per-frame rewards over a RAM sequence; Error naming an unknown preset. */
  smb1Rewards(rams: Uint8Array, preset: string, distanceWeight?: number, scoreWeight?: number): { reward: Float32Array; components: Float32Array };
  /** [sync] A game's tile grid of a RAM image, rows x cols class ids (Game::WriteTiles). RangeError for an unknown game, one without a tile map or a size out of range. */
  envTileGrid(game: string, ram: Uint8Array, rows: number, cols: number): Uint8Array;
  /** [sync] Rewrites a save state's body checksum in place (SealState), so a crafted body reaches the field checks. TypeError/RangeError for a non-Uint8Array or one under 32 bytes. */
  nesSealState(state: Uint8Array): void;
  /** [sync] Visit counts, completions and stale writes of a thread-pool stress run; RangeError for bad sizes. */
  envThreadPoolCheck(numThreads: number, count: number, rounds: number): Uint32Array;
  /** [sync] Error naming the bad header field for a ROM the core cannot run. */
  EnvTestConsole: new (rom: Uint8Array) => RawEnvTestConsole;
  /** [sync] RangeError unless capacity is an integer in [1, 2^30]. */
  BinarySumTreeBaseline: new (capacity: number) => RawBinarySumTreeBaseline;
}

const TEST_ADDON_FILE = 'mario_rl_test.node';

/** Paths the test addon loader tries, in order: the cmake-js Release build, then Debug. */
export function testAddonCandidates(root = packageRoot()): string[] {
  return [join(root, 'build', 'Release', TEST_ADDON_FILE), join(root, 'build', 'Debug', TEST_ADDON_FILE)];
}

/** Loads the first candidate that loads; otherwise throws one Error listing each path and the fix. */
export function loadTestAddonFrom(candidates: readonly string[]): NativeTestAddon {
  const require = createRequire(import.meta.url);
  const attempts: string[] = [];
  for (const candidate of candidates) {
    if (!existsSync(candidate)) {
      attempts.push(`  ${candidate}: not found`);
      continue;
    }
    try {
      return require(candidate) as NativeTestAddon;
    } catch (err) {
      attempts.push(`  ${candidate}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(
    [
      `mario-rl's test addon (${TEST_ADDON_FILE}, the test hooks) could not be loaded. Tried:`,
      ...attempts,
      'Run `npm run build:native` to build it next to the shipped addon (`npm run build:gyp` does not build it).',
    ].join('\n'),
  );
}

let cached: NativeTestAddon | undefined;

/** Loads (once) and returns the test addon; throws saying to run `npm run build:native` if it is missing. */
export function loadTestAddon(): NativeTestAddon {
  cached ??= loadTestAddonFrom(testAddonCandidates());
  return cached;
}
