/**
 * The start-state queue (config `startStates.*`): while training, it keeps console states from a
 * few seconds before each death (and, with `milestonePx`, where an episode first passes each
 * milestone x) in a bounded queue per stage, oldest out, and starts a share of the episodes from
 * them (`VecEnv.setStartStates(…, 'sample', { share })`), so the agent practises where it fails.
 *
 * How a state "a few seconds before death" is kept without saving every step: every lane saves
 * its state every `h` agent steps (h = half of `secondsBefore`, in agent steps) into a short
 * ring; at a failure the newest saved state from at least `secondsBefore` before the episode's
 * **last progress** (the step its max x last grew) is queued. For a death on the run that is
 * `secondsBefore` before the death; for an episode that stood at a wall until the clock or
 * `env.maxStallSteps` ended it, it is before the move that got it stuck, not a state already
 * stuck. Failures are deaths and stall truncations (`env.maxStallSteps`); a flag or a
 * `maxEpisodeSteps` cut queues nothing. Episodes shorter than that leave nothing.
 *
 * The queue never runs dry silently: it is refilled from fresh deaths; when the stages in play
 * have no states, resets fall back to the stage starts; and every metrics row carries
 * `start_states/override_ratio` (share of resets that used a state), `start_states/queue_len`
 * (and per stage `start_states/<stage>/queue_len`), `start_states/refills` (states queued since
 * the previous row), `start_states/kept` and `start_states/share`. The queue travels in
 * checkpoints (sections `cb.startStates.queue` and `cb.startStates.kept`), and is written to
 * `RUN/start-states.bin` at the end of `train()`; `startStates.file` seeds a run's queue from
 * such a file.
 *
 * With `startStates.keepFile` the file's states are kept apart ("kept"): never evicted, not
 * counted against `capacity`, and drawn beside the queue's states (each state in play, kept or
 * queued, equally likely). This is Go-Explore's "return, then explore" for a trap the agent has
 * not passed yet: a search (or a person) finds states past it, and the agent practises from
 * them for as long as the run lasts instead of until fresh deaths push them out. `queue_len`
 * counts kept states too; `start_states/kept` counts them alone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { writeFileAtomic } from '../run/atomic-file.js';
import { type StepResult } from '../env/vec-env.js';
import { type CallbackContext, type TrainerCallback } from './callbacks.js';
import { type TrainerConfig } from './config.js';
import { runStages } from './env-options.js';
import { finishedStage } from './stages.js';

/** Magic of a start-state file ("MRSQ"). */
const FILE_MAGIC = 0x5153524d;
/** Layout version of a start-state file. */
export const START_STATE_FILE_VERSION = 1;

/** Encodes a queue (stage → states) as a start-state file: magic, version, JSON index, states. */
export function encodeStartStates(queues: ReadonlyMap<string, readonly Uint8Array[]>): Uint8Array {
  const index = [...queues].map(([stage, states]) => ({ stage, sizes: states.map((s) => s.byteLength) }));
  const json = new TextEncoder().encode(JSON.stringify(index));
  let total = 12 + json.byteLength;
  for (const states of queues.values()) for (const s of states) total += s.byteLength;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, FILE_MAGIC, true);
  view.setUint32(4, START_STATE_FILE_VERSION, true);
  view.setUint32(8, json.byteLength, true);
  out.set(json, 12);
  let at = 12 + json.byteLength;
  for (const states of queues.values()) {
    for (const s of states) {
      out.set(s, at);
      at += s.byteLength;
    }
  }
  return out;
}

