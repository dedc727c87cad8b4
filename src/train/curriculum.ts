/**
 * A stage curriculum with gated promotion (config `curriculum.*`). The training env is built with
 * every curriculum stage; the curriculum sets their weights (`VecEnv.setStageWeights`):
 * the current stage gets `1 − mixEarlier`, the passed stages share `mixEarlier` (against
 * forgetting), later stages 0. After each eval probe (onProbe) it reads the current stage's row:
 *
 *   pass = flag_rate ≥ curriculum.flagRate  and  max_x_p10 ≥ curriculum.progressP10 × length
 *
 * where `length` is the stage's length as the probes measured it (the largest x at which a probe
 * episode reached the flag; before any did, a progress gate above 0 cannot pass). Thresholds are
 * ratios, never absolute counts. `consecutive` passes in a row promote to the next stage; after
 * the last, the decision is `done` (and training ends with `stopWhenDone`). With `demote`, a
 * passed stage whose flag rate falls below half the gate for `consecutive` probes in a row becomes
 * the current stage again. Every decision is a row of `RUN/curriculum.jsonl` and the
 * `curriculum/*` scalars; the state travels in checkpoints, so a resume goes on where it was.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { appendRunFile } from '../run/run-dir.js';
import { type CallbackContext, type ProbeResult, type TrainerCallback } from './callbacks.js';
import { type CurriculumConfig, type TrainerConfig } from './config.js';
import { runStages } from './env-options.js';

/** A gate decision. */
export type CurriculumDecision = 'hold' | 'promote' | 'demote' | 'done';

/** One row of `RUN/curriculum.jsonl`. */
export interface CurriculumRow {
  global_step: number;
  /** The stage the decision is about (the current stage; for a demotion, the stage going back to). */
  stage: string;
  decision: CurriculumDecision;
  flag_rate: number;
  max_x_p10: number;
  length: number;
  /** max_x_p10 / length (0 while the length is unknown). */
  progress_p10: number;
  /** Passes in a row so far (after this probe). */
  streak: number;
  thresholds: { flag_rate: number; progress_p10: number; consecutive: number };
}

interface CurriculumState {
  index: number;
  streak: number;
  done: boolean;
  /** Per passed stage, probes in a row below the demotion line. */
  lows: number[];
}

/** The curriculum callback (see the file comment); registered by the Trainer when `curriculum.stages` is set. */
export class Curriculum implements TrainerCallback {
  readonly name = 'curriculum';
  /** The stages in order. */
  readonly stages: readonly string[];
  readonly #gate: CurriculumConfig;
  #state: CurriculumState;

  constructor(config: TrainerConfig) {
    this.stages = Object.freeze(runStages(config).names);
    this.#gate = config.curriculum;
    this.#state = { index: 0, streak: 0, done: false, lows: this.stages.map(() => 0) };
  }

  /** Index of the current stage. */
  get index(): number {
    return this.#state.index;
  }

  /** True once the last stage passed. */
  get done(): boolean {
    return this.#state.done;
  }

  /** The stages to probe: the passed ones and the current one (all once done). */
  probeStages(): string[] {
    return this.stages.slice(0, this.#state.done ? this.stages.length : this.#state.index + 1);
  }

  /** The training weights of the stages now (env order = curriculum order). */
  weights(): number[] {
    const { index, done } = this.#state;
    if (done) return this.stages.map(() => 1);
    const mix = index > 0 ? this.#gate.mixEarlier : 0;
    return this.stages.map((_, i) => (i === index ? 1 - mix : i < index ? mix / index : 0));
  }

  #apply(ctx: CallbackContext): void {
    ctx.env.setStageWeights(this.weights());
    ctx.record('curriculum/stage_index', this.#state.index);
    ctx.record('curriculum/done', this.#state.done ? 1 : 0);
  }

  onTrainStart(ctx: CallbackContext): void {
    this.#apply(ctx);
  }

  onProbe(ctx: CallbackContext, result: ProbeResult): void {
    if (this.#state.done) return;
    const g = this.#gate;
    const s = this.#state;
    const byStage = new Map(result.stages.map((r) => [r.stage, r]));
    const current = byStage.get(this.stages[s.index]!);
    if (!current) return; // the probe did not cover the current stage (eval.stages set by hand)
    const progress = current.length > 0 ? current.maxXP10 / current.length : 0;
    const pass = current.flagRate >= g.flagRate && (g.progressP10 === 0 || progress >= g.progressP10);
    s.streak = pass ? s.streak + 1 : 0;
    let decision: CurriculumDecision = 'hold';
    let about = s.index;
    if (s.streak >= g.consecutive) {
      s.streak = 0;
      if (s.index + 1 < this.stages.length) {
        s.index++;
        decision = 'promote';
      } else {
        s.done = true;
        decision = 'done';
      }
    } else if (g.demote) {
      for (let i = 0; i < s.index; i++) {
        const r = byStage.get(this.stages[i]!);
        if (!r) continue;
        s.lows[i] = r.flagRate < g.flagRate / 2 ? s.lows[i]! + 1 : 0;
        if (s.lows[i]! >= g.consecutive) {
          s.index = i;
          s.streak = 0;
          s.lows = s.lows.map(() => 0);
          decision = 'demote';
          about = i;
          break;
        }
      }
    }
    const row: CurriculumRow = {
      global_step: result.globalStep,
      stage: this.stages[about]!,
      decision,
      flag_rate: current.flagRate,
      max_x_p10: current.maxXP10,
      length: current.length,
      progress_p10: progress,
      streak: s.streak,
      thresholds: { flag_rate: g.flagRate, progress_p10: g.progressP10, consecutive: g.consecutive },
    };
    mkdirSync(ctx.config.runDir, { recursive: true });
    appendRunFile(join(ctx.config.runDir, 'curriculum.jsonl'), JSON.stringify(row) + '\n');
    if (decision !== 'hold') {
      const to = decision === 'done' ? 'all stages passed' : `now on ${this.stages[s.index]}`;
      ctx.warn(
        `curriculum: ${decision} at step ${result.globalStep} (${row.stage}: flag rate ${current.flagRate.toFixed(2)}, p10 ${progress.toFixed(2)} of its length); ${to}`,
      );
      this.#apply(ctx);
      if (decision === 'done' && g.stopWhenDone) ctx.requestStop(`curriculum done: every stage of ${this.stages.join(',')} passed the gate`);
    } else {
      ctx.record('curriculum/stage_index', s.index);
    }
  }

  state(): CurriculumState {
    return { ...this.#state, lows: [...this.#state.lows] };
  }

  restore(state: unknown): void {
    const s = state as Partial<CurriculumState> | null;
    if (!s || typeof s !== 'object' || typeof s.index !== 'number' || s.index < 0 || s.index >= this.stages.length) return;
    this.#state = {
      index: s.index,
      streak: typeof s.streak === 'number' ? s.streak : 0,
      done: s.done === true,
      lows: Array.isArray(s.lows) && s.lows.length === this.stages.length ? s.lows.map(Number) : this.stages.map(() => 0),
    };
  }
}
