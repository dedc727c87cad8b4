/**
 * `mario-rl play`: runs one episode of a checkpoint's policy and writes it as an animated GIF or
 * an H.264 MP4, chosen by the --out extension (full-resolution NES frames, one per agent step by
 * default; with --obs, the default for a policy trained on tile grids, what the policy saw beside
 * each frame: the tile grid, or the newest pixel observation scaled up).
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import { episodeToGif, episodeToMp4, ffmpegAvailable } from '../train/media.js';
import { EVAL_EPSILON, Trainer } from '../train/trainer.js';
import { actionChoice, checkpointRunConfig, describeStage } from './checkpoint-config.js';
import { intFlag, parseKnownFlags, UsageError } from './flags.js';

export const PLAY_USAGE = `usage: mario-rl play --checkpoint FILE [--out episode.gif|episode.mp4] [--sample] [--seed N] [--max-steps N] [--frame-stride N] [--obs|--no-obs] [run-config flags]

Plays one episode with a checkpoint's policy and writes it as an animated GIF or an H.264 MP4
(256x240 NES frames; with --obs, what the policy saw beside each frame). The run config (game,
stage, observations, network) is the checkpoint's own.

options:
  --checkpoint FILE   the checkpoint, e.g. runs/mario-rl/checkpoints/latest.ckpt (required)
  --out FILE          where to write the episode; the extension picks the format [default: episode.gif]
                      .gif: animated GIF
                      .mp4: H.264 MP4, by ffmpeg when it is on PATH, else by the bundled
                      h264-mp4-encoder (WebAssembly; slower)
  --sample            sample actions from the policy instead of greedy ones (DQN: ε-greedy, ε ${EVAL_EPSILON})
  --seed N            seed of the env and of sampling, 0…2^32-1
  --max-steps N       stop after N agent steps, 1…100000 [default: 10000]
  --frame-stride N    emulator frames per video frame, 1…60 [default: the frame skip, one per agent step]
  --obs, --no-obs     draw the observation the policy saw beside each frame: the tile grid (env.obs
                      tiles) or the newest pixel frame scaled up to 240 px (env.obs pixels)
                      [default: on for env.obs tiles, off otherwise; env.obs ram has none]
  --grid, --no-grid   --obs and --no-obs for a tiles policy (the older names)
  -h, --help          print this help

Run-config flags are accepted and override the checkpoint's config: any flag of mario-rl train
(e.g. --env.noop-max 30), --config FILE or --preset NAME to use another config (refused when it
is for another game or stage; name the stage with --env.stage to play another one on purpose).`;

/** The `play` subcommand. */
export const playCommand = {
  summary: "play one episode of a checkpoint's policy and write it as an animated GIF or an MP4",
  async run(args: string[]): Promise<number> {
    let checkpoint: string | undefined;
    let out = 'episode.gif';
    let deterministic: boolean;
    let seed: number | undefined;
    let maxSteps = 10_000;
    let frameStride: number | undefined;
    let grid: boolean | undefined; // --obs/--grid (true), --no-obs/--no-grid (false)
    let gridFlag: 'grid' | 'obs'; // which name asked for it (--grid insists on tiles)
    let format: 'gif' | 'mp4';
    let encoder: 'ffmpeg' | 'wasm' | undefined;
    let remaining: string[];
    try {
      const { flags, rest } = parseKnownFlags(args, {
        checkpoint: {},
        out: {},
        sample: { boolean: true },
        seed: {},
        'max-steps': {},
        'frame-stride': {},
        grid: { boolean: true },
        'no-grid': { boolean: true },
        obs: { boolean: true },
        'no-obs': { boolean: true },
        help: { boolean: true, short: 'h' },
      });
      if (flags.help) {
        console.log(PLAY_USAGE);
        return 0;
      }
      checkpoint = flags.checkpoint;
      if (flags.out !== undefined) out = flags.out;
      deterministic = flags.sample !== 'true';
      if (flags.seed !== undefined) seed = intFlag(flags.seed, 'seed', 0, 2 ** 32 - 1);
      if (flags['max-steps'] !== undefined) maxSteps = intFlag(flags['max-steps'], 'max-steps', 1, 100_000);
      if (flags['frame-stride'] !== undefined) frameStride = intFlag(flags['frame-stride'], 'frame-stride', 1, 60);
      const on = (['obs', 'grid'] as const).filter((f) => flags[f]);
      const off = (['no-obs', 'no-grid'] as const).filter((f) => flags[f]);
      if (on.length && off.length) throw new UsageError(`--${on[0]} and --${off[0]} contradict each other`);
      if (on.length) grid = true;
      if (off.length) grid = false;
      gridFlag = flags.grid ? 'grid' : 'obs';
      remaining = rest;
      if (!checkpoint) throw new UsageError('--checkpoint is required');
      const ext = /\.(gif|mp4)$/i.exec(out)?.[1]?.toLowerCase();
      if (ext !== 'gif' && ext !== 'mp4') throw new UsageError(`Expected a file name ending in .gif or .mp4 for --out but received '${out}'`);
      format = ext;
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      console.error(`mario-rl play: ${err.message}\n\n${PLAY_USAGE}`);
      return 2;
    }
    let run;
    try {
      run = checkpointRunConfig(checkpoint, remaining);
      if (run.rest.length) throw new UsageError(`unexpected argument '${run.rest[0]}'`);
      const obsKind = run.config.env.obs;
      if (grid && gridFlag === 'grid' && obsKind !== 'tiles') {
        throw new UsageError(
          `Expected a policy that sees tile grids (env.obs tiles) for --grid but received env.obs '${obsKind}' (--obs shows pixel observations)`,
        );
      }
      if (grid && obsKind === 'ram') {
        throw new UsageError(`Expected a policy on tile grids or pixels (env.obs tiles or pixels) for --obs but received env.obs 'ram' (RAM has no picture)`);
      }
      if (format === 'mp4') encoder = mp4Encoder();
    } catch (err) {
      console.error(`mario-rl play: ${(err as Error).message}\n\n${PLAY_USAGE}`);
      return 2;
    }
    const trainer = new Trainer(run.config, { handleSignals: false });
    try {
      await trainer.load(checkpoint);
      const how = actionChoice(run.config, deterministic, EVAL_EPSILON);
      console.log(`playing ${checkpoint} (step ${run.globalStep}) on ${describeStage(run.config)} with ${run.source}: ${how}`);
      const ep = await trainer.recordEpisode({ deterministic, maxSteps, ...(seed === undefined ? {} : { seed }) });
      const options = {
        ...(frameStride === undefined ? {} : { frameStride }),
        ...(grid === undefined ? {} : { observation: grid }),
      };
      const video = format === 'mp4' ? await episodeToMp4(ep, { ...options, encoder: encoder! }) : episodeToGif(ep, options);
      const bytes = 'mp4' in video ? video.mp4 : video.gif;
      const { frames, resyncs, width, height } = video;
      writeFileSync(out, bytes);
      const beside =
        ep.tiles && grid !== false
          ? `${ep.tiles.rows}x${ep.tiles.cols} tile grid`
          : ep.pixels && grid
            ? `${ep.pixels.width}x${ep.pixels.height} observation`
            : '';
      const shown = beside ? `, ${width}x${height}: frame | ${beside}` : '';
      const by = 'encoder' in video ? `, H.264 by ${video.encoder === 'ffmpeg' ? 'ffmpeg' : 'h264-mp4-encoder'}` : '';
      console.log(
        `episode (${how}): return ${ep.return.toFixed(2)}, ${ep.length} steps${ep.cut ? ' (cut by --max-steps)' : ''}, max x ${ep.maxX}, flag ${ep.flag ? 'yes' : 'no'}; ` +
          `wrote ${out} (${frames} frames${shown}${by}, ${(bytes.length / 1024).toFixed(0)} KiB${resyncs ? `, ${resyncs} replay resyncs` : ''})`,
      );
      return 0;
    } finally {
      await trainer.close();
    }
  },
};

/**
 * The MP4 encoder to use: `ffmpeg` on PATH, else the bundled `h264-mp4-encoder` (resolvable
 * unless the package was left out of the install). Throws a UsageError naming --out when neither is there.
 */
function mp4Encoder(): 'ffmpeg' | 'wasm' {
  if (ffmpegAvailable()) return 'ffmpeg';
  try {
    createRequire(import.meta.url).resolve('h264-mp4-encoder');
    return 'wasm';
  } catch {
    throw new UsageError(
      `Expected an H.264 encoder for --out .mp4 but received none: install ffmpeg (apt-get install ffmpeg) or the h264-mp4-encoder package (npm install h264-mp4-encoder), or write a .gif`,
    );
  }
}
