/**
 * Mutation fuzzing of the parsers users feed files to, beside the native ROM/state fuzzer
 * (docs/fuzzing.md): checkpoint files (`decodeCheckpoint`), safetensors (`decodeSafetensors`),
 * config JSON (`loadConfigFile`), and save states (`Nes.loadState`, `VecEnv.setStartStates`).
 *
 * Each target starts from a valid input and mutates it two ways, from a seeded stream (the same
 * seed replays the same inputs):
 *   - bytes: bit flips, overwritten runs, truncation, appended bytes — what a torn or corrupted
 *     file looks like (the CRCs and checksums should catch most of it);
 *   - crafted: the structure edited (a JSON value replaced by a value of another type or range, a
 *     key added or removed; a state's body bytes flipped) and the CRC / checksum / length fields
 *     re-sealed, so the parser's field checks, not its checksum, must reject it.
 * An input is either accepted (and then used: a state is run for a few frames, a checkpoint's
 * sections read) or rejected with a clear error. A finding is any other outcome: an error a
 * JavaScript engine raises on its own (`Cannot read properties of null`, `x is not iterable`,
 * `Invalid typed array length`, ...), an error of the wrong kind for the target (a checkpoint
 * error that is not a CheckpointError), or a crash. Run by scripts/parser-fuzz.ts (long) and
 * tests/run/parser-fuzz.test.ts (short, fixed seed).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { concatBytes } from '../src/bytes.js';
import { VecEnv } from '../src/env/vec-env.js';
import { loadRunnerRom } from '../src/games/runner.js';
import { Nes } from '../src/nes.js';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint } from '../src/run/checkpoint-store.js';
import { decodeSafetensors, encodeSafetensors } from '../src/runtime/safetensors.js';
import { loadConfigFile } from '../src/train/config.js';
import { crc32c } from '../src/util/crc32c.js';
import { Rng } from '../src/util/rng.js';

/** The parsers fuzzed. */
export const PARSER_TARGETS = ['checkpoint', 'safetensors', 'config', 'nes-state', 'start-states'] as const;
export type ParserTarget = (typeof PARSER_TARGETS)[number];

/** Counts of one target. */
export interface TargetStats {
  inputs: number;
  accepted: number;
  rejected: number;
  /** Inputs whose outcome was a finding (see the file comment); the first few are in `examples`. */
  findings: number;
  examples: string[];
}

/** Options of {@link fuzzParsers}. */
export interface ParserFuzzOptions {
  seed: number;
  /** Inputs per target. */
  iterations: number;
  targets?: readonly ParserTarget[];
  /**
   * Called with each test addon hook the state targets need (`nesSealState`), or undefined when
   * the test addon is not built: then the crafted state mutations are skipped (bytes only).
   */
  sealState?: (state: Uint8Array) => void;
}

/** Messages JavaScript engines write for a parser that trusted its input; never a clear error. */
const ENGINE_ERROR =
  /Cannot read propert|Cannot set propert|Cannot convert|is not a function|is not iterable|is not an object|is not defined|Invalid (typed )?array length|Maximum call stack|Invalid time value|Array buffer allocation failed|out of memory|Offset is outside the bounds|Start offset .* is outside|of undefined|of null/i;

/** A rejection is clear when it is an Error that is not an engine message and, where given, of the expected class. */
function clearRejection(err: unknown, ok?: (e: Error) => boolean): string | null {
  if (!(err instanceof Error)) return `threw a non-Error: ${String(err)}`;
  if (ENGINE_ERROR.test(err.message)) return `${err.name}: ${err.message}`;
  if (ok && !ok(err)) return `unexpected ${err.name}: ${err.message}`;
  return null;
}

// ---- mutations

function mutateBytes(base: Uint8Array, rng: Rng, headerBias = 64): Uint8Array {
  let b = Uint8Array.from(base);
  const ops = 1 + rng.nextInt(4);
  for (let k = 0; k < ops; k++) {
    const op = rng.nextInt(5);
    if (op === 0 && b.length) {
      // bit flips, half of them in the first bytes (magic, lengths, CRCs)
      const at = rng.nextInt(2) ? rng.nextInt(Math.min(headerBias, b.length)) : rng.nextInt(b.length);
      b[at]! ^= 1 << rng.nextInt(8);
    } else if (op === 1 && b.length) {
      const at = rng.nextInt(b.length);
      const len = Math.min(b.length - at, 1 + rng.nextInt(16));
      const v = [0, 0xff, 0x7f, 0x80][rng.nextInt(4)]!;
      b.fill(v, at, at + len);
    } else if (op === 2) {
      b = b.slice(0, rng.nextInt(b.length + 1));
    } else if (op === 3) {
      const extra = new Uint8Array(1 + rng.nextInt(64)).map(() => rng.nextInt(256));
      const out = new Uint8Array(b.length + extra.length);
      out.set(b);
      out.set(extra, b.length);
      b = out;
    } else if (b.length >= 8) {
      // a 32-bit little-endian field set to an interesting value
      const at = rng.nextInt(Math.min(headerBias, b.length - 4));
      const v = [0, 1, 0x7fffffff, 0xffffffff, 0x80000000, b.length, b.length + 1][rng.nextInt(7)]!;
      new DataView(b.buffer, b.byteOffset).setUint32(at, v >>> 0, true);
    }
  }
  return b;
}

