/**
 * A Go-Explore-style search for start states past traps (`mario-rl search-states`,
 * {@link searchStartStates}): Super Mario Bros. only, since it reads the player's state from RAM.
 *
 * Why: a trap such as 1-3's jump onto the tall tree is passed by 0.3–0.6 % of random tries from
 * the right place, so a policy (and an exploration bonus, whose new cells lie beyond it) may
 * never be paid for passing it (docs/results.md). The emulator can do what an agent cannot:
 * return to a state and try again. The search keeps an archive with one console state per
 * `cellPx`-wide x cell in which Mario stands alive on ground; each iteration picks a cell (cells
 * picked less often, and the ten cells nearest the frontier eight times as often), restores it,
 * plays random buttons (right-moving mostly, each held 1–8 agent steps of `frameSkip` frames)
 * for up to `segmentSteps` agent steps, and adds every on-ground cell it reaches that is new, or
 * reached in fewer agent steps from the stage start than before. It stops at the stage's end (the flagpole, or the axe in a castle).
 *
 * The result lists, for every cell at x ≥ `minX`, the states along the segment that reached it
 * (every second agent step after the cell it started in: mid-jump states included) and the cell's
 * own state. Written as a start-state file and given to training with
 * `--start-states.file F --start-states.keep-file true`, the agent practises every stretch of the
 * stage, jumps included, from states it could not reach yet (Go-Explore's "robustify" phase, here
 * with PPO and the start-state queue).
 *
 * Deterministic: the same ROM, stage and options give byte-identical states.
 */
import { readSmb1, SMB1_FLOAT_STATE } from '../env/js/smb1.js';
import { VecEnv } from '../env/vec-env.js';
import { Nes } from '../nes.js';
import { expectInteger, expectOptions, rejectUnknownKeys } from '../validate.js';
import { parseStageList } from './stages.js';

/** Buttons a segment draws from: right, right+A, right+B, right+A+B (the last two twice), A, nothing, left. */
const SEGMENT_BUTTONS = [0x80, 0x81, 0x82, 0x83, 0x82, 0x83, 0x01, 0x00, 0x40];
/** Cells within this many of the frontier (the largest x cell) are picked more often … */
const FRONTIER_CELLS = 6;
/** … by this factor. */
const FRONTIER_FACTOR = 8;

/** Options of {@link searchStartStates}. */
export interface StateSearchOptions {
  /** The Super Mario Bros. ROM. */
  rom: Uint8Array;
  /** The stage, 'W-S' (e.g. '1-3'). */
  stage: string;
  /** Iterations (restore a cell, play one random segment). Default 3,000. */
  iterations?: number;
  /** Only cells at x ≥ this (px) and their segments go into the result. Default 0. */
  minX?: number;
  /** … and at x ≤ this (px), e.g. to focus on one trap. Default 65,535. */
  maxX?: number;
  /** Width of an archive cell in px. Default 32. */
  cellPx?: number;
  /** Longest random segment, in agent steps. Default 60. */
  segmentSteps?: number;
  /** Frames per agent step. Default 4. */
  frameSkip?: number;
  /** Seed of the random buttons. Default 1. */
  seed?: number;
  /** Called every 500 iterations (and at the end) with the progress so far. */
  onProgress?: (progress: { iteration: number; cells: number; maxX: number }) => void;
}

/** What {@link searchStartStates} found. */
export interface StateSearchResult {
  /** States of the cells at minX ≤ x ≤ maxX and of their segments, by cell x (a start-state file's list). */
  states: Uint8Array[];
  /** Cells in the archive. */
  cells: number;
  /** Largest x at which Mario stood on ground. */
  maxX: number;
  /** The x at which a segment reached the stage's end (flagpole or axe), or null. */
  flagX: number | null;
  /** Iterations run (fewer than asked when the end was reached). */
  iterations: number;
}

interface Cell {
  state: Uint8Array;
  /** Agent steps from the stage start along the segments that found it. */
  steps: number;
  picked: number;
  /** States along the segment that reached it (every second agent step). */
  path: Uint8Array[];
}

