/**
 * The config's env section mapped onto the components the Trainer builds: VecEnv options (one name
 * per thing: `frameStack`, `right-only`, `shaped`, `runner` are VecEnv's names too), the policy's
 * observation shape and action count (known from the config, no probe env), and the train spec the
 * Learner and `mario-rl export-graph` build their graphs from.
 */
import { readFileSync } from 'node:fs';

import { ACTION_SET_SIZES, observationShape, type RewardShaping, type VecEnvOptions } from '../env/vec-env.js';
import { type TrainSpec, trainSpec } from '../runtime/train-graph.js';
import { CONFIG_FIELDS, type EnvConfig, type TrainerConfig } from './config.js';
import { parseStageList, type StageList, trainingStages } from './stages.js';

/** The stages the training env is built with: the curriculum's when there is one, else {@link trainingStages}. */
export function runStages(config: TrainerConfig): StageList {
  if (config.curriculum.stages !== '') return parseStageList(config.curriculum.stages, config.env.game, 'curriculum.stages');
  return trainingStages(config.env);
}

/** Cross-field rules of the stage options (env.stages, curriculum.*, eval.*); errors name the flag. */
export function checkStageConfig(c: TrainerConfig): void {
  runStages(c); // parses env.stages or curriculum.stages
  if (c.env.stages !== '' && c.curriculum.stages !== '') {
    throw new RangeError(
      `Expected '' for env.stages with curriculum.stages ${JSON.stringify(c.curriculum.stages)} (the curriculum chooses the stages) but received ${JSON.stringify(c.env.stages)}`,
    );
  }
  if (c.eval.stages !== '') parseStageList(c.eval.stages, c.env.game, 'eval.stages');
  if (c.explore.stages !== '') parseStageList(c.explore.stages, c.env.game, 'explore.stages');
  if (c.curriculum.stages !== '' && c.eval.episodes === 0) {
    throw new RangeError('Expected eval.episodes > 0 with curriculum.stages (the gate reads the eval probes; e.g. --eval.episodes 20) but received 0');
  }
  if (c.adaptive.patience > 0 && c.eval.episodes === 0) {
    throw new RangeError('Expected eval.episodes > 0 with adaptive.patience > 0 (the schedules react to the eval probes) but received 0');
  }
  if (c.adaptive.entCoefMin > c.adaptive.entCoefMax) {
    throw new RangeError(
      `Expected adaptive.entCoefMin ≤ adaptive.entCoefMax (${c.adaptive.entCoefMax}) for adaptive.entCoefMin but received ${c.adaptive.entCoefMin}`,
    );
  }
  if (c.startStates.keepFile && (c.startStates.file === '' || c.startStates.share === 0)) {
    const missing = c.startStates.file === '' ? "startStates.file ('' given)" : 'startStates.share > 0 (0 given)';
    throw new RangeError(`Expected false for startStates.keepFile without ${missing} (it keeps a start-state file's states in the queue) but received true`);
  }
  if (c.eval.record && c.eval.episodes === 0)
    throw new RangeError('Expected eval.episodes > 0 with eval.record true (it records probe episodes) but received 0');
}

/**
 * VecEnv options for `numEnvs` lanes seeded with `seed`; reads the ROM for smb1 (errors name
 * env.rom). The stages are `stages` when given, else the run's: the curriculum's stages (all of
 * them, the curriculum sets their weights), else `env.stages`, else `env.world`-`env.stage`.
 */