const JUNK: unknown[] = [null, true, 0, -1, 1.5, 2 ** 31, 2 ** 53, -(2 ** 53), 1e308, '', 'x', '1', [], [1, 2], [-1, 5], {}, { a: 1 }, [[]], 'NaN'];

/** Every path (array of keys) to a value in a JSON value. */
function paths(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

/** A copy of a JSON value with 1–3 edits: a value replaced by junk, a key removed, or a key added. */
function mutateJson(value: unknown, rng: Rng): unknown {
  let root = structuredClone(value) as unknown;
  const edits = 1 + rng.nextInt(3);
  for (let e = 0; e < edits; e++) {
    const all = paths(root);
    const path = all[rng.nextInt(all.length)]!;
    const junk = structuredClone(JUNK[rng.nextInt(JUNK.length)]);
    if (path.length === 0) {
      root = rng.nextInt(4) === 0 ? junk : root;
      continue;
    }
    let parent = root as Record<string | number, unknown>;
    for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
    const key = path[path.length - 1]!;
    const op = rng.nextInt(6);
    if (op === 0 && !Array.isArray(parent)) delete parent[key];
    else if (op === 1 && parent && typeof parent === 'object' && !Array.isArray(parent)) parent[`fuzz${rng.nextInt(100)}`] = junk;
    else parent[key] = junk;
  }
  return root;
}

// ---- targets

interface Target {
  /** A mutated input and whether it was crafted (re-sealed). */
  make(rng: Rng): unknown;
  /** Feeds the input; returns normally when accepted, throws when rejected. */
  feed(input: unknown): void;
  /** Class check of a rejection (undefined: any clear Error). */
  ok?: (e: Error) => boolean;
  dispose?(): void;
}

function checkpointTarget(): Target {
  const sections = { 'learner.weights': new Uint8Array(200).map((_, i) => i), 'run.window': new TextEncoder().encode('[1,2,3]') };
  const header = { globalStep: 128, globalUpdate: 2, runId: 'fuzz', config: { algo: 'ppo', seed: 1 } };
  const base = concatBytes(...encodeCheckpoint(header, sections, { savedAt: 1 }));
  const headerLength = new DataView(base.buffer).getUint32(12, true);
  const headerJson = JSON.parse(new TextDecoder().decode(base.subarray(24, 24 + headerLength))) as unknown;
  const data = base.subarray(align64(24 + headerLength));
  return {
    make: (rng) => {
      if (rng.nextInt(2)) return mutateBytes(base, rng, 96);
      // crafted: the header JSON edited, its length, CRC and the padding re-sealed
      const h = new TextEncoder().encode(JSON.stringify(mutateJson(headerJson, rng)) ?? 'null');
      const out = new Uint8Array(align64(24 + h.length) + data.length);
      out.set(base.subarray(0, 24));
      const view = new DataView(out.buffer);
      view.setUint32(12, h.length, true);
      view.setUint32(16, crc32c(h), true);
      out.set(h, 24);
      out.set(data, align64(24 + h.length));
      return out;
    },
    feed: (input) => {
      const c = decodeCheckpoint(input as Uint8Array, 'fuzz.ckpt');
      for (const s of Object.values(c.sections)) void s.length;
    },
    ok: (e) => e instanceof CheckpointError,
  };
}

function safetensorsTarget(): Target {
  const base = encodeSafetensors(
    new Map([
      ['conv.weight', { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) }],
      ['step', { shape: [1], data: new BigInt64Array([7n]) }],
      ['mask', { shape: [4], data: new Uint8Array([1, 0, 1, 0]) }],
    ]),
    { format: 'pt' },
  );
  const len = Number(new DataView(base.buffer).getBigUint64(0, true));
  const headerJson = JSON.parse(new TextDecoder().decode(base.subarray(8, 8 + len))) as unknown;
  const data = base.subarray(8 + len);
  return {
    make: (rng) => {
      if (rng.nextInt(2)) return mutateBytes(base, rng, 16);
      const h = new TextEncoder().encode(JSON.stringify(mutateJson(headerJson, rng)) ?? 'null');
      const out = new Uint8Array(8 + h.length + data.length);
      new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
      out.set(h, 8);
      out.set(data, 8 + h.length);
      return out;
    },
    feed: (input) => {
      const { tensors } = decodeSafetensors(input);
      for (const t of tensors.values()) void t.data.length;
    },
  };
}

