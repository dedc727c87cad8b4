/**
 * Stage lists: the names a run trains and probes on (`env.stages`, `curriculum.stages`,
 * `eval.stages`), parsed and checked against the game once, and the stage an episode ran on, read
 * from the env's info. Names are `W-S` for every game: SMB1's 32 stages `1-1` … `8-4`, the
 * built-in game's three `1-1` … `1-3` (where `1`, `2`, `3` are accepted too), SMB3's charted
 * levels `1-1` … `1-6`.
 */
import { SMB3_LEVELS, type StepResult } from '../env/vec-env.js';
import { type EnvConfig } from './config-fields.js';

/** SMB1's stages in game order. */
export const SMB1_STAGES: readonly string[] = Object.freeze(Array.from({ length: 32 }, (_, i) => `${Math.floor(i / 4) + 1}-${(i % 4) + 1}`));
/** The built-in game's stages. */
export const RUNNER_STAGE_NAMES: readonly string[] = Object.freeze(['1-1', '1-2', '1-3']);

/** The stages of a game, in game order. */
export function gameStages(game: EnvConfig['game']): readonly string[] {
  return game === 'runner' ? RUNNER_STAGE_NAMES : game === 'smb3' ? SMB3_LEVELS : SMB1_STAGES;
}

/** A parsed stage list: names in the order given, with a positive weight each. */
export interface StageList {
  names: string[];
  weights: number[];
}

/**
 * Parses `'all'` or a comma list of stages with optional weights (`'1-1:3,1-2'`) for `game`;
 * errors name `flag`. Each stage at most once; weights finite and > 0 (default 1).
 */
export function parseStageList(spec: string, game: EnvConfig['game'], flag: string): StageList {
  const all = gameStages(game);
  const text = spec.trim();
  if (text === 'all') return { names: [...all], weights: all.map(() => 1) };
  if (text === '') throw new RangeError(`Expected 'all' or a comma list of stages like '1-1,1-2' for ${flag} but received ''`);
  const names: string[] = [];
  const weights: number[] = [];
  for (const part of text.split(',')) {
    const [rawName = '', rawWeight, ...extra] = part.trim().split(':');
    let name = rawName.trim();
    if (game === 'runner' && /^[1-3]$/.test(name)) name = `1-${name}`;
    if (!all.includes(name)) {
      const range = game === 'runner' ? "'1-1' … '1-3' (or '1' … '3')" : game === 'smb3' ? "'1-1' … '1-6'" : "'1-1' … '8-4'";
      throw new RangeError(`Expected stages of env.game '${game}' (${range}, or 'all') for ${flag} but received '${part.trim()}' in ${JSON.stringify(spec)}`);
    }
    if (names.includes(name)) throw new RangeError(`Expected each stage once for ${flag} but received '${name}' twice in ${JSON.stringify(spec)}`);
    const weight = rawWeight === undefined ? 1 : Number(rawWeight);
    if (extra.length > 0 || !Number.isFinite(weight) || weight <= 0 || (rawWeight !== undefined && rawWeight.trim() === '')) {
      throw new RangeError(`Expected 'STAGE' or 'STAGE:WEIGHT' with a weight > 0 for ${flag} but received '${part.trim()}' in ${JSON.stringify(spec)}`);
    }
    names.push(name);
    weights.push(weight);
  }
  return { names, weights };
}

/** The stages a config trains on: `env.stages` when given, else the single `env.world`-`env.stage`. */
export function trainingStages(e: EnvConfig): StageList {
  if (e.stages !== '') return parseStageList(e.stages, e.game, 'env.stages');
  return { names: [`${e.game === 'runner' ? 1 : e.world}-${e.stage}`], weights: [1] };
}

/** The stage lane `lane`'s finished episode ran on (from `finalInfo`), as a `W-S` name. */
export function finishedStage(step: StepResult, lane: number): string {
  const world = step.finalInfo.world?.[lane] ?? 1;
  return `${world}-${step.finalInfo.stage![lane]}`;
}