export function vecEnvOptions(config: TrainerConfig, numEnvs: number, seed: number, rom?: Uint8Array, stages?: readonly string[]): VecEnvOptions {
  const e = config.env;
  const stageNames = [...(stages ?? runStages(config).names)];
  const common = {
    numEnvs,
    actions: e.actions,
    frameSkip: e.frameSkip,
    maxPool: e.maxPoolLastTwo,
    obs:
      e.obs === 'ram'
        ? ('ram' as const)
        : e.obs === 'tiles'
          ? { kind: 'tiles' as const, rows: e.tileRows, cols: e.tileCols, frameStack: e.frameStack }
          : { width: e.width, height: e.height, frameStack: e.frameStack, grayscale: e.grayscale },
    ...(e.maxEpisodeSteps > 0 ? { maxEpisodeSteps: e.maxEpisodeSteps } : {}),
    ...(e.maxStallSteps > 0 ? { maxStallSteps: e.maxStallSteps } : {}),
    ...(e.stallTerminal ? { stallTerminal: true } : {}),
    ...(e.stallReward !== 0 ? { stallReward: e.stallReward } : {}),
    ...(e.noopMax > 0 ? { noopMax: e.noopMax } : {}),
    ...(e.stickyActionProb > 0 ? { stickyActionProb: e.stickyActionProb } : {}),
    ...withShaping(rewardShaping(e, numEnvs)),
    seed,
    backend: e.backend,
  };
  if (e.game === 'runner') {
    // The built-in game has one reward ('v0': progress, clock, death, flag); env.reward applies to smb1.
    return { ...common, game: 'runner', stages: stageNames, reward: 'v0' };
  }
  return { ...common, game: e.game, rom: rom ?? readRom(e.rom, e.game), stages: stageNames, reward: e.reward };
}

const withShaping = (shaping: RewardShaping | undefined) => (shaping ? { rewardShaping: shaping } : {});

/**
 * The config's reward weights as VecEnv `rewardShaping` for `numEnvs` lanes: weights left unset
 * (null) stay the reward preset's, and `env.shapingAnnealSteps` (agent steps, all lanes counted)
 * becomes VecEnv's `annealSteps` (its steps, each of every lane), rounded up. Undefined when
 * nothing is set: the preset's own reward.
 */
export function rewardShaping(e: EnvConfig, numEnvs: number): RewardShaping | undefined {
  const s: RewardShaping = {};
  if (e.distanceWeight !== null) s.distanceWeight = e.distanceWeight;
  if (e.scoreWeight !== null) s.scoreWeight = e.scoreWeight;
  if (e.shapingAnnealSteps > 0) {
    if (e.distanceWeightEnd !== null) s.distanceWeightEnd = e.distanceWeightEnd;
    if (e.scoreWeightEnd !== null) s.scoreWeightEnd = e.scoreWeightEnd;
    s.annealSteps = Math.ceil(e.shapingAnnealSteps / numEnvs);
  }
  return Object.keys(s).length ? s : undefined;
}

/**
 * The weights a run anneals to, held constant (evaluation and recording measure the policy on the
 * reward it is trained towards); undefined when the config sets none.
 */
export function finalRewardShaping(e: EnvConfig): RewardShaping | undefined {
  const distance = e.distanceWeightEnd ?? e.distanceWeight;
  const score = e.scoreWeightEnd ?? e.scoreWeight;
  if (distance === null && score === null) return undefined;
  return { ...(distance === null ? {} : { distanceWeight: distance }), ...(score === null ? {} : { scoreWeight: score }) };
}

/**
 * `shaping` continued after `envSteps` VecEnv steps, for a resumed run's fresh env (whose annealing
 * clock starts at 0): the weights reached by then become the start, the rest of the annealing is to
 * go. `start` is what the shaping starts from, a fresh env's `rewardWeights()` (the preset's
 * weights where the config leaves them unset).
 */
export function rewardShapingAfter(shaping: RewardShaping, start: { distanceWeight: number; scoreWeight: number }, envSteps: number): RewardShaping {
  const anneal = shaping.annealSteps ?? 0;
  if (anneal === 0 || envSteps === 0) return shaping;
  const t = Math.min(1, envSteps / anneal);
  const distanceEnd = shaping.distanceWeightEnd ?? start.distanceWeight;
  const scoreEnd = shaping.scoreWeightEnd ?? start.scoreWeight;
  return {
    distanceWeight: start.distanceWeight + (distanceEnd - start.distanceWeight) * t,
    scoreWeight: start.scoreWeight + (scoreEnd - start.scoreWeight) * t,
    distanceWeightEnd: distanceEnd,
    scoreWeightEnd: scoreEnd,
    annealSteps: Math.max(0, anneal - envSteps),
  };
}