/** Runs the search (see the file comment); errors name the option. */
export function searchStartStates(options: StateSearchOptions): StateSearchResult {
  const o = expectOptions<StateSearchOptions>(options, 'searchStartStates options');
  rejectUnknownKeys(o, 'searchStartStates options', [
    'rom',
    'stage',
    'iterations',
    'minX',
    'maxX',
    'cellPx',
    'segmentSteps',
    'frameSkip',
    'seed',
    'onProgress',
  ]);
  if (!(o.rom instanceof Uint8Array)) throw new TypeError('Expected a Uint8Array (the Super Mario Bros. ROM) for rom');
  const stage = parseStageList(String(o.stage), 'smb1', 'stage');
  if (stage.names.length !== 1) throw new RangeError(`Expected one stage like '1-3' for stage but received ${JSON.stringify(o.stage)}`);
  const iterations = expectInteger(o.iterations ?? 3000, 'iterations', 1, 10_000_000);
  const minX = expectInteger(o.minX ?? 0, 'minX', 0, 65_535);
  const maxX = expectInteger(o.maxX ?? 65_535, 'maxX', minX, 65_535);
  const cellPx = expectInteger(o.cellPx ?? 32, 'cellPx', 1, 4096);
  const segmentSteps = expectInteger(o.segmentSteps ?? 60, 'segmentSteps', 1, 10_000);
  const frameSkip = expectInteger(o.frameSkip ?? 4, 'frameSkip', 1, 60);
  let seed = expectInteger(o.seed ?? 1, 'seed', 0, 2 ** 32 - 1);

  // The stage's start from a VecEnv (it knows how to reach any stage), then one console.
  const env = new VecEnv({ game: 'smb1', rom: o.rom, numEnvs: 1, stages: stage.names, noopMax: 0 });
  let start: Uint8Array;
  try {
    env.reset();
    start = env.saveStates([0])[0]!;
  } finally {
    env.close();
  }
  const nes = new Nes(o.rom);
  try {
    nes.loadState(start);
    // The player's state as the jsnes backend's SMB1 adapter reads it (the native adapter's rules).
    const ram = nes.ram;
    // A 32-bit LCG (Numerical Recipes' constants): fast and the same everywhere.
    const random = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    const startX = readSmb1(ram).xPos;
    const archive = new Map<number, Cell>([[Math.floor(startX / cellPx), { state: start, steps: 0, picked: 0, path: [] }]]);
    let reached = startX;
    let flagX: number | null = null;
    let it = 0;
    for (; it < iterations && flagX === null; it++) {
      if (it % 500 === 0) o.onProgress?.({ iteration: it, cells: archive.size, maxX: reached });
      const keys = [...archive.keys()];
      const frontier = Math.max(...keys) - FRONTIER_CELLS;
      const weights = keys.map((k) => (k >= frontier ? FRONTIER_FACTOR : 1) / Math.sqrt(1 + archive.get(k)!.picked));
      let r = random() * weights.reduce((a, b) => a + b, 0);
      let from = archive.get(keys.at(-1)!)!;
      for (let i = 0; i < keys.length; i++) {
        r -= weights[i]!;
        if (r <= 0) {
          from = archive.get(keys[i]!)!;
          break;
        }
      }
      from.picked++;
      nes.loadState(from.state);
      const path: Uint8Array[] = [];
      let steps = 0;
      segment: while (steps < segmentSteps) {
        const buttons = SEGMENT_BUTTONS[Math.floor(random() * SEGMENT_BUTTONS.length)]!;
        const hold = 1 + Math.floor(random() * 8);
        for (let k = 0; k < hold && steps < segmentSteps; k++, steps++) {
          if (steps > 0 && steps % 2 === 0) path.push(nes.saveState());
          for (let f = 0; f < frameSkip; f++) nes.stepFrame(buttons, { render: false });
          const now = readSmb1(ram);
          if (now.flagGet) {
            flagX = now.xPos;
            break segment;
          }
          if (now.dying || now.dead) break segment;
          if (ram[SMB1_FLOAT_STATE] !== 0) continue; // in the air
          const key = Math.floor(now.xPos / cellPx);
          const known = archive.get(key);
          const total = from.steps + steps + 1;
          if (!known || total < known.steps) {
            archive.set(key, { state: nes.saveState(), steps: total, picked: known?.picked ?? 0, path: path.slice() });
            reached = Math.max(reached, now.xPos);
          }
        }
      }
    }
    o.onProgress?.({ iteration: it, cells: archive.size, maxX: reached });
    const states: Uint8Array[] = [];
    for (const [key, cell] of [...archive].sort((a, b) => a[0] - b[0])) {
      if (key * cellPx >= minX && key * cellPx <= maxX) states.push(...cell.path, cell.state);
    }
    return { states, cells: archive.size, maxX: reached, flagX, iterations: it };
  } finally {
    nes.close();
  }
}
