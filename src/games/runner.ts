/**
 * The built-in game, "runner": an original NROM platformer that ships inside the package as
 * `assets/runner.nes`, built from `games/runner/*.asm` by our assembler (`npm run build:game`).
 * docs/builtin-game.md has the design and the RAM map mirrored in `RUNNER_RAM`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { assembleFile, type AssembleResult } from '../asm/index.js';
import { packageRoot } from '../native.js';

/** Name of the built-in game in game registries and CLI flags. */
export const RUNNER_GAME = 'runner';

/** Where the built ROM lives inside the package (relative to the package root). */
export const RUNNER_ROM_RELATIVE_PATH = 'assets/runner.nes';

/** Where the game's entry source lives inside a checkout (relative to the package root). */
export const RUNNER_SOURCE_RELATIVE_PATH = 'games/runner/runner.asm';

/** Absolute path of the shipped ROM (`<package root>/assets/runner.nes`). */
export function runnerRomPath(root = packageRoot()): string {
  return join(root, RUNNER_ROM_RELATIVE_PATH);
}

/** Reads the shipped ROM (24,592 bytes: iNES header, 16 KiB PRG, 8 KiB CHR). */
export function loadRunnerRom(root = packageRoot()): Uint8Array {
  return new Uint8Array(readFileSync(runnerRomPath(root)));
}

/** Assembles the game from source (needs a checkout: `games/` does not ship). */
export function buildRunnerRom(root = packageRoot()): AssembleResult {
  return assembleFile(join(root, RUNNER_SOURCE_RELATIVE_PATH));
}

/**
 * CPU RAM addresses of the game's public state (docs/builtin-game.md). x position is
 * `ram[xHigh] * 256 + ram[xLow]`; the clock is three bytes, one decimal digit each.
 */
export const RUNNER_RAM = {
  /** Frame counter, +1 per NMI. */
  frame: 0x10,
  /** 0 title, 1 playing, 2 game over. */
  mode: 0x20,
  /** Stage 0..2; write it on the title screen, then press START. */
  stage: 0x21,
  /** Lives left, counting the one in play. */
  lives: 0x22,
  /** Player state: 0 alive, 1 dying, 2 dead, 3 cleared (flag reached). */
  playerState: 0x23,
  xLow: 0x24,
  xHigh: 0x25,
  /** Screen y of the top of the player's 16 px sprite; 192 on normal ground, 240 when gone. */
  y: 0x27,
  /** Horizontal speed, signed, 1/16 px per frame. */
  xSpeed: 0x29,
  /** Vertical speed, signed, 1/16 px per frame, down positive. */
  ySpeed: 0x2a,
  onGround: 0x2b,
  cameraLow: 0x30,
  cameraHigh: 0x31,
  /** Three bytes: hundreds, tens, ones. */
  clock: 0x32,
  /** Enemies stomped in this stage. */
  stomps: 0x3a,
  /** Level column (16 px) of the flag pole. */
  flagColumn: 0x3b,
  /** Six bytes: 0 none, 1 walking, 2 squashed, 3 gone. */
  enemyState: 0x40,
  /** Six bytes each: enemy x (level pixels, low and high byte) and y (screen pixels). */
  enemyXLow: 0x46,
  enemyXHigh: 0x4c,
  enemyY: 0x52,
  /** 64 bytes, one per 16 px column: high nibble brick row (0 none), low nibble ground height (0 pit). */
  level: 0x400,
} as const;

/** Values of `RUNNER_RAM.playerState`. */
export const RUNNER_PLAYER_STATE = { alive: 0, dying: 1, dead: 2, cleared: 3 } as const;

/** Values of `RUNNER_RAM.mode`. */
export const RUNNER_MODE = { title: 0, playing: 1, gameOver: 2 } as const;

/** Number of stages (select with `RUNNER_RAM.stage`). */
export const RUNNER_STAGES = 3;