/** `env.scoreWeight (--env.score-weight)`: a field as errors name it, with its flag. */
function named(path: string): string {
  return `${path} (${CONFIG_FIELDS.find((f) => f.path === path)!.flag})`;
}

/** Cross-field reward-shaping rules: weights the game has, end weights with annealing steps and back. */
function checkShaping(e: EnvConfig): void {
  if (e.game === 'runner') {
    // The built-in game's reward has no score term: a score weight would change nothing, silently.
    for (const key of ['scoreWeight', 'scoreWeightEnd'] as const) {
      if (e[key] !== null) {
        throw new RangeError(
          `Expected ${key === 'scoreWeight' ? "'preset'" : "'none'"} for ${named(`env.${key}`)} with env.game 'runner' ` +
            `(the built-in game has no score; env.distanceWeight shapes its reward) but received ${e[key]}`,
        );
      }
    }
  }
  const ends = (['distanceWeightEnd', 'scoreWeightEnd'] as const).filter((k) => e[k] !== null);
  if (ends.length && e.shapingAnnealSteps === 0) {
    throw new RangeError(
      `Expected a positive number of agent steps for ${named('env.shapingAnnealSteps')} with env.${ends[0]} set ` +
        `(the steps over which the weight moves to it) but received 0`,
    );
  }
  if (!ends.length && e.shapingAnnealSteps > 0) {
    throw new RangeError(
      `Expected 0 for ${named('env.shapingAnnealSteps')} without env.distanceWeightEnd or env.scoreWeightEnd ` +
        `(no weight to anneal to) but received ${e.shapingAnnealSteps}`,
    );
  }
}

/** Cross-field env rules the field table cannot state; errors name the field. */
export function checkEnvConfig(e: EnvConfig, network: TrainerConfig['network']): void {
  checkShaping(e);
  if (e.maxStallSteps === 0 && (e.stallTerminal || e.stallReward !== 0)) {
    const option = e.stallTerminal ? 'env.stallTerminal' : 'env.stallReward';
    throw new RangeError(`Expected env.maxStallSteps > 0 with ${option} (it acts on stall cuts) but received env.maxStallSteps 0`);
  }
  const tileNet = network === 'tiles' || network === 'tiles-mlp';
  if (e.obs === 'ram' && network !== 'mlp') {
    throw new RangeError(`Expected 'mlp' for network with env.obs 'ram' (conv trunks need frames) but received '${network}'`);
  }
  if (e.obs === 'tiles' && !tileNet) throw new RangeError(`Expected 'tiles' or 'tiles-mlp' for network with env.obs 'tiles' but received '${network}'`);
  if (e.obs !== 'tiles' && tileNet)
    throw new RangeError(`Expected 'tiles' for env.obs with network '${network}' (it reads tile grids) but received '${e.obs}'`);
  if (e.game === 'runner' && e.stage > 3) {
    throw new RangeError(`Expected a stage in 1…3 for env.stage with env.game 'runner' (the built-in game has three stages) but received ${e.stage}`);
  }
  if (e.game === 'smb1' && e.stage > 4) {
    throw new RangeError(`Expected a stage in 1…4 for env.stage with env.game 'smb1' (four stages per world) but received ${e.stage}`);
  }
  if (e.game === 'smb3' && e.world !== 1) {
    throw new RangeError(`Expected 1 for env.world with env.game 'smb3' (World 1's map is the one charted: levels 1-1 … 1-6) but received ${e.world}`);
  }
  if (e.game === 'smb3' && e.obs === 'tiles') {
    throw new RangeError(`Expected 'pixels' or 'ram' for env.obs with env.game 'smb3' (SMB3 has no tile map yet) but received 'tiles'`);
  }
  // A ROM with the built-in game would be ignored: the run would train the wrong game without a word.
  if (e.game === 'runner' && e.rom !== '') {
    throw new RangeError(
      `Expected 'smb1' for env.game with env.rom ${JSON.stringify(e.rom)} (the built-in game 'runner' takes no ROM: pass --env.game smb1, or drop --env.rom) but received 'runner'`,
    );
  }
}