function configTarget(): Target {
  const dir = mkdtempSync(join(tmpdir(), 'mario-rl-config-fuzz-'));
  const file = join(dir, 'config.json');
  const base = {
    algo: 'ppo',
    network: 'baseline',
    seed: 3,
    totalSteps: 100_000,
    env: { width: 42, height: 42, frameSkip: 4, stages: ['1'], reward: 'v0' },
    ppo: { numEnvs: 2, numSteps: 32, epochs: 2, minibatches: 2, learningRate: 'linear:2.5e-4:0' },
    checkpoint: { interval: 2, keep: 3 },
    log: { heartbeatSeconds: 10, tensorboard: true },
    eval: { episodes: 2, interval: 5 },
  };
  const text = JSON.stringify(base, null, 2);
  return {
    make: (rng) => {
      if (rng.nextInt(3) === 0) return new TextDecoder().decode(mutateBytes(new TextEncoder().encode(text), rng, text.length));
      return JSON.stringify(mutateJson(base, rng)) ?? 'null';
    },
    feed: (input) => {
      writeFileSync(file, input as string);
      loadConfigFile(file);
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function stateTargets(sealState: ((s: Uint8Array) => void) | undefined): { nes: Target; vec: Target } {
  const rom = loadRunnerRom();
  const nes = new Nes(rom);
  // A state a few seconds into the game, with the player moving.
  for (let f = 0; f < 240; f++) nes.stepFrame(f % 40 < 30 ? 0x81 : 0x01);
  const base = nes.saveState();
  const make = (rng: Rng): Uint8Array => {
    if (!sealState || rng.nextInt(3) === 0) return mutateBytes(base, rng, 32);
    // crafted: body bytes flipped (half in the first 256, where registers and clocks live), checksum re-sealed
    const s = Uint8Array.from(base);
    const flips = 1 + rng.nextInt(32);
    for (let k = 0; k < flips; k++) {
      const at = 32 + (rng.nextInt(2) ? rng.nextInt(256) : rng.nextInt(s.length - 32));
      s[at] = rng.nextInt(4) === 0 ? [0, 0xff, 0x80, 0x7f][rng.nextInt(4)]! : s[at]! ^ (1 << rng.nextInt(8));
    }
    sealState(s);
    return s;
  };
  const env = new VecEnv({ game: 'runner', numEnvs: 2, numThreads: 1, obs: 'tiles', seed: 1 });
  env.reset({ seed: 1 });
  const actions = new Int32Array(2);
  return {
    nes: {
      make,
      feed: (input) => {
        nes.loadState(input as Uint8Array);
        for (let f = 0; f < 3; f++) nes.stepFrame(0x81);
      },
      ok: (e) => e.message.startsWith('Invalid save state:') || e.message.startsWith('Expected'),
      dispose: () => nes.close(),
    },
    vec: {
      make,
      feed: (input) => {
        env.setStartStates([input as Uint8Array], 'fixed');
        env.reset({ seed: 1 });
        for (let t = 0; t < 3; t++) env.step(actions);
      },
      ok: (e) => /Invalid save state|^Expected|states\[0\]/.test(e.message),
      dispose: () => env.close(),
    },
  };
}

function align64(n: number): number {
  return Math.ceil(n / 64) * 64;
}

/** Fuzzes each target with `iterations` inputs from `seed`; returns the counts per target. */
export function fuzzParsers(o: ParserFuzzOptions): Record<ParserTarget, TargetStats> {
  const wanted = o.targets ?? PARSER_TARGETS;
  const states = wanted.includes('nes-state') || wanted.includes('start-states') ? stateTargets(o.sealState) : undefined;
  const build: Record<ParserTarget, () => Target> = {
    checkpoint: checkpointTarget,
    safetensors: safetensorsTarget,
    config: configTarget,
    'nes-state': () => states!.nes,
    'start-states': () => states!.vec,
  };
  const out = {} as Record<ParserTarget, TargetStats>;
  for (const name of PARSER_TARGETS) {
    if (!wanted.includes(name)) continue;
    const target = build[name]();
    const stats: TargetStats = { inputs: 0, accepted: 0, rejected: 0, findings: 0, examples: [] };
    const rng = new Rng(o.seed, PARSER_TARGETS.indexOf(name));
    try {
      for (let i = 0; i < o.iterations; i++) {
        const input = target.make(rng);
        stats.inputs++;
        try {
          target.feed(input);
          stats.accepted++;
        } catch (err) {
          const finding = clearRejection(err, target.ok);
          if (finding === null) stats.rejected++;
          else {
            stats.findings++;
            if (stats.examples.length < 5) stats.examples.push(`input ${i}: ${finding}`);
          }
        }
      }
    } finally {
      target.dispose?.();
    }
    out[name] = stats;
  }
  return out;
}
