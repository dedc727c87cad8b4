/**
 * The built-in game's adapter for the jsnes VecEnv: native/env/runner.cc in TypeScript (RAM map
 * in docs/builtin-game.md and RUNNER_RAM). Same rules, names and float32 arithmetic;
 * tests/env/js/game-rules.test.ts compares the two.
 */
import type { JsnesCore } from '../../backend/jsnes-core.js';
import type { InesRom } from '../../backend/ines.js';
import { expectedMessage } from '../../validate.js';
import {
  actionTable,
  containsBytes,
  floorDiv16,
  TILE_EMPTY,
  TILE_ENEMY,
  TILE_FIELD_TOP,
  TILE_ITEM,
  TILE_PIXELS,
  TILE_PLAYER,
  TILE_SOLID,
  JsLaneRecord,
  type JsGame,
  type JsGameLane,
  type JsGameOptions,
  type JsRewardWeights,
  type JsSkippedFrames,
  type TileGrid,
} from './game.js';

const MODE = 0x20,
  STAGE = 0x21,
  LIVES = 0x22,
  PLAYER_STATE = 0x23,
  X_LOW = 0x24,
  X_HIGH = 0x25,
  Y = 0x27,
  CAMERA_LOW = 0x30,
  CAMERA_HIGH = 0x31,
  CLOCK = 0x32,
  STOMPS = 0x3a,
  FLAG_COLUMN = 0x3b,
  WALKER_STATE = 0x40,
  WALKER_X_LOW = 0x46,
  WALKER_X_HIGH = 0x4c,
  WALKER_Y = 0x52,
  LEVEL = 0x0400;
const MODE_PLAYING = 1,
  MODE_GAME_OVER = 2;
const ALIVE = 0,
  DYING = 1,
  DEAD = 2,
  CLEARED = 3;
const LEVEL_COLUMNS = 64,
  SCREEN_ROWS = 15,
  WALKER_SLOTS = 6,
  WALKING = 1;
const BOOT_IDLE_FRAMES = 10,
  MAX_LOAD_FRAMES = 30,
  MAX_SKIP_FRAMES = 2000;
const FLAG_BONUS = 50,
  DEATH_PENALTY = -25,
  CLIP = 15;
const BUTTON_START = 0x08;

/** Info fields, in order (native kInfoFields). */
export const RUNNER_INFO_FIELDS = Object.freeze(['xPos', 'yPos', 'stage', 'lives', 'time', 'flagGet', 'playerState', 'dying', 'stomps']);
/** Reward components, in order. */
export const RUNNER_REWARD_COMPONENTS = Object.freeze(['distance', 'time', 'flag', 'death']);

interface Snapshot {
  xPos: number;
  yPos: number;
  stage: number;
  lives: number;
  time: number;
  playerState: number;
  stomps: number;
  dying: boolean;
  dead: boolean;
  cleared: boolean;
  gameOver: boolean;
  playing: boolean;
}

function read(ram: Uint8Array): Snapshot {
  const playing = ram[MODE] === MODE_PLAYING;
  const playerState = ram[PLAYER_STATE]!;
  return {
    xPos: ram[X_HIGH]! * 256 + ram[X_LOW]!,
    yPos: 255 - ram[Y]!,
    stage: ram[STAGE]! + 1,
    lives: ram[LIVES]!,
    time: ram[CLOCK]! * 100 + ram[CLOCK + 1]! * 10 + ram[CLOCK + 2]!,
    playerState,
    stomps: ram[STOMPS]!,
    playing,
    gameOver: ram[MODE] === MODE_GAME_OVER,
    dying: playing && playerState === DYING,
    dead: playing && playerState === DEAD,
    cleared: playing && playerState === CLEARED,
  };
}

/** native `WriteRunnerTiles`. */
export function writeRunnerTiles(ram: Uint8Array, grid: TileGrid): void {
  const firstCol = Math.floor((ram[CAMERA_HIGH]! * 256 + ram[CAMERA_LOW]!) / TILE_PIXELS);
  const firstRow = TILE_FIELD_TOP / TILE_PIXELS;
  for (let c = 0; c < grid.cols; c++) {
    const col = firstCol + c;
    const column = col < LEVEL_COLUMNS ? ram[LEVEL + col]! : 0;
    const ground = col < LEVEL_COLUMNS ? SCREEN_ROWS - (column & 0x0f) : SCREEN_ROWS;
    const brick = column >> 4;
    const pole = col === ram[FLAG_COLUMN];
    for (let r = 0; r < grid.rows; r++) {
      const y = firstRow + r;
      let cls = TILE_EMPTY;
      if (y < SCREEN_ROWS && (y >= ground || (brick !== 0 && y === brick))) cls = TILE_SOLID;
      else if (y < SCREEN_ROWS && pole) cls = TILE_ITEM;
      grid.set(r, c, cls);
    }
  }
  const rowOf = (y: number) => floorDiv16(y + TILE_PIXELS / 2) - firstRow;
  const colOf = (x: number) => floorDiv16(x + TILE_PIXELS / 2) - firstCol;
  for (let i = 0; i < WALKER_SLOTS; i++) {
    if (ram[WALKER_STATE + i] !== WALKING) continue;
    grid.stamp(rowOf(ram[WALKER_Y + i]!), colOf(ram[WALKER_X_HIGH + i]! * 256 + ram[WALKER_X_LOW + i]!), TILE_ENEMY);
  }
  grid.stampClamped(rowOf(ram[Y]!), colOf(ram[X_HIGH]! * 256 + ram[X_LOW]!), TILE_PLAYER);
}

