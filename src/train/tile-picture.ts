/**
 * Pictures of tile grids (obs kind 'tiles', docs/env.md "Tile grids"): a rows × cols grid of class
 * ids drawn as 16 px cells, one colour per class, placed the way the grid sits on the screen (row
 * 0 starts 32 px down, below the HUD), and composed beside the 256 × 240 frame it came from:
 *
 *   [ frame 256 px | gap 8 px | grid cols·16 px ]   height max(240, 32 + rows·16)
 *
 * Optionally the grid's cell lines are dotted over the frame, shifted by the fine scroll
 * (`scrollX` = screenLeft mod 16, `tileScreenLeft`) so that each outlined square is the screen
 * area of one cell. Pure functions: RGB for PNGs (`encodePng`), colour indices for GIFs
 * (`episodeToGif`, `mario-rl play`).
 */
import { TILE_FIELD_TOP, TILE_PIXELS } from '../env/tiles.js';
import { TILE_CLASSES } from '../env/vec-env.js';
import { FRAME_HEIGHT, FRAME_WIDTH } from '../nes.js';
import { expectedMessage, expectInteger, expectOptions, expectTypedArray, rejectUnknownKeys } from '../validate.js';

/** An RGB colour. */
export type Rgb = readonly [number, number, number];

/**
 * The colour of each class id in pictures (`TILE_CLASSES` order; Okabe–Ito hues, which stay
 * apart for colour-blind readers): empty dark blue-grey, solid grey, enemy vermillion, player sky
 * blue, item yellow.
 */
export const TILE_CLASS_COLORS: readonly Rgb[] = Object.freeze([
  Object.freeze([32, 36, 52] as const),
  Object.freeze([150, 150, 150] as const),
  Object.freeze([213, 94, 0] as const),
  Object.freeze([86, 180, 233] as const),
  Object.freeze([240, 228, 66] as const),
]);

/**
 * Every colour a picture adds to the frame's, in order: the five class colours, then `outside`
 * (the gap, the HUD band above row 0, anything below the screen), `cellLine` (the grid panel's
 * cell borders), `overlay` (the dotted cell lines over the frame). The indexed form writes colour
 * k as `base + k`.
 */
export const TILE_PICTURE_PALETTE: readonly Rgb[] = Object.freeze([
  ...TILE_CLASS_COLORS,
  Object.freeze([0, 0, 0] as const),
  Object.freeze([60, 66, 90] as const),
  Object.freeze([255, 255, 255] as const),
]);
const OUTSIDE = 5;
const CELL_LINE = 6;
const OVERLAY = 7;

/** Pixels between the frame and the grid. */
export const TILE_PICTURE_GAP = 8;

/** Where things are in a picture of a rows × cols grid beside a frame. */
export interface TilePictureLayout {
  /** Picture width: 256 + gap + cols·16. */
  width: number;
  /** Picture height: max(240, 32 + rows·16). */
  height: number;
  /** x of the grid panel's left edge (cell (r, c) is x ∈ [gridLeft + 16c, gridLeft + 16c + 16)). */
  gridLeft: number;
  /** y of row 0's top edge, in the frame and the panel alike (32). */
  gridTop: number;
  /** Cell side in pixels (16). */
  cell: number;
}

/** The layout of a rows × cols grid (1…32 × 1…64) beside a 256 × 240 frame. */
export function tilePictureLayout(rows: number, cols: number): TilePictureLayout {
  const r = expectInteger(rows, 'rows', 1, 32);
  const c = expectInteger(cols, 'cols', 1, 64);
  const gridLeft = FRAME_WIDTH + TILE_PICTURE_GAP;
  return {
    width: gridLeft + c * TILE_PIXELS,
    height: Math.max(FRAME_HEIGHT, TILE_FIELD_TOP + r * TILE_PIXELS),
    gridLeft,
    gridTop: TILE_FIELD_TOP,
    cell: TILE_PIXELS,
  };
}

