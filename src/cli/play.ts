/**
 * `mario-rl play`: runs one episode of a checkpoint's policy and writes it as an animated GIF
 * (full-resolution NES frames, one per agent step by default).
 */
import { writeFileSync } from 'node:fs';

import { episodeToGif } from '../train/play.js';
import { Trainer } from '../train/trainer.js';
import { intFlag } from './flags.js';
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
    let deterministic = true;
    let seed: number | undefined;
    let maxSteps = 10_000;
    let frameStride: number | undefined;
    const remaining: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      const [name, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
      let bad: string | undefined;
      if (name === '--checkpoint') checkpoint = inline ?? args[++i];
      else if (name === '--out') out = inline ?? args[++i] ?? '';
      else if (a === '--sample') deterministic = false;
      else if (name === '--seed' || name === '--max-steps' || name === '--frame-stride') {
        const limits = { '--seed': [0, 2 ** 32 - 1], '--max-steps': [1, 100_000], '--frame-stride': [1, 60] } as const;
        const [min, max] = limits[name];
        try {
          const v = intFlag(inline ?? args[++i] ?? '', name.slice(2), min, max);
          if (name === '--seed') seed = v;
          else if (name === '--max-steps') maxSteps = v;
          else frameStride = v;
        } catch (err) {
          bad = (err as Error).message;
        }
      } else remaining.push(a);
      if (bad) {
        console.error(`mario-rl play: ${bad}\n\n${PLAY_USAGE}`);
        return 2;
      }
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
