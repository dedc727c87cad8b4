/**
 * The built-in game's rules for the page, as native/env/runner.cc states them: the start point
 * (title screen, stage byte, START, wait for the stage), the per-frame reward (progress, clock,
 * death penalty, flag bonus, clipped), single-stage termination, and the frames the agent never
 * sees. RAM addresses are `RUNNER_RAM` (docs/builtin-game.md).
 *
 * Ownership: `RunnerRules` holds one episode's bookkeeping; one per page env.
 */
import { type JsnesConsole } from './jsnes-console.js';

const RAM = { mode: 0x20, stage: 0x21, lives: 0x22, playerState: 0x23, xLow: 0x24, xHigh: 0x25, clock: 0x32 } as const;
const MODE_PLAYING = 1;
const MODE_GAME_OVER = 2;
const ALIVE = 0;
const DYING = 1;
const DEAD = 2;
const CLEARED = 3;
const START = 0x08;
const BOOT_IDLE_FRAMES = 10;
const MAX_LOAD_FRAMES = 30;
const MAX_SKIP_FRAMES = 2000;
const FLAG_BONUS = 50;
const DEATH_PENALTY = -25;
const CLIP = 15;

interface Snapshot {
  x: number;
  time: number;
  lives: number;
  state: number;
  playing: boolean;
  gameOver: boolean;
}

function read(c: JsnesConsole): Snapshot {
  const playing = c.ram(RAM.mode) === MODE_PLAYING;
  return {
    x: c.ram(RAM.xHigh) * 256 + c.ram(RAM.xLow),
    time: c.ram(RAM.clock) * 100 + c.ram(RAM.clock + 1) * 10 + c.ram(RAM.clock + 2),
    lives: c.ram(RAM.lives),
    state: c.ram(RAM.playerState),
    playing,
    gameOver: c.ram(RAM.mode) === MODE_GAME_OVER,
  };
}

/** Checks an iNES image is the runner ROM (mapper 0, 16 KiB PRG, 8 KiB CHR, its title text); throws saying what it found. */
export function checkRunnerRom(rom: Uint8Array): void {
  const what = 'the runner ROM (mapper 0, 16 KiB PRG, 8 KiB CHR, title RUNNER)';
  const nes = rom.length >= 16 && rom[0] === 0x4e && rom[1] === 0x45 && rom[2] === 0x53 && rom[3] === 0x1a;
  if (!nes) throw new TypeError(`Expected ${what} for rom but received a file that is not an iNES image`);
  const mapper = (rom[6]! >> 4) | (rom[7]! & 0xf0);
  if (mapper !== 0 || rom[4] !== 1 || rom[5] !== 1) {
    throw new TypeError(`Expected ${what} for rom but received a ROM with mapper ${mapper}, ${rom[4]! * 16} KiB PRG and ${rom[5]! * 8} KiB CHR`);
  }
  const text = String.fromCharCode(...rom.subarray(16, 16 + 16384));
  if (!text.includes('RUNNER') || !text.includes('PRESS START'))
    throw new TypeError(`Expected ${what} for rom but received an NROM image without runner's title text`);
}

export class RunnerRules {
  readonly #stage: number;
  #xLast = 0;
  #timeLast = 0;
  #flagPaid = false;

  /** `stage`: 1..3; the episode is that stage with one life (ends on death or the flag). */
  constructor(stage: number) {
    if (!Number.isInteger(stage) || stage < 1 || stage > 3) throw new RangeError(`Expected a runner stage 1, 2 or 3 for stage but received ${stage}`);
    this.#stage = stage;
  }

  /** Boots a powered-on console to the stage's first playable frame. */
  buildStartPoint(c: JsnesConsole): void {
    for (let i = 0; i < BOOT_IDLE_FRAMES; i++) c.stepFrame(0);
    c.poke(RAM.stage, this.#stage - 1);
    c.stepFrame(START);
    for (let i = 0; !read(c).playing || c.ram(RAM.playerState) !== ALIVE; i++) {
      if (i >= MAX_LOAD_FRAMES) throw new Error(`runner: the stage did not start within ${MAX_LOAD_FRAMES} frames of START`);
      c.stepFrame(0);
    }
  }

  /** Starts an episode's bookkeeping at the start point. */
  onReset(c: JsnesConsole): void {
    const s = read(c);
    this.#xLast = s.x;
    this.#timeLast = s.time;
    this.#flagPaid = false;
  }

  /** After each agent frame: the reward and whether the episode ended. */
  afterFrame(c: JsnesConsole): { reward: number; terminated: boolean } {
    const s = read(c);
    let dx = s.x - this.#xLast;
    if (dx < -5 || dx > 5) dx = 0; // a respawn, not movement
    const dtime = Math.min(0, s.time - this.#timeLast);
    const cleared = s.playing && s.state === CLEARED;
    const dying = s.playing && (s.state === DYING || s.state === DEAD);
    const newFlag = cleared && !this.#flagPaid;
    if (newFlag) this.#flagPaid = true;
    if (!cleared) this.#flagPaid = false;
    this.#xLast = s.x;
    this.#timeLast = s.time;
    // float32 like the native sum, then the clip.
    const sum = Math.fround(Math.fround(Math.fround(dx + dtime) + (newFlag ? FLAG_BONUS : 0)) + (dying ? DEATH_PENALTY : 0));
    return { reward: Math.min(CLIP, Math.max(-CLIP, sum)), terminated: dying || cleared };
  }

  /** Frames the agent never sees (none in a single-stage episode while alive); bounded. */
  skipUnplayable(c: JsnesConsole): number {
    let n = 0;
    for (; n < MAX_SKIP_FRAMES; n++) {
      const s = read(c);
      if ((s.playing && s.state === ALIVE) || s.gameOver) break;
      c.stepFrame(0);
    }
    if (n > 0) this.#xLast = read(c).x;
    return n;
  }
}