/** Options of {@link frameBesideGrid}. */
export interface TilePictureOptions {
  /** screenLeft mod 16 (0…15): how far the first column reaches left of the screen. Default 0. */
  scrollX?: number;
  /** Dot the grid's cell lines over the frame. Default true. */
  overlay?: boolean;
}

/** An RGB picture: width × height × 3 bytes, row-major. */
export interface RgbImage {
  rgb: Uint8Array;
  width: number;
  height: number;
}

function checkGrid(grid: unknown, rows: number, cols: number): Uint8Array {
  const g = expectTypedArray(grid, 'grid', Uint8Array, rows * cols);
  for (let i = 0; i < g.length; i++) {
    if (g[i]! >= TILE_CLASSES.length) throw new RangeError(expectedMessage(`class ids in [0, ${TILE_CLASSES.length - 1}]`, `grid[${i}]`, g[i]));
  }
  return g;
}

function pictureOptions(options: TilePictureOptions): { scrollX: number; overlay: boolean } {
  const o = expectOptions<TilePictureOptions>(options, 'tile picture options');
  rejectUnknownKeys(o, 'tile picture options', ['scrollX', 'overlay']);
  return { scrollX: o.scrollX === undefined ? 0 : expectInteger(o.scrollX, 'scrollX', 0, TILE_PIXELS - 1), overlay: o.overlay !== false };
}

/** Where {@link paint} draws: `bpp` bytes per pixel, `colours[k]` the bytes of palette colour k. */
interface Canvas {
  out: Uint8Array;
  width: number;
  height: number;
  bpp: number;
  colours: readonly Uint8Array[];
}

/** A checked grid and how to draw it: the panel's left edge, the fine scroll, the dotted lines. */
interface GridView {
  grid: Uint8Array;
  rows: number;
  cols: number;
  left: number;
  scrollX: number;
  overlay: boolean;
}

/** Draws `frame` (256 × 240 × bpp bytes; undefined for the panel alone) and the grid's panel. */
function paint(canvas: Canvas, frame: Uint8Array | undefined, view: GridView): void {
  const { out, width, height, bpp, colours } = canvas;
  const { grid, rows, cols, left, scrollX, overlay } = view;
  const put = (x: number, y: number, k: number) => {
    const colour = colours[k]!;
    const p = (y * width + x) * bpp;
    for (let i = 0; i < bpp; i++) out[p + i] = colour[i]!;
  };
  // Pixels [x0, x1) of row y in colour k.
  const span = (x0: number, x1: number, y: number, k: number) => {
    if (bpp === 1) out.fill(colours[k]![0]!, y * width + x0, y * width + x1);
    else for (let x = x0; x < x1; x++) put(x, y, k);
  };
  // Everything starts as `outside`; the frame and the cells are drawn over it.
  for (let y = 0; y < height; y++) span(0, width, y, OUTSIDE);
  if (frame) {
    const stride = FRAME_WIDTH * bpp;
    for (let y = 0; y < FRAME_HEIGHT; y++) out.set(frame.subarray(y * stride, (y + 1) * stride), y * width * bpp);
    if (overlay) {
      // Dotted lines on the cell borders as the screen shows them: rows every 16 px from y 32,
      // columns every 16 px from x −scrollX; only over the grid's area, every other pixel.
      const bottom = Math.min(FRAME_HEIGHT, TILE_FIELD_TOP + rows * TILE_PIXELS);
      const right = Math.min(FRAME_WIDTH, cols * TILE_PIXELS - scrollX);
      for (let r = 0; r <= rows; r++) {
        const y = TILE_FIELD_TOP + r * TILE_PIXELS;
        if (y >= FRAME_HEIGHT) break;
        for (let x = 0; x < right; x++) if (((x + y) & 1) === 0) put(x, y, OVERLAY);
      }
      for (let c = 0; c <= cols; c++) {
        const x = c * TILE_PIXELS - scrollX;
        if (x < 0) continue;
        if (x >= FRAME_WIDTH) break;
        for (let y = TILE_FIELD_TOP; y < bottom; y++) if (((x + y) & 1) === 0) put(x, y, OVERLAY);
      }
    }
  }
  // The panel: each cell's top row and left column are the cell line, the rest its class colour.
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const cls = grid[r * cols + c]!;
      const x0 = left + c * TILE_PIXELS;
      const y0 = TILE_FIELD_TOP + r * TILE_PIXELS;
      span(x0, x0 + TILE_PIXELS, y0, CELL_LINE);
      for (let dy = 1; dy < TILE_PIXELS; dy++) {
        put(x0, y0 + dy, CELL_LINE);
        span(x0 + 1, x0 + TILE_PIXELS, y0 + dy, cls);
      }
    }
  }
}

