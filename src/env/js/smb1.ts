/**
 * Super Mario Bros. adapter of the jsnes VecEnv: native/env/smb1.{h,cc} in TypeScript (RAM rules
 * from the SMB RAM map reference, gym-super-mario-bros semantics). Same names, same order, same
 * float32 arithmetic; tests/env/js/game-rules.test.ts compares the two on one table of cases.
 */
import type { JsnesCore } from '../../backend/jsnes-core.js';
import type { InesRom } from '../../backend/ines.js';
import { expectedMessage } from '../../validate.js';
import {
  actionTable,
  clip15,
  containsBytes,
  floorDiv16,
  TILE_EMPTY,
  TILE_ENEMY,
  TILE_FIELD_TOP,
  TILE_ITEM,
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

// RAM addresses (smb1.h).
const PLAYER_STATE = 0x000e,
  FLOAT_STATE = 0x001d,
  ENEMY_TYPES = 0x0016,
  X_PAGE = 0x006d,
  X_PIXEL = 0x0086,
  Y_VIEWPORT = 0x00b5,
  Y_PIXEL = 0x03b8,
  SCREEN_LEFT = 0x071c,
  CHANGE_AREA_TIMER = 0x06de,
  POWER_UP = 0x0756,
  LIVES = 0x075a,
  STAGE = 0x075c,
  WORLD = 0x075f,
  AREA = 0x0760,
  GAME_MODE = 0x0770,
  PRE_LEVEL_TIMER = 0x07a0,
  SCORE = 0x07de,
  COINS = 0x07ed,
  TIME = 0x07f8;
const METATILES = 0x0500,
  PARSER_PAGE = 0x0725,
  PARSER_COLUMN = 0x0726,
  SCREEN_LEFT_PAGE = 0x071a,
  OBJECT_ACTIVE = 0x000f,
  OBJECT_X_PAGE = 0x006e,
  OBJECT_X_PIXEL = 0x0087,
  OBJECT_Y_VIEWPORT = 0x00b6,
  OBJECT_Y_PIXEL = 0x00cf,
  PLAYER_Y_PIXEL = 0x00ce,
  OAM_SHADOW = 0x0200,
  OBJECT_SPRITE_OFFSET = 0x06e5;
const METATILE_ROWS = 13,
  METATILE_PAGE = 0xd0,
  ENEMY_SLOTS = 5,
  POWER_UP_SLOT = 5,
  SLOT_SPRITES = 6;
const STATE_DEAD = 0x06,
  STATE_DYING = 0x0b,
  STATE_FLAGPOLE = 0x04,
  ENEMY_BOWSER = 0x2d,
  ENEMY_FLAGPOLE = 0x31,
  POWER_UP_OBJECT = 0x2e;
const BUTTON_START = 0x08;
/** RAM address of the player's float state: 0 on ground, 1 jumping, 2 falling, 3 on the flagpole. */
export const SMB1_FLOAT_STATE = FLOAT_STATE;
const MAX_BOOT_FRAMES = 4000;
const MAX_SKIP_FRAMES = 2000;

/** Info fields, in order (native kInfoFields). */
export const SMB1_INFO_FIELDS = Object.freeze([
  'xPos',
  'yPos',
  'world',
  'stage',
  'area',
  'lives',
  'coins',
  'score',
  'time',
  'status',
  'flagGet',
  'playerState',
  'dying',
]);
/** Reward components, in order (native kComponentNames). */
export const SMB1_REWARD_COMPONENTS = Object.freeze(['distance', 'time', 'score', 'coin', 'powerUp', 'flag', 'death']);

/** Decoded quantities of one RAM snapshot (native `smb1::Snapshot`). */
export interface Smb1Snapshot {
  xPos: number;
  yPos: number;
  world: number;
  stage: number;
  area: number;
  lives: number;
  coins: number;
  score: number;
  time: number;
  status: number;
  playerState: number;
  dying: boolean;
  dead: boolean;
  busy: boolean;
  flagGet: boolean;
  worldOver: boolean;
}

export function readDigits(ram: Uint8Array, address: number, count: number): number {
  let value = 0;
  for (let i = 0; i < count; i++) value = value * 10 + (ram[address + i]! % 16);
  return value;
}

/** Stage over: a flagpole or Bowser in an enemy slot and float state 3, or player state 4. */
export function stageOver(ram: Uint8Array): boolean {
  let goal = false;
  for (let i = 0; i < 5; i++) {
    const t = ram[ENEMY_TYPES + i]!;
    goal = goal || t === ENEMY_BOWSER || t === ENEMY_FLAGPOLE;
  }
  return goal && (ram[FLOAT_STATE] === 3 || ram[PLAYER_STATE] === STATE_FLAGPOLE);
}

/** native `smb1::Read`. */
export function readSmb1(ram: Uint8Array): Smb1Snapshot {
  const playerState = ram[PLAYER_STATE]!;
  const yPixel = ram[Y_PIXEL]!;
  const worldOver = ram[GAME_MODE] === 2;
  return {
    xPos: ram[X_PAGE]! * 256 + ram[X_PIXEL]!,
    yPos: ram[Y_VIEWPORT]! < 1 ? 255 + (255 - yPixel) : 255 - yPixel,
    world: ram[WORLD]! + 1,
    stage: ram[STAGE]! + 1,
    area: ram[AREA]!,
    lives: ram[LIVES]!,
    coins: readDigits(ram, COINS, 2),
    score: readDigits(ram, SCORE, 6),
    time: readDigits(ram, TIME, 3),
    status: ram[POWER_UP]!,
    playerState,
    dying: playerState === STATE_DYING || ram[Y_VIEWPORT]! > 1,
    dead: playerState === STATE_DEAD,
    busy: playerState <= 0x05 || playerState === 0x07,
    worldOver,
    flagGet: worldOver || stageOver(ram),
  };
}

/** Area of a single-stage target (native `TargetArea`). */
export function targetArea(world: number, stage: number): number {
  const pipeIntro = (world === 1 || world === 2 || world === 4 || world === 7) && stage >= 2;
  return pipeIntro ? stage : stage - 1;
}

type Preset = 'v0' | 'shaped' | 'uvipen';

/** native `ParsePreset` ('v9' is the older name of 'shaped'). */
export function parsePreset(name: string): Preset {
  if (name === 'v0') return 'v0';
  if (name === 'shaped' || name === 'v9') return 'shaped';
  if (name === 'uvipen') return 'uvipen';
  throw new RangeError(expectedMessage("one of 'v0', 'shaped', 'uvipen'", 'reward', name));
}

/** native `DefaultWeights` (float32). */
export function defaultWeights(preset: Preset): JsRewardWeights {
  if (preset === 'shaped') return { distance: 1, score: Math.fround(1 / 100) };
  if (preset === 'uvipen') return { distance: 1, score: Math.fround(1 / 40) };
  return { distance: 1, score: 0 };
}

const f = Math.fround;

/** Per-episode reward bookkeeping (native `smb1::Tracker`). */
export class Smb1Tracker {
  xLast = 0;
  timeLast = 0;
  scoreLast = 0;
  coinsLast = 0;
  statusLast = 0;
  maxX = 0;
  flagPaid = false;

  start(s: Smb1Snapshot): void {
    this.xLast = s.xPos;
    this.timeLast = s.time;
    this.scoreLast = s.score;
    this.coinsLast = s.coins;
    this.statusLast = s.status;
    this.maxX = s.xPos;
    this.flagPaid = false;
  }

  /** One frame's reward (float32); adds the weighted components (pre-clip) into `components`. */
  frame(s: Smb1Snapshot, preset: Preset, w: JsRewardWeights, components: Float32Array): number {
    let dx = s.xPos - this.xLast;
    const teleport = dx < -5 || dx > 5;
    if (teleport) dx = 0;
    let progress = 0;
    if (teleport) {
      this.maxX = s.xPos;
    } else if (s.xPos > this.maxX) {
      progress = s.xPos - this.maxX;
      this.maxX = s.xPos;
    }
    const dtime = Math.min(0, s.time - this.timeLast);
    const dscore = s.score - this.scoreLast;
    let dcoins = s.coins - this.coinsLast;
    if (dcoins < 0) dcoins += 100;
    const dstatus = s.status - this.statusLast;
    const died = s.dying || s.dead;
    const newFlag = s.flagGet && !this.flagPaid;
    if (newFlag) this.flagPaid = true;
    this.xLast = s.xPos;
    this.timeLast = s.time;
    this.scoreLast = s.score;
    this.coinsLast = s.coins;
    this.statusLast = s.status;

    const c = [0, 0, 0, 0, 0, 0, 0]; // distance, time, score, coin, powerUp, flag, death
    let reward: number;
    if (preset === 'v0') {
      c[0] = f(w.distance * dx);
      c[1] = dtime;
      c[2] = f(w.score * dscore);
      c[6] = died ? -25 : 0;
      reward = clip15(f(f(f(c[0] + c[1]) + c[2]) + c[6]));
    } else if (preset === 'shaped') {
      c[0] = f(w.distance * progress);
      c[1] = dtime;
      c[2] = f(w.score * dscore);
      c[3] = f(5 * dcoins);
      c[4] = f(5 * dstatus);
      c[5] = newFlag ? 50 : 0;
      c[6] = died ? -25 : 0;
      reward = clip15(f(f(f(f(f(f(c[0] + c[1]) + c[2]) + c[3]) + c[4]) + c[5]) + c[6]));
    } else {
      c[0] = f(w.distance * dx);
      c[1] = dtime;
      const classic = clip15(f(f(c[0] + c[1]) + (died ? -25 : 0)));
      c[2] = f(w.score * dscore);
      c[5] = newFlag ? 50 : 0;
      c[6] = died ? -50 : 0;
      reward = f(f(f(f(classic + c[2]) + c[5]) + c[6]) / 10);
    }
    for (let i = 0; i < 7; i++) components[i] = f(components[i]! + c[i]!);
    return reward;
  }
}

/** native `MetatileClass`. */
export function metatileClass(m: number): number {
  if (m === 0x00 || m === 0x26 || m === 0x5f || m === 0x60) return TILE_EMPTY;
  if (m === 0x24 || m === 0x25 || m === 0x6d || m === 0xc0 || m === 0xc1 || m === 0xc2 || m === 0xc3 || m === 0xc5) return TILE_ITEM;
  return TILE_SOLID;
}

/** native `IsHazard`. */
export function isHazard(t: number): boolean {
  return t <= 0x15 || t === ENEMY_BOWSER || t === 0x33;
}

/** native `IsFireBar`. */
export function isFireBar(t: number): boolean {
  return t >= 0x1b && t <= 0x1f;
}

/** native `IsPlatform`. */
export function isPlatform(t: number): boolean {
  return t >= 0x24 && t <= 0x2c;
}

/** native `smb1::WriteTiles`. */
export function writeSmb1Tiles(ram: Uint8Array, grid: TileGrid): void {
  const screenLeft = ram[SCREEN_LEFT_PAGE]! * 256 + ram[SCREEN_LEFT]!;
  const firstCol = Math.floor(screenLeft / 16);
  const nextCol = ram[PARSER_PAGE]! * 16 + ram[PARSER_COLUMN]!;
  for (let c = 0; c < grid.cols; c++) {
    const col = firstCol + c;
    const loaded = col < nextCol && col >= nextCol - 32;
    const column = METATILES + ((col >> 4) & 1) * METATILE_PAGE + (col % 16);
    for (let r = 0; r < grid.rows; r++) grid.set(r, c, loaded && r < METATILE_ROWS ? metatileClass(ram[column + r * 16]!) : TILE_EMPTY);
  }
  const rowOf = (viewport: number, y: number) => floorDiv16((viewport - 1) * 256 + y) - 1;
  const colOf = (x: number) => floorDiv16(x + 8) - firstCol;
  const slot = (i: number, cls: number) =>
    grid.stamp(rowOf(ram[OBJECT_Y_VIEWPORT + i]!, ram[OBJECT_Y_PIXEL + i]!), colOf(ram[OBJECT_X_PAGE + i]! * 256 + ram[OBJECT_X_PIXEL + i]!), cls);
  const sprites = (i: number, cls: number) => {
    for (let k = 0; k < SLOT_SPRITES; k++) {
      const sprite = OAM_SHADOW + ((ram[OBJECT_SPRITE_OFFSET + i]! + 4 * k) & 0xff);
      if (ram[sprite]! >= 0xef) continue;
      grid.stamp(floorDiv16(ram[sprite]! + 4 - TILE_FIELD_TOP), floorDiv16(screenLeft + ram[sprite + 3]! + 4) - firstCol, cls);
    }
  };
  for (let i = 0; i < ENEMY_SLOTS; i++) if (ram[OBJECT_ACTIVE + i] !== 0 && isPlatform(ram[ENEMY_TYPES + i]!)) sprites(i, TILE_SOLID);
  if (ram[OBJECT_ACTIVE + POWER_UP_SLOT] !== 0 && ram[ENEMY_TYPES + POWER_UP_SLOT] === POWER_UP_OBJECT) slot(POWER_UP_SLOT, TILE_ITEM);
  for (let i = 0; i < ENEMY_SLOTS; i++) {
    if (ram[OBJECT_ACTIVE + i] === 0) continue;
    const type = ram[ENEMY_TYPES + i]!;
    if (isHazard(type)) slot(i, TILE_ENEMY);
    else if (isFireBar(type)) sprites(i, TILE_ENEMY);
  }
  grid.stampClamped(rowOf(ram[Y_VIEWPORT]!, ram[PLAYER_Y_PIXEL]!), colOf(ram[X_PAGE]! * 256 + ram[X_PIXEL]!), TILE_PLAYER);
}

class Smb1Lane extends JsLaneRecord implements JsGameLane {
  readonly #tracker = new Smb1Tracker();

  constructor(
    readonly preset: Preset,
    readonly singleStage: boolean,
  ) {
    super(SMB1_INFO_FIELDS.length);
  }

  onReset(ram: Uint8Array): void {
    const s = readSmb1(ram);
    this.#tracker.start(s);
    this.bestX = s.xPos;
    this.goal = false;
    this.#capture(s);
  }

  afterFrame(ram: Uint8Array, weights: JsRewardWeights, components: Float32Array, out: { terminated: boolean }): number {
    const s = readSmb1(ram);
    const reward = this.#tracker.frame(s, this.preset, weights, components);
    this.#capture(s);
    this.goal = this.goal || s.flagGet;
    out.terminated = this.singleStage ? s.dying || s.dead || s.flagGet : s.lives === 0xff;
    return reward;
  }

  skipUnplayable(ram: Uint8Array, frames: JsSkippedFrames): void {
    let s = readSmb1(ram);
    if (s.dying) {
      ram[PLAYER_STATE] = STATE_DEAD;
      frames.step(0);
    }
    if (ram[CHANGE_AREA_TIMER]! > 1 && ram[CHANGE_AREA_TIMER]! < 255) ram[CHANGE_AREA_TIMER] = 1;
    for (let i = 0; i < MAX_SKIP_FRAMES; i++) {
      s = readSmb1(ram);
      if (!(s.busy || s.worldOver)) break;
      ram[PRE_LEVEL_TIMER] = 0;
      frames.step(0);
    }
  }

  #capture(s: Smb1Snapshot): void {
    const v = this.info;
    v[0] = s.xPos;
    v[1] = s.yPos;
    v[2] = s.world;
    v[3] = s.stage;
    v[4] = s.area;
    v[5] = s.lives;
    v[6] = s.coins;
    v[7] = s.score;
    v[8] = s.time;
    v[9] = s.status;
    v[10] = s.flagGet ? 1 : 0;
    v[11] = s.playerState;
    v[12] = s.dying ? 1 : 0;
    this.bestX = Math.max(this.bestX, s.xPos);
  }
}

