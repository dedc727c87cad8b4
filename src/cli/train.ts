/**
 * `mario-rl train` and `mario-rl eval`. Every config field is a flag (`--ppo.clip-coef 0.1`, see
 * `--help`), `--config file.json` loads a file first. Without a ROM the run uses the built-in game
 * and says how to train on Super Mario Bros. instead. Progress: a bar on a TTY, plain lines
 * otherwise (`--log.progress`).
 */
import { configHelp, resolveConfig, type TrainerConfig } from '../train/config.js';
import { Trainer } from '../train/trainer.js';
import { intFlag, parseKnownFlags, UsageError } from './flags.js';
import { ProgressDisplay } from './progress.js';

const SMB_HINT =
  "mario-rl: training on the built-in game 'runner' (no ROM needed; `--preset runner-ram` clears stage 1 in a few minutes on 2 cores). To train on Super Mario Bros. 1-1, " +
  'pass your own ROM: `mario-rl train --env.game smb1 --env.rom path/to/smb.nes` (or set MARIO_ROM and pass --env.game smb1).';

/** Resolves the run's config from flags (and `--config`); prints usage and returns 2 on an error, 0 for --help. */
export function parseRunConfig(args: string[], usage: string, extra: string[] = []): { config: TrainerConfig; rest: string[] } | number {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(`${usage}\n\noptions:\n${configHelp()}`);
    return 0;
  }
  try {
    const { config, rest } = resolveConfig({ argv: args.filter((a) => !extra.some((e) => a === e || a.startsWith(`${e}=`))) });
    // smb1 without env.rom falls back to $MARIO_ROM (the Trainer reads it).
    return { config, rest };
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${usage}\n(see --help for every option)`);
    return 2;
  }
}

const TRAIN_USAGE =
  'usage: mario-rl train [--config file.json] [--total-steps N] [--env.game runner|smb1 --env.rom FILE] [--run-dir DIR] [--resume latest|auto|FILE] [...]';

/** The `train` subcommand. */
export const trainCommand = {
  summary: 'train a policy (PPO by default) on the built-in game or Super Mario Bros.',
  async run(args: string[]): Promise<number> {
    const parsed = parseRunConfig(args, TRAIN_USAGE);
    if (typeof parsed === 'number') return parsed;
    const { config, rest } = parsed;
    if (rest.length) {
      console.error(`mario-rl train: unexpected argument '${rest[0]}'\n\n${TRAIN_USAGE}`);
      return 2;
    }
    if (config.env.game === 'runner') console.error(SMB_HINT);
    let trainer: Trainer;
    try {
      trainer = new Trainer(config);
    } catch (err) {
      console.error(`mario-rl train: ${(err as Error).message}`);
      return 2;
    }
    const progress = new ProgressDisplay({ totalSteps: trainer.sizes.trainedSteps, mode: config.log.progress });
    trainer.on('update', (row) => {
      const ret = row['charts/episodic_return'];
      const flag = row['charts/flag_rate'];
      progress.update({
        step: row.global_step as number,
        ...(typeof ret === 'number' ? { episodeReturn: ret } : {}),
        ...(typeof flag === 'number' ? { flagRate: flag } : {}),
      });
    });
    trainer.on('checkpoint', (c) => {
      if (c.kind === 'periodic') progress.log(`checkpoint ${c.path}`);
    });
    try {
      const s = await trainer.train();
      if (s.stopMessage) progress.log(`stopped early: ${s.stopMessage}`);
      progress.finish(
        `${s.stopReason === 'done' ? 'done' : `stopped (${s.stopReason})`}: ${s.globalStep} agent steps, ${s.globalUpdate} updates, ` +
          `${s.sps.toFixed(0)} steps/s; latest checkpoint ${s.latestCheckpoint}; metrics ${config.runDir}/metrics.jsonl`,
      );
      return s.stopReason === 'done' || s.stopReason === 'maxWallTime' || s.stopReason === 'callback' ? 0 : 128 + (s.stopReason === 'SIGTERM' ? 15 : 2);
    } finally {
      await trainer.close();
    }
  },
};

const EVAL_USAGE =
  'usage: mario-rl eval --checkpoint FILE [--episodes N] [--deterministic] [config flags of the run, e.g. --config run/config.json --env.noop-max 30]';

/** The `eval` subcommand. */
export const evalCommand = {
  summary: 'evaluate a checkpoint: flag rate and returns over N episodes',
  async run(args: string[]): Promise<number> {
    let checkpoint: string | undefined;
    let episodes = 20;
    let deterministic: boolean;
    let remaining: string[];
    try {
      const { flags, rest } = parseKnownFlags(args, { checkpoint: {}, episodes: {}, deterministic: { boolean: true } });
      checkpoint = flags.checkpoint;
      if (flags.episodes !== undefined) episodes = intFlag(flags.episodes, 'episodes', 1, 10_000);
      deterministic = flags.deterministic === 'true';
      remaining = rest;
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      console.error(`mario-rl eval: ${err.message}\n\n${EVAL_USAGE}`);
      return 2;
    }
    const parsed = parseRunConfig(remaining, EVAL_USAGE);
    if (typeof parsed === 'number') return parsed;
    if (!checkpoint) {
      console.error(`mario-rl eval: --checkpoint is required\n\n${EVAL_USAGE}`);
      return 2;
    }
    const trainer = new Trainer(parsed.config, { handleSignals: false });
    try {
      await trainer.load(checkpoint);
      const r = await trainer.evaluate({ episodes, deterministic });
      console.log(
        `episodes ${r.episodes.length}, flag rate ${(r.flagRate * 100).toFixed(1)}%, mean return ${r.meanReturn.toFixed(2)}, mean max x ${(r.episodes.reduce((s, e) => s + e.maxX, 0) / r.episodes.length).toFixed(1)}`,
      );
      return 0;
    } finally {
      await trainer.close();
    }
  },
};
