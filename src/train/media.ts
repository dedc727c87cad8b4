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
 * An episode recorded with pixel observations can get, with `observation: true`, the newest frame
 * of what the agent saw beside each frame instead: grayscale (or RGB) at the observation's size,
 * scaled up with nearest neighbour to the screen's height (GIF: 64 grey levels, or 4 levels per
 * channel for RGB). The same pictures can be encoded as H.264 MP4 ({@link episodeToMp4}).
 *
 * After each step the replayed console is compared with the state the env saved; where the env
 * ran frames the replay did not (a game adapter fast-forwarding a transition), the replay loads
 * the env's state and goes on, so the GIF never drifts from what the agent did. `resyncs` counts
 * those jumps.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { bytesEqual } from '../bytes.js';
import { TILE_PIXELS, tileScreenLeft } from '../env/tiles.js';
import { FRAME_HEIGHT, FRAME_WIDTH, Nes } from '../nes.js';
import { GIF_COLORS, GifEncoder } from '../util/gif.js';
import { expectBoolean, expectedMessage, expectInteger, expectOptions, rejectUnknownKeys } from '../validate.js';
import { type RecordedEpisode } from './evaluation.js';
import { frameBesideGridIndexed, TILE_PICTURE_GAP, TILE_PICTURE_PALETTE, tilePictureLayout } from './tile-picture.js';

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
  /**
   * Draw the observation the agent saw beside each frame: the tile grid for a tiles episode (the
   * same as `grid`), the newest pixel frame scaled up to 240 px high for a pixels episode.
   * Default: true for a tiles episode, false otherwise.
   */
  observation?: boolean;
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
  const r = renderEpisode(episode, options, 'episodeToGif options');
  // GIF delays are hundredths of a second; the NES runs 60 frames/s.
  const enc = new GifEncoder({ width: r.width, height: r.height, colors: r.colors, delayCs: Math.max(2, Math.round((r.stride * 100) / 60)) });
  for (const pic of r.pictures) {
    const holdCs = pic.holdFrames > 0 ? Math.min(65535, Math.round((pic.holdFrames * 100) / 60)) : undefined;
    enc.add({ indices: pic.indices, palette: pic.palette, ...(holdCs === undefined ? {} : { delayCs: holdCs }) });
  }
  return { gif: enc.finish(), frames: enc.frameCount, resyncs: r.stats.resyncs, width: r.width, height: r.height };
}

/** Options of {@link episodeToMp4}: those of {@link episodeToGif} and the encoder. */
export interface EpisodeMp4Options extends EpisodeGifOptions {
  /**
   * 'ffmpeg' (the `ffmpeg` on PATH, libx264), 'wasm' (the `h264-mp4-encoder` npm package,
   * in-process) or 'auto' (ffmpeg when on PATH, wasm otherwise). Default 'auto'.
   */
  encoder?: 'auto' | 'ffmpeg' | 'wasm';
}

/** What {@link episodeToMp4} returns. */
export interface EpisodeMp4 {
  /** The MP4 file (H.264, yuv420p, 60 / frameStride frames/s). */
  mp4: Uint8Array;
  /** Video frames (the held last image counts as the frames it lasts). */
  frames: number;
  resyncs: number;
  width: number;
  height: number;
  /** The encoder that wrote it. */
  encoder: 'ffmpeg' | 'wasm';
}

