/**
 * The game-adapter interface of the jsnes VecEnv, the TypeScript twin of native/env/game.h: the
 * pool (vec-env.ts here) drives consoles only through these two types.
 *
 *   JsGame      one per VecEnv, immutable after construction: ROM check, action set, info and
 *               reward-component names, how to reach each start point, the tile map.
 *   JsGameLane  one per lane, owned by it: per-episode bookkeeping, reward, termination, the
 *               frames the agent never sees, the info fields.
 * The rules mirror the native adapters line for line (smb1.ts ~ smb1.cc, runner.ts ~ runner.cc);
 * tests/env/js/game-rules.test.ts runs both on one table of RAM sequences and compares every
 * reward, component, info field and tile grid, so they cannot drift apart silently.
 *
 * Rewards use float32 arithmetic (Math.fround after every operation), as the native adapters do.
 */
import type { JsnesCore } from '../../backend/jsnes-core.js';
import type { InesRom } from '../../backend/ines.js';
import { expectedMessage } from '../../validate.js';

/** Reward weights of one step (native `RewardWeights`, float32). */
export interface JsRewardWeights {
  distance: number;
  score: number;
}

/** Options a game is built from (validated in TS; the game re-checks its own names). */
export interface JsGameOptions {
  actions: string;
  stages: string[];
  reward: string;
}

/** Steps the frames a game skips (native `SkippedFrames`); jsnes renders every frame anyway. */
export interface JsSkippedFrames {
  step(buttons: number): void;
}

/** Per-lane rules (native `GameLane`). */
export interface JsGameLane {
  onReset(ram: Uint8Array): void;
  /** This frame's reward (float32); adds weighted components into `components`; returns terminated in `out`. */
  afterFrame(ram: Uint8Array, weights: JsRewardWeights, components: Float32Array, out: { terminated: boolean }): number;
  skipUnplayable(ram: Uint8Array, frames: JsSkippedFrames): void;
  /** info[f * stride + lane] for field f. */
  writeInfo(info: Int32Array, lane: number, stride: number): void;
  maxX(): number;
  reachedGoal(): boolean;
}

/**
 * What both games' lanes keep alike (native `GameLane`'s info, max x and goal bookkeeping): the
 * episode's info values, its max x and whether it reached the goal. A lane fills `info`, `bestX`
 * and `goal`; the three reads are here.
 */
export abstract class JsLaneRecord {
  protected readonly info: Int32Array;
  protected bestX = 0;
  protected goal = false;

  constructor(infoFields: number) {
    this.info = new Int32Array(infoFields);
  }

  writeInfo(info: Int32Array, lane: number, stride: number): void {
    for (let i = 0; i < this.info.length; i++) info[i * stride + lane] = this.info[i]!;
  }

  maxX(): number {
    return this.bestX;
  }

  reachedGoal(): boolean {
    return this.goal;
  }
}

/** A game (native `Game`). */
export interface JsGame {
  readonly name: string;
  checkRom(rom: InesRom): void;
  readonly numActions: number;
  actionButtons(action: number): number;
  readonly infoFields: readonly string[];
  readonly rewardComponents: readonly string[];
  readonly defaultWeights: JsRewardWeights;
  readonly numStartPoints: number;
  /** Boots a freshly powered-on console to start point `index`; its last frame is rendered. */
  buildStartPoint(index: number, core: JsnesCore): void;
  newLane(): JsGameLane;
  writeTiles(ram: Uint8Array, grid: TileGrid): void;
}

/** Tile classes (native `TileClass`; `TILE_CLASSES` names them). */
export const TILE_EMPTY = 0,
  TILE_SOLID = 1,
  TILE_ENEMY = 2,
  TILE_PLAYER = 3,
  TILE_ITEM = 4;
export const TILE_PIXELS = 16;
export const TILE_FIELD_TOP = 32;

/** floor(a / 16), for negative a too. */
export function floorDiv16(a: number): number {
  return Math.floor(a / TILE_PIXELS);
}

/** rows x cols class ids over a caller's buffer (native `TileGrid`). */
export class TileGrid {
  constructor(
    readonly cells: Uint8Array,
    readonly rows: number,
    readonly cols: number,
  ) {}
  set(row: number, col: number, cls: number): void {
    this.cells[row * this.cols + col] = cls;
  }
  /** An object: dropped outside the grid. */
  stamp(row: number, col: number, cls: number): void {
    if (row >= 0 && row < this.rows && col >= 0 && col < this.cols) this.set(row, col, cls);
  }
  /** An object that always shows (the player): clamped into the grid. */
  stampClamped(row: number, col: number, cls: number): void {
    this.set(Math.min(this.rows - 1, Math.max(0, row)), Math.min(this.cols - 1, Math.max(0, col)), cls);
  }
}

const A = 0x01,
  B = 0x02,
  UP = 0x10,
  DOWN = 0x20,
  LEFT = 0x40,
  RIGHT = 0x80;
/** gym-super-mario-bros action sets, in its order ('full' = all 256 button bytes). */
const ACTION_SETS: Record<string, readonly number[] | null> = {
  'right-only': [0, RIGHT, RIGHT | A, RIGHT | B, RIGHT | A | B],
  simple: [0, RIGHT, RIGHT | A, RIGHT | B, RIGHT | A | B, A, LEFT],
  complex: [0, RIGHT, RIGHT | A, RIGHT | B, RIGHT | A | B, A, LEFT, LEFT | A, LEFT | B, LEFT | A | B, DOWN, UP],
  full: null,
};

/** The buttons of an action set (null = all 256 bytes); RangeError naming `actions` otherwise. */
export function actionTable(name: string): readonly number[] | null {
  const key = name === 'right' ? 'right-only' : name;
  if (!(key in ACTION_SETS)) throw new RangeError(expectedMessage("one of 'right-only', 'simple', 'complex', 'full'", 'actions', name));
  return ACTION_SETS[key]!;
}

/** Clips to [-15, 15] in float32. */
export function clip15(r: number): number {
  return Math.fround(Math.min(15, Math.max(-15, r)));
}

/** Whether `needle` occurs in `hay` (ROM signature checks). */
export function containsBytes(hay: Uint8Array, needle: readonly number[]): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