/** The ROM for smb1/smb3: `path`, else $MARIO_ROM (smb1) or $SMB3_ROM (smb3); errors say which and how to fix it. */
export function readRom(path: string, game: 'smb1' | 'smb3' = 'smb1'): Uint8Array {
  const variable = game === 'smb3' ? 'SMB3_ROM' : 'MARIO_ROM';
  const file = path || process.env[variable] || '';
  if (!file) {
    const what = game === 'smb3' ? 'Super Mario Bros. 3 ROM (--env.rom path/to/smb3.nes)' : 'Super Mario Bros. ROM (--env.rom path/to/smb.nes)';
    throw new Error(`env.game '${game}' needs a ${what}: pass env.rom or set ${variable}`);
  }
  try {
    return new Uint8Array(readFileSync(file));
  } catch (err) {
    throw new Error(`Cannot read the ROM for env.rom${path ? '' : ` ($${variable})`} at ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** The model's input shape: [frameStack·C, H, W] for pixels, [1, 1, 2048] for RAM, [frameStack, rows, cols] for tiles. */
export function policyObsShape(e: EnvConfig): number[] {
  if (e.obs === 'tiles') return observationShape({ kind: 'tiles', rows: e.tileRows, cols: e.tileCols, frameStack: e.frameStack });
  const shape = observationShape(e.obs === 'ram' ? 'ram' : e);
  return shape.length === 1 ? [1, 1, shape[0]!] : [shape[0]! * shape[1]!, shape[2]!, shape[3]!];
}

/** One replay frame's [height, width] and the frames per observation (DQN). */
export function replayFrames(e: EnvConfig): { frameShape: [number, number]; stack: number } {
  if (e.obs === 'ram') return { frameShape: [1, 2048], stack: 1 };
  if (e.obs === 'tiles') return { frameShape: [e.tileRows, e.tileCols], stack: e.frameStack };
  return { frameShape: [e.height, e.width], stack: e.frameStack };
}

/** Bytes of one lane's observation. */
export function obsBytes(e: EnvConfig): number {
  return policyObsShape(e).reduce((a, b) => a * b, 1);
}

/** Actions of the config's action set. */
export function numActions(e: EnvConfig): number {
  return ACTION_SET_SIZES[e.actions];
}

/** The learner's train spec for a config: the same model and loss for `train` and `export-graph`. */
export function trainSpecFor(config: TrainerConfig): TrainSpec {
  const c = config;
  const model = { network: c.network, obsShape: policyObsShape(c.env), actions: numActions(c.env) };
  if (c.algo === 'ppo') {
    const { clipCoef, clipValueLoss, valueClipCoef, entCoef, vfCoef, normAdvantages } = c.ppo;
    return trainSpec({ algo: 'ppo', model, maxGradNorm: c.ppo.maxGradNorm, ppo: { clipCoef, clipValueLoss, valueClipCoef, entCoef, vfCoef, normAdvantages } });
  }
  if (c.algo === 'a2c') {
    const { entCoef, vfCoef, normAdvantages } = c.a2c;
    return trainSpec({ algo: 'a2c', model, maxGradNorm: c.a2c.maxGradNorm, a2c: { entCoef, vfCoef, normAdvantages } });
  }
  const d = c.dqn;
  return trainSpec({
    algo: 'dqn',
    model: { ...model, head: d.dueling ? 'dueling' : 'q', ...(d.exploration === 'noisy' ? { noisy: true } : {}) },
    maxGradNorm: d.maxGradNorm,
    dqn: { double: d.double, huberDelta: d.huberDelta },
  });
}
