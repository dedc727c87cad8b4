/**
 * `Trainer.recordEpisode` + `episodeToGif` (what `mario-rl play` runs): the replay on a `Nes`
 * follows the env step for step, and the GIF decodes (omggif) to the replayed frames.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { GifReader } from 'omggif';
import { afterAll, describe, expect, it } from 'vitest';

import { loadRunnerRom } from '../../src/games/runner.js';
import { Nes } from '../../src/nes.js';
import { episodeToGif } from '../../src/train/media.js';
import { type TrainerConfigInput } from '../../src/train/config.js';
import { Trainer } from '../../src/train/trainer.js';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'mario-rl-play-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = (runDir: string): TrainerConfigInput => ({
  network: 'baseline',
  device: 'cpu',
  threads: 1,
  overlap: false,
  runDir,
  seed: 5,
  env: { width: 42, height: 42, maxEpisodeSteps: 40 },
  ppo: { numEnvs: 2, numSteps: 16, epochs: 1, minibatches: 1 },
  log: { heartbeatSeconds: 0, tensorboard: false, progress: 'off' },
});

describe('recordEpisode + episodeToGif', () => {
  it('replays the episode on a Nes without resyncs and encodes every frame', async () => {
    const trainer = new Trainer(config(join(dir, 'a')), { handleSignals: false });
    try {
      const ep = await trainer.recordEpisode({ deterministic: false, seed: 7, maxSteps: 30 });
      expect(ep.length).toBeGreaterThan(0);
      expect(ep.buttons).toHaveLength(ep.actions.length);
      expect(ep.frameSkip).toBe(4);
      expect(ep.rom).toEqual(loadRunnerRom());
      // Every non-final step left a state; the last one only when the episode was cut.
      expect(ep.states).toHaveLength(ep.cut ? ep.actions.length : ep.actions.length - 1);
      expect(ep.length).toBe(ep.actions.length);

      const { gif, frames, resyncs } = episodeToGif(ep, { frameStride: 2, holdFrames: 0 });
      expect(resyncs).toBe(0);
      expect(frames).toBe((ep.actions.length * 4) / 2);
      const reader = new GifReader(Buffer.from(gif));
      expect([reader.width, reader.height, reader.numFrames()]).toEqual([256, 240, frames]);
      expect(reader.frameInfo(0).delay).toBe(3);

      // The last GIF frame is the replay's last frame, pixel for pixel.
      const nes = new Nes(ep.rom);
      nes.loadState(ep.startState);
      for (const b of ep.buttons) for (let f = 0; f < 4; f++) nes.stepFrame(b);
      const rgb = nes.toRgb().slice();
      nes.close();
      const rgba = new Uint8Array(256 * 240 * 4);
      reader.decodeAndBlitFrameRGBA(frames - 1, rgba);
      let diff = 0;
      const colours = new Set<number>();
      for (let p = 0; p < 256 * 240; p++) {
        if (rgba[p * 4] !== rgb[p * 3] || rgba[p * 4 + 1] !== rgb[p * 3 + 1] || rgba[p * 4 + 2] !== rgb[p * 3 + 2]) diff++;
        colours.add((rgb[p * 3]! << 16) | (rgb[p * 3 + 1]! << 8) | rgb[p * 3 + 2]!);
      }
      expect(diff).toBe(0);
      expect(colours.size).toBeGreaterThan(2); // a drawn stage, not a blank screen
    } finally {
      await trainer.close();
    }
  });

  it('resyncs to the env state when the recording skipped frames the replay did not', async () => {
    const trainer = new Trainer(config(join(dir, 'b')), { handleSignals: false });
    try {
      const ep = await trainer.recordEpisode({ seed: 3, maxSteps: 6 });
      expect(ep.cut || ep.length < 6).toBe(true);
      // Pretend the env ran an extra frame before step 2 ended: the replay must jump to it.
      const nes = new Nes(ep.rom);
      nes.loadState(ep.states[1]!);
      nes.stepFrame(0);
      const states = ep.states.slice();
      states[1] = nes.saveState().slice();
      nes.close();
      const { resyncs } = episodeToGif({ ...ep, states }, { holdFrames: 0 });
      // Step 2 differs from the doctored state, and step 3 from the real one after the jump.
      expect(resyncs).toBe(2);
      expect(() => episodeToGif(ep, { frameStride: 0 })).toThrow('frameStride');
      await expect(trainer.recordEpisode({ maxSteps: 0 })).rejects.toThrow('maxSteps');
    } finally {
      await trainer.close();
    }
  });
});

describe('mario-rl play', () => {
  it('trains a tiny run, then writes a GIF of one episode', () => {
    const runDir = join(dir, 'cli');
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/index.ts'), ...args], {
        encoding: 'utf8',
        cwd: root,
        env: { ...process.env, MARIO_ROM: '' },
      });
    const t = cli(
      'train',
      '--network',
      'baseline',
      '--device',
      'cpu',
      '--threads',
      '1',
      '--env.width',
      '42',
      '--env.height',
      '42',
      '--env.max-episode-steps',
      '30',
      '--ppo.num-envs',
      '2',
      '--ppo.num-steps',
      '16',
      '--ppo.epochs',
      '1',
      '--ppo.minibatches',
      '1',
      '--total-steps',
      '32',
      '--run-dir',
      runDir,
      '--log.progress',
      'off',
      '--log.heartbeat-seconds',
      '0',
    );
    expect(t.status, t.stderr).toBe(0);
    const out = join(dir, 'ep.gif');
    const p = cli(
      'play',
      '--config',
      join(runDir, 'config.json'),
      '--checkpoint',
      join(runDir, 'checkpoints', 'latest.ckpt'),
      '--out',
      out,
      '--max-steps',
      '20',
    );
    expect(p.status, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/episode \(greedy actions\): return -?\d+\.\d\d, \d+ steps.*wrote .*ep\.gif \(\d+ frames/);
    expect(p.stdout).toContain(`with --config ${join(runDir, 'config.json')}: greedy actions`);
    expect(existsSync(out)).toBe(true);
    expect(new GifReader(readFileSync(out)).numFrames()).toBeGreaterThan(1);
    const bad = cli('play', '--checkpoint', 'x.ckpt', '--out', 'x.png');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("Expected a file name ending in .gif or .mp4 for --out but received 'x.png'");
    const none = cli('play');
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('--checkpoint is required');
    const steps = cli('play', '--checkpoint', 'x.ckpt', '--max-steps=0');
    expect(steps.status).toBe(2);
    expect(steps.stderr).toContain("--max-steps must be an integer in [1, 100000] but is '0'");
    const twice = cli('play', '--checkpoint', 'a.ckpt', '--checkpoint', 'b.ckpt');
    expect(twice.status).toBe(2);
    expect(twice.stderr).toContain('flag --checkpoint given twice');
    const episodes = cli('eval', '--checkpoint', 'x.ckpt', '--episodes', 'many');
    expect(episodes.status).toBe(2);
    expect(episodes.stderr).toContain("--episodes must be an integer in [1, 10000] but is 'many'");
  });
});
