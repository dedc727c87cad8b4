/**
 * `mario-rl play`: runs one episode of a checkpoint's policy and writes it as an animated GIF
 * (full-resolution NES frames, one per agent step by default).
 */
import { writeFileSync } from 'node:fs';

import { episodeToGif } from '../train/media.js';
import { Trainer } from '../train/trainer.js';
import { intFlag, parseKnownFlags, UsageError } from './flags.js';
import { parseRunConfig } from './train.js';

const PLAY_USAGE =
  'usage: mario-rl play --checkpoint FILE [--out episode.gif] [--sample] [--seed N] [--max-steps N] [--frame-stride N] ' +
  '[config flags of the run, e.g. --config run/config.json]';

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
    let remaining: string[];
    try {
      const { flags, rest } = parseKnownFlags(args, {
        checkpoint: {},
        out: {},
        sample: { boolean: true },
        seed: {},
        'max-steps': {},
        'frame-stride': {},
      });
      checkpoint = flags.checkpoint;
      if (flags.out !== undefined) out = flags.out;
      deterministic = flags.sample !== 'true';
      if (flags.seed !== undefined) seed = intFlag(flags.seed, 'seed', 0, 2 ** 32 - 1);
      if (flags['max-steps'] !== undefined) maxSteps = intFlag(flags['max-steps'], 'max-steps', 1, 100_000);
      if (flags['frame-stride'] !== undefined) frameStride = intFlag(flags['frame-stride'], 'frame-stride', 1, 60);
      remaining = rest;
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      console.error(`mario-rl play: ${err.message}\n\n${PLAY_USAGE}`);
      return 2;
    }
    const parsed = parseRunConfig(remaining, PLAY_USAGE);
    if (typeof parsed === 'number') return parsed;
    if (!checkpoint) {
      console.error(`mario-rl play: --checkpoint is required\n\n${PLAY_USAGE}`);
      return 2;
    }
    if (!out.endsWith('.gif')) {
      console.error(`mario-rl play: --out must name a .gif file but is '${out}'\n\n${PLAY_USAGE}`);
      return 2;
    }
    const trainer = new Trainer(parsed.config, { handleSignals: false });
    try {
      await trainer.load(checkpoint);
      const ep = await trainer.recordEpisode({ deterministic, maxSteps, ...(seed === undefined ? {} : { seed }) });
      const { gif, frames, resyncs } = episodeToGif(ep, frameStride === undefined ? {} : { frameStride });
      writeFileSync(out, gif);
      console.log(
        `episode: return ${ep.return.toFixed(2)}, ${ep.length} steps${ep.cut ? ' (cut by --max-steps)' : ''}, max x ${ep.maxX}, flag ${ep.flag ? 'yes' : 'no'}; ` +
          `wrote ${out} (${frames} frames, ${(gif.length / 1024).toFixed(0)} KiB${resyncs ? `, ${resyncs} replay resyncs` : ''})`,
      );
      return 0;
    } finally {
      await trainer.close();
    }
  },
};
