/**
 * `mario-rl play`: runs one episode of a checkpoint's policy and writes it as an animated GIF
 * (full-resolution NES frames, one per agent step by default; for a policy trained on tile grids,
 * the grid it saw beside each frame).
 */
import { writeFileSync } from 'node:fs';

import { episodeToGif } from '../train/media.js';
import { EVAL_EPSILON, Trainer } from '../train/trainer.js';
import { actionChoice, checkpointRunConfig, describeStage } from './checkpoint-config.js';
import { intFlag, parseKnownFlags, UsageError } from './flags.js';

export const PLAY_USAGE = `usage: mario-rl play --checkpoint FILE [--out episode.gif] [--sample] [--seed N] [--max-steps N] [--frame-stride N] [--grid|--no-grid] [run-config flags]

Plays one episode with a checkpoint's policy and writes it as an animated GIF (256x240 NES frames;
for a policy on tile grids, the grid it saw beside each frame). The run config (game, stage,
observations, network) is the checkpoint's own.

options:
  --checkpoint FILE   the checkpoint, e.g. runs/mario-rl/checkpoints/latest.ckpt (required)
  --out FILE.gif      where to write the GIF [default: episode.gif]
  --sample            sample actions from the policy instead of greedy ones (DQN: ε-greedy, ε ${EVAL_EPSILON})
  --seed N            seed of the env and of sampling, 0…2^32-1
  --max-steps N       stop after N agent steps, 1…100000 [default: 10000]
  --frame-stride N    emulator frames per GIF frame, 1…60 [default: the frame skip, one per agent step]
  --grid, --no-grid   draw the tile grid the policy saw beside each frame [default: on for env.obs tiles]
  -h, --help          print this help

Run-config flags are accepted and override the checkpoint's config: any flag of mario-rl train
(e.g. --env.noop-max 30), --config FILE or --preset NAME to use another config (refused when it
is for another game or stage; name the stage with --env.stage to play another one on purpose).`;

/** The `play` subcommand. */
export const playCommand = {
  summary: "play one episode of a checkpoint's policy and write it as an animated GIF",
  async run(args: string[]): Promise<number> {
    let checkpoint: string | undefined;
    let out = 'episode.gif';
    let deterministic: boolean;
    let seed: number | undefined;
    let maxSteps = 10_000;
    let frameStride: number | undefined;
    let grid: boolean | undefined;
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
      if (flags.grid && flags['no-grid']) throw new UsageError('--grid and --no-grid contradict each other');
      if (flags.grid) grid = true;
      if (flags['no-grid']) grid = false;
      remaining = rest;
      if (!checkpoint) throw new UsageError('--checkpoint is required');
      if (!out.endsWith('.gif')) throw new UsageError(`--out must name a .gif file but is '${out}'`);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      console.error(`mario-rl play: ${err.message}\n\n${PLAY_USAGE}`);
      return 2;
    }
    let run;
    try {
      run = checkpointRunConfig(checkpoint, remaining);
      if (run.rest.length) throw new UsageError(`unexpected argument '${run.rest[0]}'`);
      if (grid && run.config.env.obs !== 'tiles') {
        throw new UsageError(`--grid needs a policy that sees tile grids (env.obs tiles) but this run's env.obs is '${run.config.env.obs}'`);
      }
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
      const { gif, frames, resyncs, width, height } = episodeToGif(ep, {
        ...(frameStride === undefined ? {} : { frameStride }),
        ...(grid === undefined ? {} : { grid }),
      });
      writeFileSync(out, gif);
      const shown = ep.tiles && grid !== false ? `, ${width}x${height}: frame | ${ep.tiles.rows}x${ep.tiles.cols} tile grid` : '';
      console.log(
        `episode (${how}): return ${ep.return.toFixed(2)}, ${ep.length} steps${ep.cut ? ' (cut by --max-steps)' : ''}, max x ${ep.maxX}, flag ${ep.flag ? 'yes' : 'no'}; ` +
          `wrote ${out} (${frames} frames${shown}, ${(gif.length / 1024).toFixed(0)} KiB${resyncs ? `, ${resyncs} replay resyncs` : ''})`,
      );
      return 0;
    } finally {
      await trainer.close();
    }
  },
};
