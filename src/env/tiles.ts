/**
 * Where a tile grid (obs kind 'tiles', docs/env.md "Tile grids") sits on the 256 × 240 screen, as
 * native/env/tiles.h places it: cell (r, c) covers screen y ∈ [32 + 16r, 48 + 16r) (row 0 starts
 * below the 32 px HUD) and level column ⌊screenLeft / 16⌋ + c, which is screen x ∈
 * [16c − s, 16c + 16 − s) with s = screenLeft mod 16 (the part of the first column scrolled off
 * the screen's left edge). For pictures of grids (src/train/tile-picture.ts); the env itself
 * computes grids natively.
 */
import { RUNNER_GAME, RUNNER_RAM } from '../games/runner.js';
import { expectedMessage, expectTypedArray } from '../validate.js';

/** Side of a cell in screen pixels: one metatile. */
export const TILE_PIXELS = 16;
/** Screen y of row 0's top edge (the play field starts below the HUD). */
export const TILE_FIELD_TOP = 32;

/**
 * The screen's left edge in level pixels, read from CPU RAM (2048 bytes) as the game's adapter
 * reads it: SMB1 `ram[0x071A]·256 + ram[0x071C]` (native/env/smb1.h), the runner's camera
 * (`RUNNER_RAM.cameraHigh`/`cameraLow`). Throws RangeError for another game.
 */
export function tileScreenLeft(game: string, ram: Uint8Array): number {
  const r = expectTypedArray(ram, 'ram', Uint8Array);
  if (r.length < 0x800) throw new RangeError(expectedMessage('2048 bytes of CPU RAM', 'ram', r));
  if (game === RUNNER_GAME) return r[RUNNER_RAM.cameraHigh]! * 256 + r[RUNNER_RAM.cameraLow]!;
  if (game === 'smb1') return r[0x071a]! * 256 + r[0x071c]!;
  throw new RangeError(expectedMessage("'runner' or 'smb1'", 'game', game));
}
