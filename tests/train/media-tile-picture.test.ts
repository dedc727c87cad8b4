/**
 * Pictures of tile grids (src/train/tile-picture.ts): sizes, one colour per class, cell (r, c) at
 * y 32 + 16r like the observation, the dotted cell lines over the frame shifted by the fine
 * scroll, the indexed form = the RGB form through the palette; and `tileScreenLeft`
 * (src/env/tiles.ts), the screen's left edge the column alignment comes from.
 */
import { describe, expect, it } from 'vitest';

import { tileScreenLeft, TILE_FIELD_TOP, TILE_PIXELS } from '../../src/env/tiles.js';
import { TILE_CLASSES } from '../../src/env/vec-env.js';
import { RUNNER_RAM } from '../../src/games/runner.js';
import {
  drawTileGrid,
  frameBesideGrid,
  frameBesideGridIndexed,
  TILE_CLASS_COLORS,
  TILE_PICTURE_GAP,
  TILE_PICTURE_PALETTE,
  tilePictureLayout,
} from '../../src/train/tile-picture.js';

const [EMPTY, SOLID, ENEMY, PLAYER, ITEM] = [0, 1, 2, 3, 4];
const OUTSIDE = TILE_PICTURE_PALETTE[5]!;
const CELL_LINE = TILE_PICTURE_PALETTE[6]!;
const OVERLAY = TILE_PICTURE_PALETTE[7]!;

const at = (img: { rgb: Uint8Array; width: number }, x: number, y: number) =>
  Array.from(img.rgb.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));

/** A 13 × 16 grid: ground on rows 11–12, the player at (10, 3), an enemy at (10, 9), an item at (7, 5), a brick at (7, 6). */
function sampleGrid(rows = 13, cols = 16): Uint8Array {
  const g = new Uint8Array(rows * cols);
  for (let c = 0; c < cols; c++) for (const r of [11, 12]) if (r < rows) g[r * cols + c] = SOLID;
  g[10 * cols + 3] = PLAYER;
  g[10 * cols + 9] = ENEMY;
  g[7 * cols + 5] = ITEM;
  g[7 * cols + 6] = SOLID;
  return g;
}

/** A frame of one flat colour (not used by the picture), 256 × 240 RGB. */
function flatFrame(rgb = [10, 200, 30]): Uint8Array {
  const f = new Uint8Array(256 * 240 * 3);
  for (let p = 0; p < 256 * 240; p++) f.set(rgb, p * 3);
  return f;
}