/** Whether an `ffmpeg` executable runs from PATH. */
export function ffmpegAvailable(): boolean {
  const r = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

/**
 * Replays `episode` and encodes it as an H.264 MP4: the pictures of {@link episodeToGif} (screen,
 * and the observation beside it), one video frame per `frameStride` emulator frames.
 */
export async function episodeToMp4(episode: RecordedEpisode, options: EpisodeMp4Options = {}): Promise<EpisodeMp4> {
  const o = expectOptions<EpisodeMp4Options>(options, 'episodeToMp4 options');
  const { encoder: choice = 'auto', ...gifOptions } = o;
  if (!['auto', 'ffmpeg', 'wasm'].includes(choice)) throw new RangeError(expectedMessage("'auto', 'ffmpeg' or 'wasm'", 'encoder', choice));
  const encoder = choice === 'auto' ? (ffmpegAvailable() ? 'ffmpeg' : 'wasm') : choice;
  const r = renderEpisode(episode, gifOptions, 'episodeToMp4 options');
  const fps = 60 / r.stride;
  let frames = 0;
  /** Each picture as RGB [H, W, 3], the held last one repeated for as long as it is held. */
  function* rgbFrames(): Generator<Uint8Array> {
    const rgb = new Uint8Array(r.width * r.height * 3);
    for (const pic of r.pictures) {
      for (let p = 0; p < pic.indices.length; p++) rgb.set(pic.palette.subarray(pic.indices[p]! * 3, pic.indices[p]! * 3 + 3), p * 3);
      const copies = pic.holdFrames > 0 ? Math.max(1, Math.round(pic.holdFrames / r.stride)) : 1;
      for (let c = 0; c < copies; c++, frames++) yield rgb;
    }
  }
  const mp4 = encoder === 'ffmpeg' ? await encodeWithFfmpeg(rgbFrames(), r.width, r.height, fps) : await encodeWithWasm(rgbFrames(), r.width, r.height, fps);
  return { mp4, frames, resyncs: r.stats.resyncs, width: r.width, height: r.height, encoder };
}

/**
 * Streams raw RGB frames to `ffmpeg`'s stdin (libx264, yuv420p) and returns the MP4 it wrote to a
 * temporary file (MP4 needs a seekable output).
 */
async function encodeWithFfmpeg(frames: Iterable<Uint8Array>, width: number, height: number, fps: number): Promise<Uint8Array> {
  const dir = mkdtempSync(join(tmpdir(), 'mario-rl-mp4-'));
  try {
    const file = join(dir, 'episode.mp4');
    // [N, H, W, 3] RGB on stdin; faststart puts the index first, as players like it.
    const args = [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-s',
      `${width}x${height}`,
      '-framerate',
      String(fps),
      '-i',
      '-',
    ];
    args.push('-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', '-y', file);
    const child = spawn('ffmpeg', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    // ffmpeg closing stdin early (an error) shows in its exit code; the write error is not the news.
    child.stdin.on('error', () => {});
    for (const rgb of frames) {
      if (!child.stdin.write(rgb)) await Promise.race([once(child.stdin, 'drain'), exited]);
      if (child.exitCode !== null) break;
    }
    child.stdin.end();
    const code = await exited;
    if (code !== 0) throw new Error(`ffmpeg failed to write the MP4 (exit code ${code}): ${stderr.trim()}`);
    return new Uint8Array(readFileSync(file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Encodes RGB frames with the `h264-mp4-encoder` npm package (x264 built to WebAssembly, in-process). */
async function encodeWithWasm(frames: Iterable<Uint8Array>, width: number, height: number, fps: number): Promise<Uint8Array> {
  // require, not import(): the package is a CommonJS bundle whose ESM default tsx and Node disagree on.
  const h264 = createRequire(import.meta.url)('h264-mp4-encoder') as typeof import('h264-mp4-encoder');
  const enc = await h264.createH264MP4Encoder();
  try {
    enc.width = width;
    enc.height = height;
    enc.frameRate = Math.max(1, Math.round(fps));
    enc.quantizationParameter = 20; // sharp pixel edges; the default 33 smears the NES frame
    enc.initialize();
    const rgba = new Uint8Array(width * height * 4).fill(255);
    for (const rgb of frames) {
      for (let p = 0; p < width * height; p++) {
        rgba[p * 4] = rgb[p * 3]!;
        rgba[p * 4 + 1] = rgb[p * 3 + 1]!;
        rgba[p * 4 + 2] = rgb[p * 3 + 2]!;
      }
      enc.addFrameRgba(rgba);
    }
    enc.finalize();
    return new Uint8Array(enc.FS.readFile(enc.outputFilename));
  } finally {
    enc.delete();
  }
}

/** One rendered picture, passed to the encoder by {@link renderEpisode}. */
interface EpisodePicture {
  /** width × height colour indices (< colors) into `palette` (colors × 3 RGB). */
  indices: Uint8Array;
  palette: Uint8Array;
  width: number;
  height: number;
  colors: number;
  /** Emulator frames per picture. */
  stride: number;
  /** 0, or (for the last picture) the emulator frames it is held for. */
  holdFrames: number;
}

/** Side length of the observation panel's grey/colour cube in GIF colours: 64 levels. */
const OBS_COLORS = 64;

/** What {@link renderEpisode} returns: the picture size and the pictures, rendered as they are iterated. */
interface RenderedEpisode {
  width: number;
  height: number;
  /** Colours of the pictures' palettes (a power of two). */
  colors: number;
  /** Emulator frames per picture. */
  stride: number;
  /** Each picture (its buffers reused: copy what you keep). */
  pictures: Generator<EpisodePicture>;
  /** Steps where the replay loaded the env's state, counted as the pictures are iterated. */
  stats: { resyncs: number };
}

/** Checks the options (errors name `what`) and returns the size and a generator that replays `episode` into pictures. */
function renderEpisode(episode: RecordedEpisode, options: EpisodeGifOptions, what: string): RenderedEpisode {
  const o = expectOptions<EpisodeGifOptions>(options, what);
  rejectUnknownKeys(o, what, ['frameStride', 'holdFrames', 'grid', 'gridOverlay', 'observation']);
  const stride = o.frameStride === undefined ? episode.frameSkip : expectInteger(o.frameStride, 'frameStride', 1, 60);
  const hold = o.holdFrames === undefined ? 30 : expectInteger(o.holdFrames, 'holdFrames', 0, 600);
  const tiles = episode.tiles;
  const pixels = episode.pixels;
  const observation = o.observation === undefined ? undefined : expectBoolean(o.observation, 'observation');
  const grid = o.grid === undefined ? undefined : expectBoolean(o.grid, 'grid');
  // `grid` is `observation` for tiles; on another episode only an explicit grid: true asks for (and fails on) a grid.
  const showGrid = tiles !== undefined ? (grid ?? observation ?? true) : grid === true;
  const showPixels = tiles === undefined && observation === true;
  const overlay = o.gridOverlay === undefined ? true : expectBoolean(o.gridOverlay, 'gridOverlay');
  if (showGrid && tiles === undefined) {
    throw new RangeError(expectedMessage("false (the episode has no tile grids: record it with env.obs 'tiles')", 'grid', true));
  }
  if (showPixels && pixels === undefined) {
    throw new RangeError(expectedMessage("false (the episode has no observations to show: record it with env.obs 'pixels' or 'tiles')", 'observation', true));
  }
  const gridBytes = tiles ? tiles.rows * tiles.cols : 0;
  if (showGrid && tiles!.grids.length !== (episode.buttons.length + 1) * gridBytes) {
    throw new RangeError(expectedMessage(`${episode.buttons.length + 1} grids of ${gridBytes} bytes`, 'episode.tiles.grids', tiles!.grids));
  }
  const obsBytes = pixels ? pixels.channels * pixels.height * pixels.width : 0;
  if (showPixels && pixels!.frames.length !== (episode.buttons.length + 1) * obsBytes) {
    throw new RangeError(expectedMessage(`${episode.buttons.length + 1} frames of ${obsBytes} bytes`, 'episode.pixels.frames', pixels!.frames));
  }
  // The observation panel: scaled to the screen's height, an even width (H.264 wants even sizes).
  const obsWidth = showPixels ? 2 * Math.ceil((pixels!.width * FRAME_HEIGHT) / pixels!.height / 2) : 0;
  const layout = showGrid
    ? tilePictureLayout(tiles!.rows, tiles!.cols)
    : showPixels
      ? { width: FRAME_WIDTH + TILE_PICTURE_GAP + obsWidth, height: FRAME_HEIGHT }
      : { width: FRAME_WIDTH, height: FRAME_HEIGHT };
  // The grid's colours, or the observation's 64 greys / 4×4×4 colours, go after the 64 NES colours.
  const colors = showGrid || showPixels ? 2 * GIF_COLORS : GIF_COLORS;
  const stats = { resyncs: 0 };
  return { width: layout.width, height: layout.height, colors, stride, pictures: pictures(), stats };

  function* pictures(): Generator<EpisodePicture> {
    const nes = new Nes(episode.rom);
    const palette = new Uint8Array(colors * 3);
    if (showGrid) TILE_PICTURE_PALETTE.forEach((c, k) => palette.set(c, (GIF_COLORS + k) * 3));
    if (showPixels) {
      for (let k = 0; k < OBS_COLORS; k++) {
        const rgb = pixels!.channels === 1 ? [k, k, k].map((v) => Math.round((v * 255) / 63)) : [k >> 4, (k >> 2) & 3, k & 3].map((v) => v * 85);
        palette.set(rgb, (GIF_COLORS + k) * 3);
      }
    }
    const indices = new Uint8Array(FRAME_WIDTH * FRAME_HEIGHT);
    const picture = showGrid || showPixels ? new Uint8Array(layout.width * layout.height) : indices;
    // The gap between screen and observation: black.
    if (showPixels) picture.fill(GIF_COLORS);
    // The grid shown now (its index in tiles.grids), and the fine scroll of the picture: a frame is
    // drawn from the state the frame before it left, so its scroll is read before it is stepped.
    let shown = 0;
    let scrollX = 0;
    const pictureNow = (holdFrames: number): EpisodePicture => {
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
      if (showPixels) drawObservation(pixels!, shown, indices, picture, layout.width, obsWidth);
      return { indices: picture, palette, width: layout.width, height: layout.height, colors, stride, holdFrames };
    };
    let added = 0;
    try {
      nes.loadState(episode.startState);
      let frameNo = 0;
      for (let k = 0; k < episode.buttons.length; k++) {
        for (let f = 0; f < episode.frameSkip; f++) {
          if (showGrid) scrollX = tileScreenLeft(tiles!.game, nes.ram) % TILE_PIXELS;
          nes.stepFrame(episode.buttons[k]!);
          // After the step's last frame the env read the step's grid (one frame ahead of the picture, as pixels are).
          if (f === episode.frameSkip - 1) shown = k + 1;
          if (++frameNo % stride === 0) {
            yield pictureNow(0);
            added++;
          }
        }
        const expected = episode.states[k];
        if (expected !== undefined && !bytesEqual(nes.saveState(), expected)) {
          nes.loadState(expected);
          stats.resyncs++;
        }
      }
      if (added === 0 || hold > 0) yield pictureNow(hold);
    } finally {
      nes.close();
    }
  }
}

/**
 * Writes the screen (`frame`, 256 × 240 indices) and observation `k` of `pixels` beside it, scaled
 * with nearest neighbour to `obsWidth` × 240, into `out` (width `outWidth`; the gap left as is).
 */
function drawObservation(
  pixels: NonNullable<RecordedEpisode['pixels']>,
  k: number,
  frame: Uint8Array,
  out: Uint8Array,
  outWidth: number,
  obsWidth: number,
): void {
  const { channels, height, width } = pixels;
  const plane = height * width;
  const obs = pixels.frames.subarray(k * channels * plane, (k + 1) * channels * plane);
  const left = FRAME_WIDTH + TILE_PICTURE_GAP;
  for (let y = 0; y < FRAME_HEIGHT; y++) {
    out.set(frame.subarray(y * FRAME_WIDTH, (y + 1) * FRAME_WIDTH), y * outWidth);
    const row = Math.min(height - 1, Math.floor((y * height) / FRAME_HEIGHT)) * width;
    for (let x = 0; x < obsWidth; x++) {
      const p = row + Math.min(width - 1, Math.floor((x * width) / obsWidth));
      // Grey: 6 bits of the level; RGB planes: 2 bits of each channel.
      const c = channels === 1 ? obs[p]! >> 2 : ((obs[p]! >> 6) << 4) | ((obs[plane + p]! >> 6) << 2) | (obs[2 * plane + p]! >> 6);
      out[y * outWidth + left + x] = GIF_COLORS + c;
    }
  }
}
