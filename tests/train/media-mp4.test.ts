/**
 * `mario-rl play` as MP4 and with the observation beside the screen, on the built-in game (no
 * ROM): `recordEpisode` keeps the newest pixel observation of every step, `episodeToGif` with
 * `observation: true` draws it scaled up beside the frame, `episodeToMp4` writes an H.264 MP4 of
 * the same pictures (the bundled WebAssembly encoder; ffmpeg too where it is on PATH), and the
 * CLI picks the format by the --out extension.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { GifReader } from 'omggif';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type TrainerConfigInput } from '../../src/train/config.js';
import { type RecordedEpisode } from '../../src/train/evaluation.js';
import { episodeToGif, episodeToMp4, ffmpegAvailable } from '../../src/train/media.js';
import { Trainer } from '../../src/train/trainer.js';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'mario-rl-play-mp4-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const W = 42;
const H = 40;
const config = (runDir: string): TrainerConfigInput => ({
  network: 'baseline',
  device: 'cpu',
  threads: 1,
  overlap: false,
  runDir,
  seed: 5,
  env: { width: W, height: H, maxEpisodeSteps: 40 },
  ppo: { numEnvs: 2, numSteps: 16, epochs: 1, minibatches: 1 },
  checkpoint: { interval: 0 },
  log: { heartbeatSeconds: 0, tensorboard: false, progress: 'off' },
});

/** The boxes of an MP4 (ISO BMFF) by type, the containers on the way to the video track opened. */
function mp4Boxes(bytes: Uint8Array): Map<string, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const boxes = new Map<string, Uint8Array>();
  const walk = (start: number, end: number) => {
    for (let at = start; at + 8 <= end;) {
      const size = view.getUint32(at);
      const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
      if (size < 8) break;
      if (!boxes.has(type)) boxes.set(type, bytes.subarray(at + 8, at + size));
      if (['moov', 'trak', 'mdia', 'minf', 'stbl'].includes(type)) walk(at + 8, at + size);
      at += size;
    }
  };
  walk(0, bytes.length);
  return boxes;
}

/** Width, height (tkhd, 16.16 fixed point) and sample count (stsz) of the MP4's first track. */
function mp4Video(bytes: Uint8Array): { brand: string; width: number; height: number; samples: number } {
  const boxes = mp4Boxes(bytes);
  const ftyp = boxes.get('ftyp')!;
  const tkhd = boxes.get('tkhd')!;
  const stsz = boxes.get('stsz')!;
  const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const at = tkhd[0] === 1 ? 88 : 76; // version 1 has 64-bit times
  return {
    brand: String.fromCharCode(...ftyp.subarray(0, 4)),
    width: dv(tkhd).getUint32(at) / 65536,
    height: dv(tkhd).getUint32(at + 4) / 65536,
    samples: dv(stsz).getUint32(8),
  };
}

