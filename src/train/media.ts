/**
 * Renders a {@link RecordedEpisode} to an animated GIF by replaying it on a `Nes`: the start state
 * is loaded, every agent step's buttons are held for `frameSkip` frames, and every
 * `frameStride`-th frame is added to the GIF in full resolution (256 × 240, NES palette). An
 * episode recorded with tile-grid observations gets the grid the agent saw drawn beside each
 * frame (src/train/tile-picture.ts): on a step's last frame the grid of the step's observation,
 * before it the grid the agent acted on. The picture of a frame shows the state the frame before
 * it left (the games write scroll and sprites from it during vblank), so a step's last picture is
 * one frame behind its grid, as pixel observations are; the cell lines dotted over the frame use
 * the picture's own scroll, so they sit on its metatile edges.
 *
 * After each step the replayed console is compared with the state the env saved; where the env
 * ran frames the replay did not (a game adapter fast-forwarding a transition), the replay loads
 * the env's state and goes on, so the GIF never drifts from what the agent did. `resyncs` counts
 * those jumps.
 */
import { bytesEqual } from '../bytes.js';
import { TILE_PIXELS, tileScreenLeft } from '../env/tiles.js';
import { FRAME_HEIGHT, FRAME_WIDTH, Nes } from '../nes.js';
import { GIF_COLORS, GifEncoder } from '../util/gif.js';
import { expectBoolean, expectedMessage, expectInteger, expectOptions, rejectUnknownKeys } from '../validate.js';
import { type RecordedEpisode } from './evaluation.js';
import { frameBesideGridIndexed, TILE_PICTURE_PALETTE, tilePictureLayout } from './tile-picture.js';

/** Options of {@link episodeToGif}. */
export interface EpisodeGifOptions {
  /** Emulator frames per GIF frame (1…60). Default: the episode's frame skip (one per agent step). */
  frameStride?: number;
  /** Extra frames holding the last image at the end (0…600). Default 30. */
  holdFrames?: number;
  /** Draw the tile grid the agent saw beside each frame. Default: true when the episode has grids (`tiles`). */
  grid?: boolean;
  /** With the grid, dot its cell lines over the frame. Default true. */
  gridOverlay?: boolean;
}

/** What {@link episodeToGif} returns. */
export interface EpisodeGif {
  /** The GIF file. */
  gif: Uint8Array;
  /** Frames in the GIF. */
  frames: number;
  /** Steps where the replay had to load the env's state to stay in sync. */
  resyncs: number;
  /** Picture size: 256 × 240, or wider (and for tall grids taller) with the grid beside the frame. */
  width: number;
  height: number;
}

/** Replays `episode` and encodes it as an animated GIF. */
export function episodeToGif(episode: RecordedEpisode, options: EpisodeGifOptions = {}): EpisodeGif {
  const o = expectOptions<EpisodeGifOptions>(options, 'episodeToGif options');
  rejectUnknownKeys(o, 'episodeToGif options', ['frameStride', 'holdFrames', 'grid', 'gridOverlay']);
  const stride = o.frameStride === undefined ? episode.frameSkip : expectInteger(o.frameStride, 'frameStride', 1, 60);
  const hold = o.holdFrames === undefined ? 30 : expectInteger(o.holdFrames, 'holdFrames', 0, 600);
  const tiles = episode.tiles;
  const showGrid = o.grid === undefined ? tiles !== undefined : expectBoolean(o.grid, 'grid');
  const overlay = o.gridOverlay === undefined ? true : expectBoolean(o.gridOverlay, 'gridOverlay');
  if (showGrid && tiles === undefined) {
    throw new RangeError(expectedMessage("false (the episode has no tile grids: record it with env.obs 'tiles')", 'grid', true));
  }
  const gridBytes = tiles ? tiles.rows * tiles.cols : 0;
  if (showGrid && tiles!.grids.length !== (episode.buttons.length + 1) * gridBytes) {
    throw new RangeError(expectedMessage(`${episode.buttons.length + 1} grids of ${gridBytes} bytes`, 'episode.tiles.grids', tiles!.grids));
  }
  const layout = showGrid ? tilePictureLayout(tiles!.rows, tiles!.cols) : { width: FRAME_WIDTH, height: FRAME_HEIGHT };
  // The grid's colours go after the 64 NES colours, in a 128-colour table.
  const colors = showGrid ? 2 * GIF_COLORS : GIF_COLORS;
  // GIF delays are hundredths of a second; the NES runs 60 frames/s.
  const enc = new GifEncoder({ width: layout.width, height: layout.height, colors, delayCs: Math.max(2, Math.round((stride * 100) / 60)) });
  const nes = new Nes(episode.rom);
  const palette = new Uint8Array(colors * 3);
  if (showGrid) TILE_PICTURE_PALETTE.forEach((c, k) => palette.set(c, (GIF_COLORS + k) * 3));
  const indices = new Uint8Array(FRAME_WIDTH * FRAME_HEIGHT);
  const picture = showGrid ? new Uint8Array(layout.width * layout.height) : indices;
  // The grid shown now (its index in tiles.grids), and the fine scroll of the picture: a frame is
  // drawn from the state the frame before it left, so its scroll is read before it is stepped.
  let shown = 0;
  let scrollX = 0;
  const addFrame = (delayCs?: number) => {
    const frame = nes.frame;
    const rgb = nes.toRgb();
    for (let p = 0; p < frame.length; p++) {
      const c = frame[p]! & 0x3f;
      indices[p] = c;
      palette[c * 3] = rgb[p * 3]!;
      palette[c * 3 + 1] = rgb[p * 3 + 1]!;
      palette[c * 3 + 2] = rgb[p * 3 + 2]!;
    }
    if (showGrid) {
      const grid = tiles!.grids.subarray(shown * gridBytes, (shown + 1) * gridBytes);
      frameBesideGridIndexed(indices, grid, tiles!.rows, tiles!.cols, GIF_COLORS, { scrollX, overlay }, picture);
    }
    enc.add({ indices: picture, palette, ...(delayCs === undefined ? {} : { delayCs }) });
  };
  let resyncs = 0;
  try {
    nes.loadState(episode.startState);
    let frameNo = 0;
    for (let k = 0; k < episode.buttons.length; k++) {
      for (let f = 0; f < episode.frameSkip; f++) {
        if (showGrid) scrollX = tileScreenLeft(tiles!.game, nes.ram) % TILE_PIXELS;
        nes.stepFrame(episode.buttons[k]!);
        // After the step's last frame the env read the step's grid (one frame ahead of the picture, as pixels are).
        if (f === episode.frameSkip - 1) shown = k + 1;
        if (++frameNo % stride === 0) addFrame();
      }
      const expected = episode.states[k];
      if (expected !== undefined && !bytesEqual(nes.saveState(), expected)) {
        nes.loadState(expected);
        resyncs++;
      }
    }
    if (enc.frameCount === 0 || hold > 0) addFrame(hold > 0 ? Math.min(65535, Math.round((hold * 100) / 60)) : undefined);
    return { gif: enc.finish(), frames: enc.frameCount, resyncs, width: layout.width, height: layout.height };
  } finally {
    nes.close();
  }
}
