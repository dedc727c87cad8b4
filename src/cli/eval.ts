/**
 * `mario-rl eval`: the flag rate and returns of a checkpoint's policy over N episodes on a fresh
 * env. The run config is the checkpoint's own unless `--config`/`--preset` say otherwise
 * (src/cli/checkpoint-config.ts); config flags such as `--env.noop-max 30` override it.
 */
import { runStages } from '../train/env-options.js';
import { parseStageList } from '../train/stages.js';
import { EVAL_EPSILON, Trainer } from '../train/trainer.js';
import { actionChoice, checkpointRunConfig, describeStage } from './checkpoint-config.js';
import { intFlag, parseKnownFlags, UsageError } from './flags.js';

export const EVAL_USAGE = `usage: mario-rl eval --checkpoint FILE [--episodes N] [--deterministic] [--stage S] [run-config flags]

Plays N episodes with a checkpoint's policy on a fresh env and prints the flag rate, mean return
and mean max x. The run config (game, stage, observations, network) is the checkpoint's own. A
run on several stages (env.stages, a curriculum) is evaluated on each of its stages in turn, N
episodes each, unless --stage names one.

options:
  --checkpoint FILE  the checkpoint, e.g. runs/mario-rl/checkpoints/latest.ckpt (required)
  --episodes N       episodes to play, 1…10000 [default: 20]
  --deterministic    greedy actions (argmax) instead of sampling from the policy (DQN: ε-greedy, ε ${EVAL_EPSILON})
  --stage S          evaluate on this stage only (e.g. 1-2), even one the run did not train on
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
    let stage: string | undefined;
    let remaining: string[];
    try {
      const { flags, rest } = parseKnownFlags(args, {
        checkpoint: {},
        episodes: {},
        deterministic: { boolean: true },
        stage: {},
        help: { boolean: true, short: 'h' },
      });
      if (flags.help) {
        console.log(EVAL_USAGE);
        return 0;
      }
      checkpoint = flags.checkpoint;
      if (flags.episodes !== undefined) episodes = intFlag(flags.episodes, 'episodes', 1, 10_000);
      deterministic = flags.deterministic === 'true';
      stage = flags.stage;
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
    let stages: (string | undefined)[];
    try {
      const list = runStages(config).names;
      stages = stage !== undefined ? parseStageList(stage, config.env.game, '--stage').names : list.length > 1 ? list : [undefined];
      if (stages.length !== 1 && stage !== undefined) throw new UsageError(`--stage takes one stage, got ${JSON.stringify(stage)}`);
    } catch (err) {
      console.error(`mario-rl eval: ${(err as Error).message}\n\n${EVAL_USAGE}`);
      return 2;
    }
    const trainer = new Trainer(config, { handleSignals: false });
    try {
      await trainer.load(checkpoint);
      const how = actionChoice(config, deterministic, EVAL_EPSILON);
      const where = stage !== undefined ? `${config.env.game} ${stages[0]}` : describeStage(config);
      const each = stages.length > 1 ? ' per stage' : '';
      console.log(`evaluating ${checkpoint} (step ${run.globalStep}) on ${where} with ${run.source}: ${episodes} episodes${each}, ${how}`);
      for (const s of stages) {
        const r = await trainer.evaluate({ episodes, deterministic, ...(s !== undefined ? { stage: s } : {}) });
        const meanMaxX = r.episodes.reduce((sum, e) => sum + e.maxX, 0) / r.episodes.length;
        console.log(
          `${s !== undefined && stages.length > 1 ? `${s}: ` : ''}episodes ${r.episodes.length} (${how}), flag rate ${(r.flagRate * 100).toFixed(1)}%, mean return ${r.meanReturn.toFixed(2)}, mean max x ${meanMaxX.toFixed(1)}`,
        );
      }
      return 0;
    } finally {
      await trainer.close();
    }
  },
};
