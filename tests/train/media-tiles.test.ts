/**
 * Tile grids in recorded episodes and their GIFs, on the built-in game (no ROM): `recordEpisode`
 * keeps the newest grid of every observation (checked against the grid computed from the replayed
 * console's RAM), `episodeToGif` draws the grid the agent saw beside each frame, and `mario-rl
 * play` does so by default for a tiles checkpoint (`--no-grid` leaves it out).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { GifReader } from 'omggif';
import { afterAll, describe, expect, it } from 'vitest';

import { tileScreenLeft } from '../../src/env/tiles.js';
import { Nes } from '../../src/nes.js';
import { type TrainerConfigInput } from '../../src/train/config.js';
import { type RecordedEpisode } from '../../src/train/evaluation.js';
import { episodeToGif } from '../../src/train/media.js';
import { TILE_CLASS_COLORS, TILE_PICTURE_PALETTE, tilePictureLayout } from '../../src/train/tile-picture.js';
import { Trainer } from '../../src/train/trainer.js';
import { refRunnerTiles } from '../env/reference.js';
import { tinyTiles } from './trainer-helpers.js';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'mario-rl-play-tiles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ROWS = 13;
const COLS = 16;
const GRID = ROWS * COLS;

const tilesConfig = (runDir: string): TrainerConfigInput =>
  tinyTiles(runDir, { seed: 5, env: { actions: 'simple' }, ppo: { minibatches: 1 }, checkpoint: { interval: 0 } });

/** Decodes GIF frame `i` to RGB. */
function gifFrameRgb(reader: GifReader, i: number): { rgb: Uint8Array; width: number } {
  const rgba = new Uint8Array(reader.width * reader.height * 4);
  reader.decodeAndBlitFrameRGBA(i, rgba);
  const rgb = new Uint8Array(reader.width * reader.height * 3);
  for (let p = 0; p < reader.width * reader.height; p++) rgb.set(rgba.subarray(p * 4, p * 4 + 3), p * 3);
  return { rgb, width: reader.width };
}

/** The class each cell of the picture's grid panel shows (by its centre pixel's colour), or -1 for another colour. */
function panelClasses(img: { rgb: Uint8Array; width: number }): Uint8Array | number[] {
  const { gridLeft } = tilePictureLayout(ROWS, COLS);
  const out: number[] = [];
  for (let r = 0; r < ROWS; r++) {
    for (let c = 0; c < COLS; c++) {
      const p = ((32 + 16 * r + 8) * img.width + gridLeft + 16 * c + 8) * 3;
      const colour = Array.from(img.rgb.subarray(p, p + 3)).join();
      out.push(TILE_CLASS_COLORS.findIndex((k) => k.join() === colour));
    }
  }
  return Uint8Array.from(out);
}

/** The newest grid of step `k`'s observation (k = 0: the reset's). */
const gridOf = (ep: RecordedEpisode, k: number) => ep.tiles!.grids.subarray(k * GRID, (k + 1) * GRID);