const STAGE_TEXT = /^[1-8]-[1-4]$/;

/** The SMB1 game (native `Smb1Game`). */
export class Smb1Game implements JsGame {
  readonly name = 'smb1';
  readonly infoFields = SMB1_INFO_FIELDS;
  readonly rewardComponents = SMB1_REWARD_COMPONENTS;
  readonly defaultWeights: JsRewardWeights;
  readonly numActions: number;
  readonly numStartPoints: number;
  readonly #preset: Preset;
  readonly #actions: readonly number[] | null;
  readonly #targets: { world: number; stage: number }[];

  constructor(options: JsGameOptions) {
    this.#preset = parsePreset(options.reward);
    this.defaultWeights = defaultWeights(this.#preset);
    this.#actions = actionTable(options.actions);
    this.numActions = this.#actions ? this.#actions.length : 256;
    this.#targets = options.stages.map((text) => {
      if (!STAGE_TEXT.test(text)) throw new RangeError(expectedMessage("a stage 'W-S' with W in 1..8 and S in 1..4", 'stages', text));
      return { world: Number(text[0]), stage: Number(text[2]) };
    });
    if (this.#targets.length === 0) this.#targets.push({ world: 0, stage: 0 });
    this.numStartPoints = this.#targets.length;
  }

  checkRom(rom: InesRom): void {
    const found = `a ROM with mapper ${rom.mapper}, ${rom.prg.length / 1024} KiB PRG and ${rom.chr.length / 1024} KiB CHR`;
    const what = 'a Super Mario Bros. (NES) ROM (mapper 0, 32 KiB PRG, 8 KiB CHR)';
    const fail = (received: string) => new TypeError(`Expected ${what} for rom but received ${received}`);
    if (rom.mapper !== 0 || rom.prg.length !== 32 * 1024 || rom.chr.length !== 8 * 1024) throw fail(found);
    const contains = (sig: number[]) => containsBytes(rom.prg, sig);
    if (!contains([0x16, 0x0a, 0x1b, 0x12, 0x18]) || !contains([0x20, 0x18, 0x1b, 0x15, 0x0d]) || !contains([0x1d, 0x12, 0x16, 0x0e])) {
      throw fail(`${found} whose PRG lacks SMB1's status-bar text`);
    }
  }

