/**
 * Warm start (`initFrom`): a run that starts from another run's network weights and nothing else —
 * not its counters, optimizer state, episode window or callback state (fine-tuning a 1-1 policy on
 * 1-2). The checkpoint is checked when the Trainer is built ({@link checkInitFrom}: it exists, is a
 * Trainer checkpoint, and its network, observation shape, action set and head are this config's)
 * and read when the learner is created ({@link loadInitFrom}, `Learner.loadParams`). A checkpoint
 * of the run itself found by `resume` wins over it (trainer.ts).
 */
import { resolve } from 'node:path';

import { readCheckpoint, readCheckpointHeader } from '../run/checkpoint-store.js';
import { type Learner } from '../runtime/learner.js';
import { defaultConfig, type TrainerConfig } from './config.js';
import { numActions, policyObsShape } from './env-options.js';

/** How errors name the setting. */
const NAME = 'initFrom (--init-from)';

/** A checked warm-start checkpoint. */
export interface InitSource {
  /** The file, resolved. */
  path: string;
  /** Agent step of its run when it was written. */
  globalStep: number;
}

/** The parts of a config that decide the network's parameters, as words (checkpoints may hold older configs). */
function networkOf(config: TrainerConfig): { network: string; observations: string; actions: string; head: string } {
  const d = defaultConfig();
  const env = { ...d.env, ...config.env };
  // Checkpoints before the naming pass spell the action set 'right'.
  if ((env.actions as string) === 'right') env.actions = 'right-only';
  const dqn = { ...d.dqn, ...config.dqn };
  const shape = `[${policyObsShape(env).join(', ')}]`;
  return {
    network: `'${config.network}'`,
    observations: env.obs === 'ram' ? `RAM ${shape}` : env.obs === 'tiles' ? `tiles ${shape}` : `${env.grayscale ? 'gray' : 'RGB'} frames ${shape}`,
    actions: `${numActions(env)} ('${env.actions}')`,
    head: config.algo === 'dqn' ? `'${dqn.dueling ? 'dueling' : 'q'}'${dqn.exploration === 'noisy' ? ' noisy' : ''}` : "'actor-critic'",
  };
}

/**
 * What differs between the network a checkpoint's config trained and this config's, one phrase each
 * (`network: checkpoint 'tiles', this config 'tiles-mlp'`); empty when the weights fit. PPO and A2C
 * share the actor-critic head, so either starts from the other.
 */
export function networkDifferences(saved: TrainerConfig, config: TrainerConfig): string[] {
  const a = networkOf(saved);
  const b = networkOf(config);
  const label = { network: 'network', observations: 'observation shape', actions: 'action count', head: 'head' } as const;
  const shown = (c: TrainerConfig, k: keyof typeof label, v: string) => (k === 'head' ? `${v} (algo ${c.algo})` : v);
  return (Object.keys(label) as (keyof typeof label)[])
    .filter((k) => a[k] !== b[k])
    .map((k) => `${label[k]}: checkpoint ${shown(saved, k, a[k])}, this config ${shown(config, k, b[k])}`);
}

/** Checks `path` for a warm start of `config` (header only); errors name initFrom, the file and what differs. */
export function checkInitFrom(path: string, config: TrainerConfig, trainerFormat: number): InitSource {
  const fail = (why: string, cause?: unknown) => new Error(`Cannot start from ${NAME} ${path}: ${why}`, cause === undefined ? undefined : { cause });
  let header;
  try {
    header = readCheckpointHeader(path);
  } catch (err) {
    throw fail((err as Error).message, err);
  }
  const saved = header.config;
  if (header.trainerFormat !== trainerFormat || typeof saved !== 'object' || saved === null) {
    throw fail(`it is not a Trainer checkpoint (format ${trainerFormat} with a run config)`);
  }
  const differences = networkDifferences(saved as TrainerConfig, config);
  if (differences.length) {
    throw fail(
      `its network does not fit this config (${differences.join('; ')}); train with the setup the checkpoint's run used (its config is in the header)`,
    );
  }
  return { path: resolve(path), globalStep: header.globalStep };
}

/** Reads the checkpoint (every section verified) and loads its parameters into `learner`, resetting the optimizer state. */
export function loadInitFrom(source: InitSource, learner: Learner): void {
  try {
    const bytes = readCheckpoint(source.path).sections.learner;
    if (!bytes) throw new Error("it has no 'learner' section");
    learner.loadParams(bytes);
  } catch (err) {
    throw new Error(`Cannot start from ${NAME} ${source.path}: ${(err as Error).message}`, { cause: err });
  }
}