const RGB_COLOURS = TILE_PICTURE_PALETTE.map((c) => Uint8Array.from(c));

/**
 * The grid alone as an RGB image of cols·16 × max(240, 32 + rows·16): the 32 px band above row 0
 * (the HUD's place on the screen) in the `outside` colour, then rows of 16 px cells. `grid` is
 * rows × cols class ids, row-major (one stack entry of a tiles observation).
 */
export function drawTileGrid(grid: Uint8Array, rows: number, cols: number): RgbImage {
  const { height } = tilePictureLayout(rows, cols);
  const g = checkGrid(grid, rows, cols);
  const width = cols * TILE_PIXELS;
  const rgb = new Uint8Array(width * height * 3);
  paint({ out: rgb, width, height, bpp: 3, colours: RGB_COLOURS }, undefined, { grid: g, rows, cols, left: 0, scrollX: 0, overlay: false });
  return { rgb, width, height };
}

/**
 * `frame` (256 × 240 RGB, as `Nes.toRgb` and `VecEnv.render` return) and its grid side by side
 * ({@link tilePictureLayout}), with the cell lines dotted over the frame unless `overlay: false`.
 */
export function frameBesideGrid(frame: Uint8Array, grid: Uint8Array, rows: number, cols: number, options: TilePictureOptions = {}): RgbImage {
  const { width, height, gridLeft } = tilePictureLayout(rows, cols);
  const f = expectTypedArray(frame, 'frame', Uint8Array, FRAME_WIDTH * FRAME_HEIGHT * 3);
  const g = checkGrid(grid, rows, cols);
  const rgb = new Uint8Array(width * height * 3);
  paint({ out: rgb, width, height, bpp: 3, colours: RGB_COLOURS }, f, { grid: g, rows, cols, left: gridLeft, ...pictureOptions(options) });
  return { rgb, width, height };
}

/**
 * {@link frameBesideGrid} in colour indices, for GIF frames: `frame` is 256 × 240 indices (NES
 * palette indices, `Nes.frame & 0x3f`), kept as they are; picture colour k of
 * `TILE_PICTURE_PALETTE` is written as `base + k` (base + 8 ≤ 256). Writes into `out` (width ×
 * height, allocated when omitted) and returns it.
 */
export function frameBesideGridIndexed(
  frame: Uint8Array,
  grid: Uint8Array,
  rows: number,
  cols: number,
  base: number,
  options: TilePictureOptions = {},
  out?: Uint8Array,
): Uint8Array {
  const { width, height, gridLeft } = tilePictureLayout(rows, cols);
  const f = expectTypedArray(frame, 'frame', Uint8Array, FRAME_WIDTH * FRAME_HEIGHT);
  const g = checkGrid(grid, rows, cols);
  const b = expectInteger(base, 'base', 0, 256 - TILE_PICTURE_PALETTE.length);
  const view = { grid: g, rows, cols, left: gridLeft, ...pictureOptions(options) };
  const indices = out === undefined ? new Uint8Array(width * height) : expectTypedArray(out, 'out', Uint8Array, width * height);
  paint({ out: indices, width, height, bpp: 1, colours: TILE_PICTURE_PALETTE.map((_, k) => Uint8Array.of(b + k)) }, f, view);
  return indices;
}