describe('tile pictures', () => {
  it('have five distinct class colours and three more picture colours', () => {
    expect(TILE_CLASS_COLORS).toHaveLength(TILE_CLASSES.length);
    expect(TILE_PICTURE_PALETTE.slice(0, 5)).toEqual(TILE_CLASS_COLORS);
    expect(new Set(TILE_PICTURE_PALETTE.map((c) => c.join())).size).toBe(8);
  });

  it('lay out frame | gap | grid: 16 px cells, row 0 at y 32, at least the frame tall', () => {
    expect(tilePictureLayout(13, 16)).toEqual({ width: 256 + TILE_PICTURE_GAP + 256, height: 240, gridLeft: 256 + TILE_PICTURE_GAP, gridTop: 32, cell: 16 });
    expect([TILE_FIELD_TOP, TILE_PIXELS]).toEqual([32, 16]);
    expect(tilePictureLayout(20, 40)).toMatchObject({ width: 264 + 640, height: 32 + 320 });
    expect(tilePictureLayout(1, 1)).toMatchObject({ width: 264 + 16, height: 240 });
    const img = frameBesideGrid(flatFrame(), sampleGrid(), 13, 16);
    expect([img.width, img.height, img.rgb.length]).toEqual([520, 240, 520 * 240 * 3]);
    const alone = drawTileGrid(sampleGrid(), 13, 16);
    expect([alone.width, alone.height, alone.rgb.length]).toEqual([256, 240, 256 * 240 * 3]);
  });

  it('paint each cell in its class colour, with its top row and left column the cell line', () => {
    const grid = sampleGrid();
    const img = frameBesideGrid(flatFrame(), grid, 13, 16, { overlay: false });
    const L = 264;
    for (let r = 0; r < 13; r++) {
      for (let c = 0; c < 16; c++) {
        const x0 = L + 16 * c;
        const y0 = 32 + 16 * r;
        const colour = [...TILE_CLASS_COLORS[grid[r * 16 + c]!]!];
        for (const [dx, dy] of [
          [1, 1],
          [8, 8],
          [15, 15],
          [15, 1],
        ])
          expect(at(img, x0 + dx!, y0 + dy!), `cell (${r}, ${c})`).toEqual(colour);
        expect(at(img, x0, y0 + 8)).toEqual([...CELL_LINE]);
        expect(at(img, x0 + 8, y0)).toEqual([...CELL_LINE]);
      }
    }
    // The known cells: the player at row 10, column 3 covers x [264 + 48, 264 + 64), y [192, 208).
    expect(at(img, L + 48 + 1, 192 + 1)).toEqual([...TILE_CLASS_COLORS[PLAYER]!]);
    expect(at(img, L + 48 + 15, 192 + 15)).toEqual([...TILE_CLASS_COLORS[PLAYER]!]);
    expect(at(img, L + 64 + 1, 192 + 1)).toEqual([...TILE_CLASS_COLORS[EMPTY]!]);
    expect(at(img, L + 48 + 1, 208 + 1)).toEqual([...TILE_CLASS_COLORS[SOLID]!]);
    expect(at(img, L + 80 + 8, 144 + 8)).toEqual([...TILE_CLASS_COLORS[ITEM]!]);
    expect(at(img, L + 144 + 8, 192 + 8)).toEqual([...TILE_CLASS_COLORS[ENEMY]!]);
    // The HUD band above row 0 and the gap are `outside`; the frame is copied as it is.
    for (const [x, y] of [
      [L + 100, 0],
      [L + 100, 31],
      [256, 100],
      [263, 5],
    ])
      expect(at(img, x!, y!), `(${x}, ${y})`).toEqual([...OUTSIDE]);
    for (const [x, y] of [
      [0, 0],
      [255, 239],
      [48, 192],
    ])
      expect(at(img, x!, y!)).toEqual([10, 200, 30]);
    // drawTileGrid is the same panel at x 0.
    const alone = drawTileGrid(grid, 13, 16);
    for (let y = 0; y < 240; y++) {
      expect(
        Buffer.from(alone.rgb.subarray(y * 256 * 3, (y + 1) * 256 * 3)).equals(Buffer.from(img.rgb.subarray((y * 520 + L) * 3, (y * 520 + L + 256) * 3))),
      ).toBe(true);
    }
  });

  it('dot the cell lines over the frame at y 32 + 16r and x 16c − scrollX, only over the grid', () => {
    const grid = sampleGrid(3, 5); // rows 0–2 (y 32–80), columns 0–4
    for (const scrollX of [0, 5]) {
      const img = frameBesideGrid(flatFrame(), grid, 3, 5, { scrollX });
      const frameColour = [10, 200, 30];
      const isOverlay = (x: number, y: number) => at(img, x, y).join() === OVERLAY.join();
      // Horizontal lines at y = 32, 48, 64, 80 on every other pixel, from x 0 to 80 − scrollX.
      for (const y of [32, 48, 64, 80]) {
        expect(isOverlay(0, y), `y ${y}`).toBe(true);
        expect(isOverlay(1, y)).toBe(false);
        const last = 80 - scrollX - 1;
        expect(isOverlay((last + y) % 2 === 0 ? last : last - 1, y)).toBe(true);
        // (x 80 − scrollX is the right border's vertical line)
        expect(at(img, 80 - scrollX + 1, y)).toEqual(frameColour);
        expect(at(img, 80 - scrollX + 2, y)).toEqual(frameColour);
      }
      // Vertical lines at x = 16c − scrollX (c ≥ 1, and 0 when not scrolled), y from 32 to 80.
      for (let c = 0; c <= 5; c++) {
        const x = 16 * c - scrollX;
        if (x < 0) continue;
        const y = 40 + (x & 1); // (x + y) even
        expect(isOverlay(x, y), `column line ${c} at x ${x}`).toBe(true);
        expect(isOverlay(x, y + 1)).toBe(false);
        expect(isOverlay(x + 1, y + 1)).toBe(false);
      }
      // Nothing above row 0 or below the last row.
      expect(at(img, 16 - scrollX, 20)).toEqual(frameColour);
      expect(at(img, 16 - scrollX, 100)).toEqual(frameColour);
      expect(at(img, 16 - scrollX, 101)).toEqual(frameColour);
    }
    // overlay: false leaves the frame untouched.
    const clean = frameBesideGrid(flatFrame(), grid, 3, 5, { overlay: false });
    expect(at(clean, 0, 32)).toEqual([10, 200, 30]);
  });

  it('indexed pictures are the RGB picture through the palette: frame indices kept, colour k at base + k', () => {
    const indices = Uint8Array.from({ length: 256 * 240 }, (_, p) => (p * 7) % 64);
    const palette = new Uint8Array(128 * 3);
    for (let c = 0; c < 64; c++) palette.set([c * 4, 255 - c, (c * 37) & 255], c * 3);
    TILE_PICTURE_PALETTE.forEach((c, k) => palette.set(c, (64 + k) * 3));
    const frameRgb = new Uint8Array(256 * 240 * 3);
    for (let p = 0; p < indices.length; p++) frameRgb.set(palette.subarray(indices[p]! * 3, indices[p]! * 3 + 3), p * 3);
    const grid = sampleGrid();
    const options = { scrollX: 7 };
    const rgb = frameBesideGrid(frameRgb, grid, 13, 16, options);
    const out = new Uint8Array(520 * 240);
    expect(frameBesideGridIndexed(indices, grid, 13, 16, 64, options, out)).toBe(out);
    const viaPalette = new Uint8Array(out.length * 3);
    for (let p = 0; p < out.length; p++) viaPalette.set(palette.subarray(out[p]! * 3, out[p]! * 3 + 3), p * 3);
    expect(Buffer.from(viaPalette).equals(Buffer.from(rgb.rgb))).toBe(true);
    expect(out.reduce((m, v) => Math.max(m, v), 0)).toBe(64 + 7);
  });

  it('reject bad grids, frames and options naming them', () => {
    const frame = flatFrame();
    expect(() => frameBesideGrid(frame, new Uint8Array(10), 13, 16)).toThrow(/for grid but received Uint8Array\(10\)/);
    const bad = sampleGrid();
    bad[20] = 5;
    expect(() => drawTileGrid(bad, 13, 16)).toThrow('Expected class ids in [0, 4] for grid[20] but received 5');
    expect(() => frameBesideGrid(frame, sampleGrid(), 0, 16)).toThrow('for rows but received 0');
    expect(() => frameBesideGrid(frame, new Uint8Array(65), 1, 65)).toThrow('for cols but received 65');
    expect(() => frameBesideGrid(frame.subarray(3), sampleGrid(), 13, 16)).toThrow(/for frame/);
    expect(() => frameBesideGrid(frame, sampleGrid(), 13, 16, { scrollX: 16 })).toThrow('Expected an integer in [0, 15] for scrollX but received 16');
    expect(() => frameBesideGrid(frame, sampleGrid(), 13, 16, { zoom: 2 } as object)).toThrow('zoom');
    expect(() => frameBesideGridIndexed(new Uint8Array(256 * 240), sampleGrid(), 13, 16, 250)).toThrow('for base');
  });
});

describe('tileScreenLeft', () => {
  it("reads the screen's left edge where each game's adapter does", () => {
    const ram = new Uint8Array(2048);
    ram[RUNNER_RAM.cameraHigh] = 2;
    ram[RUNNER_RAM.cameraLow] = 37;
    ram[0x071a] = 1;
    ram[0x071c] = 9;
    expect(tileScreenLeft('runner', ram)).toBe(2 * 256 + 37);
    expect(tileScreenLeft('smb1', ram)).toBe(256 + 9);
    expect(() => tileScreenLeft('smb3', ram)).toThrow(`Expected 'runner' or 'smb1' for game but received "smb3"`);
    expect(() => tileScreenLeft('runner', new Uint8Array(16))).toThrow('for ram');
  });
});
