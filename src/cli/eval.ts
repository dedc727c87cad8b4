/**
 * `mario-rl eval`: the flag rate and returns of a checkpoint's policy over N episodes on a fresh
 * env. The run config is the checkpoint's own unless `--config`/`--preset` say otherwise
 * (src/cli/checkpoint-config.ts); config flags such as `--env.noop-max 30` override it. With
 * `--start-states FILE`: one episode from each state of a start-state file instead.
 */
import { readFileSync } from 'node:fs';

import { type TrainerConfig } from '../train/config.js';
import { runStages } from '../train/env-options.js';
import { decodeStartStates } from '../train/start-states.js';
import { parseStageList } from '../train/stages.js';
import { EVAL_EPSILON, Trainer } from '../train/trainer.js';
import { actionChoice, checkpointRunConfig, describeStage } from './checkpoint-config.js';
import { intFlag, parseKnownFlags, UsageError } from './flags.js';

export const EVAL_USAGE = `usage: mario-rl eval --checkpoint FILE [--episodes N | --start-states FILE] [--deterministic] [--stage S] [run-config flags]

Plays N episodes with a checkpoint's policy on a fresh env and prints the flag rate, mean return
and mean max x. The run config (game, stage, observations, network) is the checkpoint's own. A
run on several stages (env.stages, a curriculum) is evaluated on each of its stages in turn, N
episodes each, unless --stage names one.

options:
  --checkpoint FILE  the checkpoint, e.g. runs/mario-rl/checkpoints/latest.ckpt (required)
  --episodes N       episodes to play, 1…10000 [default: 20]
  --deterministic    greedy actions (argmax) instead of sampling from the policy (DQN: ε-greedy, ε ${EVAL_EPSILON})
  --stage S          evaluate on this stage only (e.g. 1-2), even one the run did not train on
  --start-states F   one episode from each state of start-state file F instead of N episodes from
                     the stage start (a run's start-states.bin, search-states' output): prints each
                     state's start x, max x and flag (F), and how many reached the flag; every stage
                     in F, or only --stage's
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
    let statesFile: string | undefined;
    let remaining: string[];
    try {
      const { flags, rest } = parseKnownFlags(args, {
        checkpoint: {},
        episodes: {},
        deterministic: { boolean: true },
        stage: {},
        'start-states': {},
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
      statesFile = flags['start-states'];
      remaining = rest;
      if (!checkpoint) throw new UsageError('--checkpoint is required');
      if (statesFile !== undefined && flags.episodes !== undefined) {
        throw new UsageError('--episodes does not apply with --start-states (one episode from each state of the file)');
      }
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      return refuse(err);
    }
    let run;
    try {
      run = checkpointRunConfig(checkpoint, remaining);
      if (run.rest.length) throw new UsageError(`unexpected argument '${run.rest[0]}'`);
    } catch (err) {
      return refuse(err);
    }
    const config = run.config;
    if (statesFile !== undefined) return evalFromStates(checkpoint, run, statesFile, stage, deterministic);
    let stages: (string | undefined)[];
    try {
      const list = runStages(config).names;
      stages = stage !== undefined ? parseStageList(stage, config.env.game, '--stage').names : list.length > 1 ? list : [undefined];
      if (stages.length !== 1 && stage !== undefined) throw new UsageError(`--stage takes one stage, got ${JSON.stringify(stage)}`);
    } catch (err) {
      return refuse(err);
    }
    return withCheckpoint(config, checkpoint, async (trainer) => {
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
    });
  },
};

/** Prints a refusal (its message, then the usage) and returns the exit code, 2. */
function refuse(err: unknown): number {
  console.error(`mario-rl eval: ${(err as Error).message}\n\n${EVAL_USAGE}`);
  return 2;
}

/** Loads `checkpoint` into a Trainer for `config`, runs `body` with it, closes it; exit code 0. */
async function withCheckpoint(config: TrainerConfig, checkpoint: string, body: (trainer: Trainer) => Promise<void>): Promise<number> {
  const trainer = new Trainer(config, { handleSignals: false });
  try {
    await trainer.load(checkpoint);
    await body(trainer);
    return 0;
  } finally {
    await trainer.close();
  }
}

/** `eval --start-states FILE`: one episode from each state of the file, per stage; a line per state. */
async function evalFromStates(
  checkpoint: string,
  run: ReturnType<typeof checkpointRunConfig>,
  file: string,
  stage: string | undefined,
  deterministic: boolean,
): Promise<number> {
  const config = run.config;
  let sections: [string, Uint8Array[]][];
  try {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(file));
    } catch (err) {
      throw new UsageError(`Expected a readable start-state file for --start-states but received '${file}' (${(err as NodeJS.ErrnoException).code})`);
    }
    const queues = decodeStartStates(bytes, `--start-states ${file}`);
    for (const name of queues.keys()) parseStageList(name, config.env.game, `a stage of --start-states ${file}`);
    if (stage !== undefined) {
      const only = parseStageList(stage, config.env.game, '--stage').names;
      if (only.length !== 1) throw new UsageError(`--stage takes one stage, got ${JSON.stringify(stage)}`);
      const states = queues.get(only[0]!);
      if (!states?.length) throw new UsageError(`--start-states ${file} has no states of ${only[0]} (it has ${[...queues.keys()].join(', ') || 'none'})`);
      sections = [[only[0]!, states]];
    } else {
      sections = [...queues].filter(([, states]) => states.length > 0);
      if (sections.length === 0) throw new UsageError(`--start-states ${file} holds no states`);
    }
  } catch (err) {
    return refuse(err);
  }
  return withCheckpoint(config, checkpoint, async (trainer) => {
    const how = actionChoice(config, deterministic, EVAL_EPSILON);
    const total = sections.reduce((n, [, states]) => n + states.length, 0);
    console.log(
      `evaluating ${checkpoint} (step ${run.globalStep}) from ${total} states of ${file} with ${run.source}: one episode each, ${how}, no no-op frames`,
    );
    for (const [name, states] of sections) {
      const results = await trainer.evaluateFromStates(states, { stage: name, deterministic });
      for (const r of results) {
        console.log(`${name} #${r.index}: x ${r.startX} → max x ${r.maxX}${r.flag ? ', flag' : ''}${r.cut ? ` (cut after ${r.length} steps)` : ''}`);
      }
      const flags = results.filter((r) => r.flag).length;
      const meanMax = results.reduce((sum, r) => sum + r.maxX, 0) / results.length;
      const meanGain = results.reduce((sum, r) => sum + (r.maxX - r.startX), 0) / results.length;
      console.log(
        `${name}: ${results.length} states, flag from ${flags} (${((flags / results.length) * 100).toFixed(1)}%), mean max x ${meanMax.toFixed(1)}, mean gain ${meanGain.toFixed(1)} px`,
      );
    }
  });
}