/** Stage 1..3 from '1', '2', '3' or '1-1', '1-2', '1-3' (native `ParseStage`). */
function parseStage(text: string): number {
  if (/^[1-3]$/.test(text)) return Number(text);
  if (/^1-[1-3]$/.test(text)) return Number(text[2]);
  throw new RangeError(expectedMessage("a runner stage '1', '2' or '3' (or '1-1', '1-2', '1-3')", 'stages', text));
}

const f = Math.fround;

class RunnerLane extends JsLaneRecord implements JsGameLane {
  #xLast = 0;
  #timeLast = 0;
  #flagPaid = false;

  constructor(readonly singleStage: boolean) {
    super(RUNNER_INFO_FIELDS.length);
  }

  onReset(ram: Uint8Array): void {
    const s = read(ram);
    this.#xLast = s.xPos;
    this.#timeLast = s.time;
    this.bestX = s.xPos;
    this.#flagPaid = false;
    this.goal = false;
    this.#capture(s);
  }

  afterFrame(ram: Uint8Array, weights: JsRewardWeights, components: Float32Array, out: { terminated: boolean }): number {
    const s = read(ram);
    let dx = s.xPos - this.#xLast;
    if (dx < -5 || dx > 5) dx = 0;
    const dtime = Math.min(0, s.time - this.#timeLast);
    const newFlag = s.cleared && !this.#flagPaid;
    if (newFlag) this.#flagPaid = true;
    if (!s.cleared) this.#flagPaid = false;
    this.#xLast = s.xPos;
    this.#timeLast = s.time;
    const c = [f(weights.distance * dx), dtime, newFlag ? FLAG_BONUS : 0, s.dying || s.dead ? DEATH_PENALTY : 0];
    for (let i = 0; i < 4; i++) components[i] = f(components[i]! + c[i]!);
    const reward = f(Math.min(CLIP, Math.max(-CLIP, f(f(f(c[0]! + c[1]!) + c[2]!) + c[3]!))));
    this.goal = this.goal || s.cleared;
    const lastDeath = (s.dying || s.dead) && s.lives <= 1;
    out.terminated = this.singleStage ? s.dying || s.dead || s.cleared : lastDeath || s.gameOver;
    this.#capture(s);
    return reward;
  }

  skipUnplayable(ram: Uint8Array, frames: JsSkippedFrames): void {
    for (let i = 0; i < MAX_SKIP_FRAMES; i++) {
      const s = read(ram);
      if ((s.playing && s.playerState === ALIVE) || s.gameOver) break;
      frames.step(0);
    }
    this.#xLast = read(ram).xPos;
  }

  #capture(s: Snapshot): void {
    const v = this.info;
    v[0] = s.xPos;
    v[1] = s.yPos;
    v[2] = s.stage;
    v[3] = s.lives;
    v[4] = s.time;
    v[5] = s.cleared ? 1 : 0;
    v[6] = s.playerState;
    v[7] = s.dying ? 1 : 0;
    v[8] = s.stomps;
    this.bestX = Math.max(this.bestX, s.xPos);
  }
}

/** The built-in game (native `RunnerGame`). */
export class RunnerGame implements JsGame {
  readonly name = 'runner';
  readonly infoFields = RUNNER_INFO_FIELDS;
  readonly rewardComponents = RUNNER_REWARD_COMPONENTS;
  readonly defaultWeights: JsRewardWeights = { distance: 1, score: 0 };
  readonly numActions: number;
  readonly numStartPoints: number;
  readonly #actions: readonly number[] | null;
  readonly #stages: number[];
  readonly #singleStage: boolean;

  constructor(options: JsGameOptions) {
    if (options.reward !== 'v0') throw new RangeError(expectedMessage("'v0' (the only preset of game 'runner')", 'reward', options.reward));
    this.#actions = actionTable(options.actions);
    this.numActions = this.#actions ? this.#actions.length : 256;
    this.#stages = options.stages.map(parseStage);
    this.#singleStage = this.#stages.length > 0;
    if (this.#stages.length === 0) this.#stages.push(1);
    this.numStartPoints = this.#stages.length;
  }

  checkRom(rom: InesRom): void {
    const what = "the runner ROM (mapper 0, 16 KiB PRG, 8 KiB CHR, title 'RUNNER')";
    const found = `a ROM with mapper ${rom.mapper}, ${rom.prg.length / 1024} KiB PRG and ${rom.chr.length / 1024} KiB CHR`;
    if (rom.mapper !== 0 || rom.prg.length !== 16 * 1024 || rom.chr.length !== 8 * 1024) throw new TypeError(`Expected ${what} for rom but received ${found}`);
    const text = (s: string) => [...s].map((ch) => ch.charCodeAt(0));
    if (!containsBytes(rom.prg, text('RUNNER')) || !containsBytes(rom.prg, text('PRESS START'))) {
      throw new TypeError(`Expected ${what} for rom but received ${found} without runner's title text`);
    }
  }

  actionButtons(action: number): number {
    return this.#actions ? this.#actions[action]! : action;
  }

  buildStartPoint(index: number, core: JsnesCore): void {
    const ram = core.ramView();
    for (let i = 0; i < BOOT_IDLE_FRAMES; i++) core.stepFrame(0, true);
    ram[STAGE] = this.#stages[index]! - 1;
    core.stepFrame(BUTTON_START, true);
    for (let i = 0; !read(ram).playing || ram[PLAYER_STATE] !== ALIVE; i++) {
      if (i >= MAX_LOAD_FRAMES) {
        throw new Error(`runner: the stage did not start within ${MAX_LOAD_FRAMES} frames of START (is this the runner ROM, and does the emulator run it?)`);
      }
      core.stepFrame(0, true);
    }
  }

  newLane(): JsGameLane {
    return new RunnerLane(this.#singleStage);
  }

  writeTiles(ram: Uint8Array, grid: TileGrid): void {
    writeRunnerTiles(ram, grid);
  }
}
