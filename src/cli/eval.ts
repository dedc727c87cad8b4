/**
 * `mario-rl eval`: the flag rate and returns of a checkpoint's policy over N episodes on a fresh
 * env. The run config is the checkpoint's own unless `--config`/`--preset` say otherwise
 * (src/cli/checkpoint-config.ts); config flags such as `--env.noop-max 30` override it.
 */
import { EVAL_EPSILON, Trainer } from '../train/trainer.js';
import { actionChoice, checkpointRunConfig, describeStage } from './checkpoint-config.js';
import { intFlag, parseKnownFlags, UsageError } from './flags.js';

export const EVAL_USAGE = `usage: mario-rl eval --checkpoint FILE [--episodes N] [--deterministic] [run-config flags]

Plays N episodes with a checkpoint's policy on a fresh env and prints the flag rate, mean return
and mean max x. The run config (game, stage, observations, network) is the checkpoint's own.

options:
  --checkpoint FILE  the checkpoint, e.g. runs/mario-rl/checkpoints/latest.ckpt (required)
  --episodes N       episodes to play, 1…10000 [default: 20]
  --deterministic    greedy actions (argmax) instead of sampling from the policy (DQN: ε-greedy, ε ${EVAL_EPSILON})
  -h, --help         print this help

Run-config flags are accepted and override the checkpoint's config: any flag of mario-rl train
(e.g. --env.noop-max 30, --device cpu), --config FILE or --preset NAME to use another config
(refused when it is for another game or stage; name the stage with --env.stage to evaluate on
another one on purpose). mario-rl train --help lists them.`;

/** The `eval` subcommand. */
export const evalCommand = {
  summary: 'evaluate a checkpoint: flag rate and returns over N episodes',
  async run(args: string[]): Promise<number> {
    let checkpoint: string | undefined;
    let episodes = 20;
    let deterministic: boolean;
    let remaining: string[];
    try {
      const { flags, rest } = parseKnownFlags(args, { checkpoint: {}, episodes: {}, deterministic: { boolean: true }, help: { boolean: true, short: 'h' } });
      if (flags.help) {
        console.log(EVAL_USAGE);
        return 0;
      }
      checkpoint = flags.checkpoint;
      if (flags.episodes !== undefined) episodes = intFlag(flags.episodes, 'episodes', 1, 10_000);
      deterministic = flags.deterministic === 'true';
      remaining = rest;
      if (!checkpoint) throw new UsageError('--checkpoint is required');
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      console.error(`mario-rl eval: ${err.message}\n\n${EVAL_USAGE}`);
      return 2;
    }
    let run;
    try {
      run = checkpointRunConfig(checkpoint, remaining);
      if (run.rest.length) throw new UsageError(`unexpected argument '${run.rest[0]}'`);
    } catch (err) {
      console.error(`mario-rl eval: ${(err as Error).message}\n\n${EVAL_USAGE}`);
      return 2;
    }
    const config = run.config;
    const trainer = new Trainer(config, { handleSignals: false });
    try {
      await trainer.load(checkpoint);
      const how = actionChoice(config, deterministic, EVAL_EPSILON);
      console.log(`evaluating ${checkpoint} (step ${run.globalStep}) on ${describeStage(config)} with ${run.source}: ${episodes} episodes, ${how}`);
      const r = await trainer.evaluate({ episodes, deterministic });
      const meanMaxX = r.episodes.reduce((s, e) => s + e.maxX, 0) / r.episodes.length;
      console.log(
        `episodes ${r.episodes.length} (${how}), flag rate ${(r.flagRate * 100).toFixed(1)}%, mean return ${r.meanReturn.toFixed(2)}, mean max x ${meanMaxX.toFixed(1)}`,
      );
      return 0;
    } finally {
      await trainer.close();
    }
  },
};