describe('recordEpisode + episodeToGif with tile grids', () => {
  it('records the grid of every observation and draws the one the agent saw beside each frame', async () => {
    const trainer = new Trainer(tilesConfig(join(dir, 'a')), { handleSignals: false });
    try {
      const ep = await trainer.recordEpisode({ deterministic: false, seed: 7, maxSteps: 40 });
      expect(ep.tiles).toMatchObject({ game: 'runner', rows: ROWS, cols: COLS });
      expect(ep.tiles!.grids.length).toBe((ep.length + 1) * GRID);

      // Each grid is the one computed from the RAM of the replayed console at that step's end.
      const nes = new Nes(ep.rom);
      nes.loadState(ep.startState);
      expect(gridOf(ep, 0)).toEqual(refRunnerTiles(nes.ram, ROWS, COLS));
      const ends: { rgb: Uint8Array; scrollX: number }[] = [];
      for (let k = 0; k < ep.length; k++) {
        let scrollX = 0;
        for (let f = 0; f < ep.frameSkip; f++) {
          // The last frame's picture shows the state before it: its scroll.
          scrollX = tileScreenLeft('runner', nes.ram) % 16;
          nes.stepFrame(ep.buttons[k]!);
        }
        expect(gridOf(ep, k + 1), `grid after step ${k}`).toEqual(refRunnerTiles(nes.ram, ROWS, COLS));
        ends.push({ rgb: nes.toRgb().slice(), scrollX });
      }
      nes.close();
      expect(
        ends.some((e) => e.scrollX !== 0),
        'the screen scrolled by a fraction of a cell',
      ).toBe(true);
      const classes = new Set(ep.tiles!.grids);
      expect(classes.has(1) && classes.has(3), 'solid ground and the player').toBe(true);

      // Two GIF frames per step (frame skip 4, stride 2): mid-step the grid acted on, at the end the step's own.
      const { gif, frames, resyncs, width, height } = episodeToGif(ep, { frameStride: 2, holdFrames: 0 });
      expect([resyncs, frames, width, height]).toEqual([0, ep.length * 2, 520, 240]);
      const reader = new GifReader(Buffer.from(gif));
      expect([reader.width, reader.height, reader.numFrames()]).toEqual([520, 240, frames]);
      let pitEdges = 0;
      for (let i = 0; i < frames; i++) {
        const k = Math.floor(i / 2);
        const img = gifFrameRgb(reader, i);
        expect(panelClasses(img), `GIF frame ${i}`).toEqual(gridOf(ep, i % 2 === 1 ? k + 1 : k));
        if (i % 2 === 0) continue;
        // The step's last frame: left is the replayed frame wherever no cell line is dotted over it.
        const end = ends[k]!;
        const overlay = TILE_PICTURE_PALETTE[7]!;
        let diff = 0;
        for (let y = 0; y < 240; y++) {
          for (let x = 0; x < 256; x++) {
            const a = (y * 520 + x) * 3;
            const b = (y * 256 + x) * 3;
            const same = img.rgb[a] === end.rgb[b] && img.rgb[a + 1] === end.rgb[b + 1] && img.rgb[a + 2] === end.rgb[b + 2];
            const onLine = y >= 32 && ((y - 32) % 16 === 0 || (x + end.scrollX) % 16 === 0) && (x + y) % 2 === 0;
            const dotted = img.rgb[a] === overlay[0] && img.rgb[a + 1] === overlay[1] && img.rgb[a + 2] === overlay[2];
            if (!same && !(onLine && dotted)) diff++;
          }
        }
        expect(diff, `GIF frame ${i}: the frame beside the grid`).toBe(0);
        // The dotted column lines sit on the picture's metatile edges: every edge between sky and
        // ground in the bottom row of blocks (pits) is on one, unless the player is down there.
        if (
          gridOf(ep, k + 1)
            .subarray(11 * COLS)
            .includes(3)
        )
          continue;
        const sky = end.rgb.subarray((40 * 256 + 4) * 3, (40 * 256 + 4) * 3 + 3).join();
        const isSky = (x: number) => end.rgb.subarray((230 * 256 + x) * 3, (230 * 256 + x) * 3 + 3).join() === sky;
        for (let x = 1; x < 256; x++) {
          if (isSky(x) !== isSky(x - 1)) {
            pitEdges++;
            expect((x + end.scrollX) % 16, `GIF frame ${i}: pit edge at x ${x}, scroll ${end.scrollX}`).toBe(0);
          }
        }
      }
      expect(pitEdges, 'pit edges seen').toBeGreaterThan(10);

      // grid: false is the plain 256 × 240 GIF; a pixel episode has no grid to draw.
      expect(episodeToGif(ep, { grid: false, holdFrames: 0 })).toMatchObject({ width: 256, height: 240 });
      const { tiles: _tiles, ...pixelEpisode } = ep;
      expect(episodeToGif(pixelEpisode, { holdFrames: 0 }).width).toBe(256);
      expect(() => episodeToGif(pixelEpisode, { grid: true })).toThrow(
        "Expected false (the episode has no tile grids: record it with env.obs 'tiles') for grid but received true",
      );
      expect(() => episodeToGif({ ...ep, tiles: { game: 'runner', rows: ROWS, cols: COLS, grids: new Uint8Array(GRID) } })).toThrow('episode.tiles.grids');
    } finally {
      await trainer.close();
    }
  });
});

describe('mario-rl play with a tiles checkpoint', () => {
  it('writes the grid beside the screen by default, and only the screen with --no-grid', async () => {
    const runDir = join(dir, 'cli');
    const trainer = new Trainer(tilesConfig(runDir), { handleSignals: false });
    let expected: RecordedEpisode;
    let checkpoint: string;
    try {
      checkpoint = (await trainer.train({ totalSteps: 64 })).latestCheckpoint;
      // The same greedy episode the CLI plays: the checkpoint holds these parameters.
      expected = await trainer.recordEpisode({ seed: 11, maxSteps: 12 });
    } finally {
      await trainer.close();
    }
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/index.ts'), 'play', '--checkpoint', checkpoint, ...args], {
        encoding: 'utf8',
        cwd: root,
        env: { ...process.env, MARIO_ROM: '' },
      });
    const out = join(dir, 'grid.gif');
    const p = cli('--out', out, '--seed', '11', '--max-steps', '12');
    expect(p.status, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/wrote .*grid\.gif \(\d+ frames, 520x240: frame \| 13x16 tile grid, \d+ KiB/);
    const reader = new GifReader(readFileSync(out));
    expect(reader.width).toBeGreaterThan(256);
    expect([reader.width, reader.height, reader.numFrames()]).toEqual([520, 240, expected.length + 1]);
    // The last frame (held at the end) shows the grid of the episode's last observation.
    const last = gifFrameRgb(reader, reader.numFrames() - 1);
    expect(panelClasses(last)).toEqual(gridOf(expected, expected.length));
    // Every GIF frame's panel is drawn in class colours only, the player in each.
    for (let i = 0; i < reader.numFrames(); i++) {
      const cells = Array.from(panelClasses(gifFrameRgb(reader, i)));
      expect(cells.includes(-1), `frame ${i}`).toBe(false);
      expect(
        cells.filter((c) => c === 3),
        `frame ${i}: one player`,
      ).toHaveLength(1);
    }

    const plain = join(dir, 'plain.gif');
    const q = cli('--out', plain, '--seed', '11', '--max-steps', '3', '--no-grid');
    expect(q.status, q.stderr).toBe(0);
    expect(q.stdout).not.toContain('tile grid');
    expect(new GifReader(readFileSync(plain)).width).toBe(256);

    const both = cli('--grid', '--no-grid');
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('--grid and --no-grid contradict each other');
    const pixels = cli('--grid', '--env.obs', 'pixels', '--network', 'baseline');
    expect(pixels.status).toBe(2);
    expect(pixels.stderr).toContain("Expected a policy that sees tile grids (env.obs tiles) for --grid but received env.obs 'pixels'");
  }, 240_000);
});