  actionButtons(action: number): number {
    return this.#actions ? this.#actions[action]! : action;
  }

  buildStartPoint(index: number, core: JsnesCore): void {
    const t = this.#targets[index]!;
    const single = t.world !== 0;
    const ram = core.ramView();
    const writeStage = () => {
      if (!single) return;
      ram[WORLD] = t.world - 1;
      ram[STAGE] = t.stage - 1;
      ram[AREA] = targetArea(t.world, t.stage);
    };
    const time = () => readDigits(ram, TIME, 3);
    let frames = 0;
    const step = (buttons: number) => {
      core.stepFrame(buttons, true);
      if (++frames > MAX_BOOT_FRAMES) {
        throw new Error(
          `smb1: the start-screen skip did not reach a running clock within ${MAX_BOOT_FRAMES} frames (is this SMB1, and does the emulator run it?)`,
        );
      }
    };
    step(BUTTON_START);
    step(0);
    while (time() === 0) {
      writeStage();
      step(BUTTON_START);
      writeStage();
      step(0);
      ram[PRE_LEVEL_TIMER] = 0;
    }
    const startTime = time();
    while (time() === startTime) {
      step(BUTTON_START);
      step(0);
    }
  }

  newLane(): JsGameLane {
    return new Smb1Lane(this.#preset, this.#targets[0]!.world !== 0);
  }

  writeTiles(ram: Uint8Array, grid: TileGrid): void {
    writeSmb1Tiles(ram, grid);
  }
}