describe('pixel observations beside the screen, and MP4', () => {
  let ep: RecordedEpisode;
  let checkpoint: string;
  beforeAll(async () => {
    const trainer = new Trainer(config(join(dir, 'run')), { handleSignals: false });
    try {
      checkpoint = (await trainer.train({ totalSteps: 32 })).latestCheckpoint;
      ep = await trainer.recordEpisode({ seed: 3, maxSteps: 8 });
    } finally {
      await trainer.close();
    }
  }, 120_000);

  it('records the newest observation of every step and draws it scaled up beside the frame', () => {
    expect(ep.tiles).toBeUndefined();
    const { channels, height, width, frames } = ep.pixels!;
    expect([channels, height, width, frames.length]).toEqual([1, H, W, (ep.length + 1) * H * W]);
    expect(
      frames.some((v) => v !== frames[0]),
      'a picture, not one colour',
    ).toBe(true);

    // Without `observation` the GIF is the plain screen, as before.
    expect(episodeToGif(ep, { holdFrames: 0 })).toMatchObject({ width: 256, height: 240 });
    const obsWidth = 2 * Math.ceil((W * 240) / H / 2); // 252
    const g = episodeToGif(ep, { observation: true, holdFrames: 0 });
    expect([g.width, g.height, g.frames]).toEqual([256 + 8 + obsWidth, 240, ep.length]);
    const reader = new GifReader(Buffer.from(g.gif));
    const rgba = new Uint8Array(g.width * g.height * 4);
    // GIF frame k (one per step) shows observation k + 1, the one the step produced.
    for (const k of [0, ep.length - 1]) {
      reader.decodeAndBlitFrameRGBA(k, rgba);
      const obs = frames.subarray((k + 1) * H * W, (k + 2) * H * W);
      for (const [y, x] of [
        [0, 0],
        [120, 126],
        [239, obsWidth - 1],
      ] as const) {
        const v = obs[Math.floor((y * H) / 240) * W + Math.min(W - 1, Math.floor((x * W) / obsWidth))]!;
        const p = (y * g.width + 264 + x) * 4;
        expect(rgba[p], `frame ${k} (${x}, ${y})`).toBe(Math.round(((v >> 2) * 255) / 63));
        expect(rgba[p + 1]).toBe(rgba[p]);
      }
    }
    expect(() => episodeToGif({ ...ep, pixels: undefined }, { observation: true })).toThrow(
      "Expected false (the episode has no observations to show: record it with env.obs 'pixels' or 'tiles') for observation but received true",
    );
  });

  it('writes an H.264 MP4 of the same pictures with the bundled encoder', async () => {
    const v = await episodeToMp4(ep, { observation: true, encoder: 'wasm', holdFrames: 8 });
    expect(v.encoder).toBe('wasm');
    // ep.length step frames plus the last one held for 8 emulator frames (2 video frames at stride 4).
    expect([v.width, v.height, v.frames]).toEqual([516, 240, ep.length + 2]);
    expect(mp4Video(v.mp4)).toMatchObject({ brand: 'mp42', width: 516, height: 240, samples: v.frames });
    expect(String.fromCharCode(...v.mp4.subarray(4, 8))).toBe('ftyp');
    await expect(episodeToMp4(ep, { encoder: 'vlc' as 'wasm' })).rejects.toThrow(`Expected 'auto', 'ffmpeg' or 'wasm' for encoder but received "vlc"`);
  }, 60_000);

  it.skipIf(!ffmpegAvailable())(
    'writes it with ffmpeg where ffmpeg is on PATH',
    async () => {
      const v = await episodeToMp4(ep, { encoder: 'ffmpeg', holdFrames: 0 });
      expect(mp4Video(v.mp4)).toMatchObject({ brand: 'isom', width: 256, height: 240, samples: ep.length });
    },
    60_000,
  );

  it('mario-rl play picks the format by the --out extension and shows the observation with --obs', () => {
    const run = (env: NodeJS.ProcessEnv, args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/index.ts'), 'play', '--checkpoint', checkpoint, ...args], {
        encoding: 'utf8',
        cwd: root,
        env: { ...process.env, MARIO_ROM: '', ...env },
      });
    const cli = (...args: string[]) => run({}, args);
    const out = join(dir, 'ep.mp4');
    const p = cli('--out', out, '--obs', '--seed', '3', '--max-steps', '8');
    expect(p.status, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/wrote .*ep\.mp4 \(\d+ frames, 516x240: frame \| 42x40 observation, H\.264 by (ffmpeg|h264-mp4-encoder), \d+ KiB/);
    expect(mp4Video(new Uint8Array(readFileSync(out)))).toMatchObject({ width: 516, height: 240 });

    // Without ffmpeg on PATH the bundled encoder writes it.
    const wasm = join(dir, 'wasm.mp4');
    const w = run({ PATH: '' }, ['--out', wasm, '--seed', '3', '--max-steps', '4']);
    expect(w.status, w.stderr).toBe(0);
    expect(w.stdout).toMatch(/wrote .*wasm\.mp4 \(\d+ frames, H\.264 by h264-mp4-encoder, \d+ KiB/);
    expect(mp4Video(new Uint8Array(readFileSync(wasm)))).toMatchObject({ brand: 'mp42', width: 256, height: 240 });

    const bad = cli('--out', 'ep.avi');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("Expected a file name ending in .gif or .mp4 for --out but received 'ep.avi'");
    const both = cli('--obs', '--no-grid');
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('--obs and --no-grid contradict each other');
    const ram = cli('--obs', '--env.obs', 'ram', '--network', 'mlp');
    expect(ram.status).toBe(2);
    expect(ram.stderr).toContain("Expected a policy on tile grids or pixels (env.obs tiles or pixels) for --obs but received env.obs 'ram'");
  }, 120_000);
});
