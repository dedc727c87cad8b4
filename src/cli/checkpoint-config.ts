/**
 * The run config `mario-rl eval` and `mario-rl play` use for a checkpoint. A Trainer checkpoint's
 * header holds the whole config of its run, so by default that is the config: the same game,
 * stage, observations, network and action set the policy was trained with. `--config FILE` or
 * `--preset NAME` replace it, and any config flag overrides either (`--env.noop-max 30`).
 *
 * A config for another game than the checkpoint's is refused (a Super Mario Bros. policy
 * "evaluated" on the built-in game measures nothing), and so is another world or stage unless the
 * flags name it (`--env.stage 2`: evaluating a stage-1 policy on stage 2 on purpose).
 */
import { readCheckpointHeader } from '../run/checkpoint-store.js';
import { parseConfigFlags, resolveConfig, type TrainerConfig } from '../train/config.js';
import { parseStageList } from '../train/stages.js';
import { UsageError } from './flags.js';

/** What {@link checkpointRunConfig} returns. */
export interface CheckpointRunConfig {
  /** The validated config to build the Trainer from. */
  config: TrainerConfig;
  /** Where it came from, for the one line the command prints ("the checkpoint's own config", "--config run.json"). */
  source: string;
  /** The checkpoint's agent step. */
  globalStep: number;
  /** Arguments that are not config flags. */
  rest: string[];
}

/** The stages a (possibly older) run config trains on; older checkpoints have no env.stages or curriculum. */
function stagesOf(config: Pick<TrainerConfig, 'env'> & Partial<Pick<TrainerConfig, 'curriculum'>>): string[] | undefined {
  const list = config.curriculum?.stages || config.env.stages || '';
  return list === '' ? undefined : parseStageList(list, config.env.game, config.curriculum?.stages ? 'curriculum.stages' : 'env.stages').names;
}

/** 'smb1 1-1', 'runner stage 1' or 'smb1 stages 1-1,1-2': the part of a config a policy is trained for. */
export function describeStage(config: Pick<TrainerConfig, 'env'> & Partial<Pick<TrainerConfig, 'curriculum'>>): string {
  const e = config.env;
  const list = stagesOf(config);
  if (list) return `${e.game} stages ${list.join(',')}`;
  return e.game !== 'runner' ? `${e.game} ${e.world}-${e.stage}` : `${e.game} stage ${e.stage}`;
}

/**
 * The config to run `checkpoint` with, from `args` (config flags, `--config`, `--preset`).
 * Throws UsageError for a checkpoint without a config (when none is given), an unreadable
 * checkpoint or a config of another game or stage; TypeError/RangeError for bad config values.
 */
export function checkpointRunConfig(checkpoint: string, args: readonly string[]): CheckpointRunConfig {
  let header;
  try {
    header = readCheckpointHeader(checkpoint);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const saved = typeof header.config === 'object' && header.config !== null ? (header.config as TrainerConfig) : undefined;
  const flags = parseConfigFlags(args);
  const chosen = flags.configFile !== undefined ? `--config ${flags.configFile}` : flags.preset !== undefined ? `--preset ${flags.preset}` : undefined;
  let config: TrainerConfig;
  let rest: string[];
  if (chosen === undefined) {
    if (!saved) throw new UsageError(`checkpoint ${checkpoint} holds no run config (not a mario-rl Trainer checkpoint?): pass the run's --config FILE`);
    // The device is the training machine's, not the policy's: let this machine choose. The weights
    // are the checkpoint's, so a warm start the run began with is not read (its file may be gone);
    // nor is the start-state file that seeded its training queue (a relative path, read from
    // another folder, failed `mario-rl eval` before any episode).
    const startStates = { ...saved.startStates, file: '', keepFile: false };
    ({ config, rest } = resolveConfig({ overrides: { ...saved, device: 'auto', initFrom: '', startStates }, argv: args }));
  } else {
    ({ config, rest } = resolveConfig({ argv: args }));
  }
  if (saved?.env) {
    const trained = describeStage(saved);
    const fix = chosen ? `drop ${chosen.split(' ')[0]} to use the checkpoint's own config` : 'drop the --env flags that change it';
    if (saved.env.game !== config.env.game) {
      throw new UsageError(`checkpoint ${checkpoint} was trained on ${trained}, but the config says ${describeStage(config)} (${chosen ?? 'flags'}): ${fix}`);
    }
    const stageFlag = ['env.stage', 'env.world', 'env.stages', 'curriculum.stages'].some((k) => flags.values.has(k));
    if (!stageFlag && describeStage(saved) !== describeStage(config)) {
      throw new UsageError(
        `checkpoint ${checkpoint} was trained on ${trained}, but ${chosen} says ${describeStage(config)}: ${fix}, or name the stage with --env.stage (and --env.world) to evaluate on another one on purpose`,
      );
    }
  }
  return { config, source: chosen ?? "the checkpoint's own config", globalStep: header.globalStep, rest };
}

/** 'greedy actions' (argmax), 'sampled actions' or DQN's 'ε-greedy actions (ε 0.05)': how the policy acts. */
export function actionChoice(config: TrainerConfig, deterministic: boolean, epsilon: number): string {
  if (deterministic) return 'greedy actions';
  return config.algo === 'dqn' ? `ε-greedy actions (ε ${epsilon})` : 'sampled actions';
}
