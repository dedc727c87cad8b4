/**
 * What a training loop works with: the run's mutable state (counters, random streams, episode
 * window) and the services the Trainer set up for one `train()` call (learner, env, logger, signal
 * handling, checkpoints, callbacks). The loops (on-policy.ts, off-policy.ts) get a
 * {@link TrainingRun} and own nothing else; the Trainer (trainer.ts) builds it, and closes it.
 */
import { type VecEnv } from '../env/vec-env.js';
import { EpisodeWindow, type MetricsRow, type PhaseTimer } from '../run/metrics.js';
import { type RunLogger } from '../run/run-logger.js';
import { type ShutdownController } from '../run/signals.js';
import { type Learner } from '../runtime/learner.js';
import { Rng, type RngState } from '../util/rng.js';
import { type CallbackContext, type CallbackList, type CheckpointInfo } from './callbacks.js';
import { type DerivedSizes, type TrainerConfig } from './config.js';

/** One finished training episode (the `episode` event). */
export interface EpisodeEvent {
  /** Agent step at which it ended. */
  globalStep: number;
  /** Lane. */
  lane: number;
  /** Undiscounted return. */
  return: number;
  /** Length in agent steps. */
  length: number;
  /** Largest x position. */
  maxX: number;
  /** Whether the flag was reached. */
  flag: boolean;
}

/** The part of a run that a checkpoint restores: counters, random streams and the episode window. */
export class TrainingState {
  /** Agent steps so far (all lanes). */
  globalStep = 0;
  /** Updates (DQN: iterations) so far. */
  globalUpdate = 0;
  /** Minibatch shuffles (PPO/A2C: one seed per update). */
  rngShuffle: Rng;
  /** Action sampling during training and `act`. */
  rngAct: Rng;
  /** Rolling episode statistics. */
  window: EpisodeWindow;
  /**
   * Training seconds before the current `train()` call (earlier calls and, after a resume, the run
   * before its checkpoint: header `elapsedSeconds`), so `time/elapsed_s` continues across resumes.
   */
  elapsedBefore = 0;

  constructor(seed: number, windowEpisodes: number) {
    this.rngShuffle = new Rng(seed, 0);
    this.rngAct = new Rng(seed, 1);
    this.window = new EpisodeWindow(windowEpisodes);
  }

  /** The checkpoint header fields of this state. */
  toHeader(): { globalStep: number; globalUpdate: number; rng: { shuffle: RngState; act: RngState }; episodeWindow: ReturnType<EpisodeWindow['toJSON']> } {
    return {
      globalStep: this.globalStep,
      globalUpdate: this.globalUpdate,
      rng: { shuffle: this.rngShuffle.getState(), act: this.rngAct.getState() },
      episodeWindow: this.window.toJSON(),
    };
  }

  /** Restores what {@link toHeader} wrote. */
  restore(h: { globalStep: number; globalUpdate: number; rng?: unknown; episodeWindow?: unknown; elapsedSeconds?: unknown }): void {
    this.globalStep = h.globalStep;
    this.elapsedBefore = typeof h.elapsedSeconds === 'number' && Number.isFinite(h.elapsedSeconds) ? h.elapsedSeconds : 0;
    this.globalUpdate = h.globalUpdate;
    const rng = h.rng as { shuffle: RngState; act: RngState };
    this.rngShuffle = Rng.fromState(rng.shuffle);
    this.rngAct = Rng.fromState(rng.act);
    this.window = EpisodeWindow.fromJSON(h.episodeWindow as Parameters<typeof EpisodeWindow.fromJSON>[0]);
  }
}

/** A checkpoint section writer (the DQN loop adds its replay buffer). */
export type ExtraSections = () => Record<string, Uint8Array>;

/** Everything one `train()` call's loop uses; built and closed by the Trainer. */
export interface TrainingRun {
  readonly config: TrainerConfig;
  readonly sizes: DerivedSizes;
  readonly state: TrainingState;
  readonly learner: Learner;
  readonly env: VecEnv;
  readonly log: RunLogger;
  readonly shutdown: ShutdownController;
  readonly timer: PhaseTimer;
  readonly callbacks: CallbackList;
  /** The context handed to callbacks (reads the live state). */
  readonly ctx: CallbackContext;
  /** Agent steps this call trains to (counted from step 0 of the run). */
  readonly totalSteps: number;
  /** Start of this call (performance.now() ms). */
  readonly t0: number;
  /** `state.globalUpdate` when this call started. */
  readonly startUpdate: number;
  /** Checkpoint section restored by a resume, by name (e.g. the replay buffer). */
  readonly restoredSections: Readonly<Record<string, Uint8Array>>;
  /** Records a finished episode (window, `episode` event). */
  episode(ep: EpisodeEvent): void;
  /** Writes a metrics row, emits `update`, calls the callbacks' onUpdateEnd; returns the row as written. */
  row(globalStep: number, values: MetricsRow): Promise<MetricsRow>;
  /** Writes a periodic checkpoint (with the loop's extra sections) and calls onCheckpoint. */
  checkpoint(extra?: ExtraSections): Promise<CheckpointInfo>;
  /** Env seed for the reset after `globalUpdate` updates (0 = the run's first reset). */
  envSeed(globalUpdate: number): number;
  /** True once this call's wall-clock limit is reached. */
  wallTimeUp(): boolean;
  /** The learning rate at the current step: schedule × controls.lrScale. */
  learningRate(scheduleName: string): number;
  /** A second Learner for acting while this one trains (overlap), created once per Trainer. */
  actor(): Promise<Learner>;
  /** Called by the loop with its extra checkpoint sections, so `latest` written at the end has them. */
  setExtraSections(extra: ExtraSections): void;
  /** Runs `cleanup` once `latest` is written (e.g. releasing the replay buffer whose state it holds). */
  defer(cleanup: () => void): void;
}