/** Decodes {@link encodeStartStates}; errors name `what` (e.g. the flag and file) and say what is wrong. */
export function decodeStartStates(bytes: Uint8Array, what: string): Map<string, Uint8Array[]> {
  const bad = (why: string) => new RangeError(`Expected a start-state file (written by mario-rl train as RUN/start-states.bin) for ${what} but ${why}`);
  if (bytes.byteLength < 12) throw bad(`received ${bytes.byteLength} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== FILE_MAGIC) throw bad('its magic is wrong');
  const version = view.getUint32(4, true);
  if (version !== START_STATE_FILE_VERSION) throw bad(`its version is ${version}, not ${START_STATE_FILE_VERSION}`);
  const jsonLength = view.getUint32(8, true);
  if (12 + jsonLength > bytes.byteLength) throw bad('it is truncated');
  let index: { stage: string; sizes: number[] }[];
  try {
    index = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + jsonLength))) as typeof index;
  } catch {
    throw bad('its index is not JSON');
  }
  const out = new Map<string, Uint8Array[]>();
  let at = 12 + jsonLength;
  if (!Array.isArray(index)) throw bad('its index is not a list');
  for (const entry of index) {
    if (!entry || typeof entry.stage !== 'string' || !Array.isArray(entry.sizes)) throw bad('its index is malformed');
    const states: Uint8Array[] = [];
    for (const size of entry.sizes) {
      if (!Number.isInteger(size) || size <= 0 || at + size > bytes.byteLength) throw bad('it is truncated');
      states.push(bytes.slice(at, at + size));
      at += size;
    }
    out.set(entry.stage, states);
  }
  if (at !== bytes.byteLength) throw bad('it has trailing bytes');
  return out;
}

interface LaneRing {
  /** Saved states and the episode step they were saved at, newest last (≤ ring length). */
  states: Uint8Array[];
  steps: number[];
  /** Agent steps in the lane's current episode. */
  step: number;
  /** The episode's max x so far, and the step it was reached at (its last progress). */
  bestX: number;
  progressStep: number;
  /** Next milestone x to pass (milestonePx > 0). */
  nextMilestone: number;
}

/** The start-state queue (see the file comment); registered by the Trainer when `startStates.share` > 0. */
export class StartStateQueue implements TrainerCallback {
  readonly name = 'startStates';
  readonly #config: TrainerConfig;
  readonly #stages: readonly string[];
  readonly #stepsBefore: number;
  readonly #every: number;
  /** Saved states kept per lane: enough to reach back past a stall of `env.maxStallSteps`. */
  readonly #ring: number;
  #queues = new Map<string, Uint8Array[]>();
  /** States from `startStates.file` kept for the whole run (`startStates.keepFile`). */
  #kept = new Map<string, Uint8Array[]>();
  #lanes: LaneRing[] = [];
  #refills = 0;
  #dirty = true;
  #weightsKey = '';

  constructor(config: TrainerConfig) {
    this.#config = config;
    this.#stages = runStages(config).names;
    for (const s of this.#stages) {
      this.#queues.set(s, []);
      this.#kept.set(s, []);
    }
    this.#stepsBefore = Math.max(1, Math.round((config.startStates.secondsBefore * 60) / config.env.frameSkip));
    this.#every = Math.max(1, Math.floor(this.#stepsBefore / 2));
    this.#ring = 3 + Math.ceil(config.env.maxStallSteps / this.#every);
    if (config.startStates.file !== '') this.#load(config.startStates.file);
  }

  #load(path: string): void {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(path));
    } catch (err) {
      throw new Error(`Cannot read startStates.file ${path}: ${(err as Error).message}`, { cause: err });
    }
    const queues = decodeStartStates(bytes, `startStates.file ${path}`);
    for (const [stage, states] of queues) {
      if (!this.#queues.has(stage)) {
        throw new RangeError(`Expected states of the run's stages (${this.#stages.join(',')}) for startStates.file ${path} but received states of '${stage}'`);
      }
      if (this.#config.startStates.keepFile) this.#kept.set(stage, states);
      else this.#queues.set(stage, states.slice(-this.#config.startStates.capacity));
    }
  }

  /** States queued per stage now (kept states included). */
  queueLengths(): Record<string, number> {
    return Object.fromEntries([...this.#queues].map(([s, q]) => [s, q.length + this.#kept.get(s)!.length]));
  }

  #push(stage: string, state: Uint8Array): void {
    const q = this.#queues.get(stage);
    if (!q) return; // a stage outside the run's list (full-game envs)
    q.push(state);
    if (q.length > this.#config.startStates.capacity) q.shift();
    this.#refills++;
    this.#dirty = true;
  }

  #freshLane(): LaneRing {
    return { states: [], steps: [], step: 0, bestX: -1, progressStep: 0, nextMilestone: this.#config.startStates.milestonePx };
  }

  onEnvReset(ctx: CallbackContext): void {
    this.#lanes = Array.from({ length: ctx.env.numEnvs }, () => this.#freshLane());
  }

  onTrainStart(ctx: CallbackContext): void {
    this.#dirty = true;
    this.#sync(ctx, 'onTrainStart');
    ctx.env.startStats(); // count from here
  }

  onStep(ctx: CallbackContext, r: StepResult): void {
    const milestone = this.#config.startStates.milestonePx;
    const maxStall = this.#config.env.maxStallSteps;
    for (let lane = 0; lane < this.#lanes.length; lane++) {
      const l = this.#lanes[lane]!;
      if (r.terminated[lane] || r.truncated[lane]) {
        const end = l.step + 1;
        const died = r.terminated[lane] === 1 && r.episode.flag[lane] !== 1;
        // A truncation this long after the last progress is the stall cut (not maxEpisodeSteps).
        const stalled = r.truncated[lane] === 1 && maxStall > 0 && end - l.progressStep >= maxStall;
        if (died || stalled) {
          const anchor = Math.min(end, l.progressStep + 1);
          for (let k = l.states.length - 1; k >= 0; k--) {
            if (anchor - l.steps[k]! >= this.#stepsBefore) {
              this.#push(finishedStage(r, lane), l.states[k]!);
              break;
            }
          }
        }
        this.#lanes[lane] = this.#freshLane();
        continue;
      }
      l.step++;
      const x = r.info.xPos![lane]!;
      if (x > l.bestX) {
        l.bestX = x;
        l.progressStep = l.step;
      }
      if (l.step % this.#every === 0) {
        l.states.push(ctx.env.saveStates([lane])[0]!);
        l.steps.push(l.step);
        if (l.states.length > this.#ring) {
          l.states.shift();
          l.steps.shift();
        }
      }
      if (milestone > 0 && x >= l.nextMilestone) {
        const stage = `${r.info.world?.[lane] ?? 1}-${r.info.stage![lane]}`;
        this.#push(stage, ctx.env.saveStates([lane])[0]!);
        l.nextMilestone = (Math.floor(x / milestone) + 1) * milestone;
      }
    }
  }

  /** Hands the queues of the stages in play (weight > 0) to the env, or falls back to the stage starts. */
  #sync(ctx: CallbackContext, where: string): void {
    const weights = ctx.env.stageWeights();
    const key = weights.join(',');
    if (!this.#dirty && key === this.#weightsKey) return;
    this.#dirty = false;
    this.#weightsKey = key;
    const states: Uint8Array[] = [];
    this.#stages.forEach((s, i) => {
      if ((weights[i] ?? 1) > 0) states.push(...this.#kept.get(s)!, ...this.#queues.get(s)!);
    });
    if (states.length === 0) {
      ctx.env.clearStartStates();
      return;
    }
    try {
      ctx.env.setStartStates(states, 'sample', { share: this.#config.startStates.share });
    } catch (err) {
      const from = this.#config.startStates.file !== '' && where === 'onTrainStart' ? ` (startStates.file ${this.#config.startStates.file})` : '';
      throw new Error(`The start-state queue${from} holds a state this env cannot load: ${(err as Error).message}`, { cause: err });
    }
  }

  onRolloutEnd(ctx: CallbackContext): void {
    this.#sync(ctx, 'onRolloutEnd');
    const { resets, fromStartStates } = ctx.env.startStats();
    let total = 0;
    let kept = 0;
    for (const [stage, q] of this.#queues) {
      const k = this.#kept.get(stage)!.length;
      ctx.record(`start_states/${stage}/queue_len`, q.length + k);
      total += q.length + k;
      kept += k;
    }
    ctx.record('start_states/queue_len', total);
    ctx.record('start_states/kept', kept);
    ctx.record('start_states/override_ratio', resets > 0 ? fromStartStates / resets : 0);
    ctx.record('start_states/refills', this.#refills);
    ctx.record('start_states/share', this.#config.startStates.share);
    this.#refills = 0;
  }

  onTrainEnd(ctx: CallbackContext): void {
    // Kept states first, then the queue's: a later run seeding from this file gets both.
    const all = new Map([...this.#queues].map(([stage, q]) => [stage, [...this.#kept.get(stage)!, ...q]]));
    writeFileAtomic(join(ctx.config.runDir, 'start-states.bin'), [encodeStartStates(all)]);
  }

  sections(): Record<string, Uint8Array> {
    const out: Record<string, Uint8Array> = { queue: encodeStartStates(this.#queues) };
    if (this.#config.startStates.keepFile) out.kept = encodeStartStates(this.#kept);
    return out;
  }

  restoreSections(sections: Record<string, Uint8Array>): void {
    if (!sections.queue) return;
    for (const [stage, states] of decodeStartStates(sections.queue, 'the checkpoint section cb.startStates.queue')) {
      if (this.#queues.has(stage)) this.#queues.set(stage, states.slice(-this.#config.startStates.capacity));
    }
    if (sections.kept && this.#config.startStates.keepFile) {
      for (const [stage, states] of decodeStartStates(sections.kept, 'the checkpoint section cb.startStates.kept')) {
        if (this.#kept.has(stage)) this.#kept.set(stage, states);
      }
    }
    this.#dirty = true;
  }
}
