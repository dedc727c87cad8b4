/**
 * Schedules for learning rates, ε-greedy exploration and the PER importance exponent β: plain
 * JSON objects evaluated as pure functions of a step counter. A schedule has no hidden state, so
 * its "position" in a checkpoint is just the step it is evaluated at; saving the schedule object
 * and the step restores it exactly.
 */
import { expectNumber, expectOneOf, expectOptions, expectedMessage, rejectUnknownKeys } from '../validate.js';

/** A fixed value. */
export interface ConstantSchedule {
  kind: 'constant';
  /** The value at every step. */
  value: number;
}

/**
 * Goes from `start` to `end` over `duration` steps (linearly or along half a cosine), then stays
 * at `end`. `duration` is a step count once resolved; in configs it may be written as
 * `fraction` of the run's total steps instead (see {@link resolveSchedule}).
 */
export interface RampSchedule {
  kind: 'linear' | 'cosine';
  /** Value at step 0. */
  start: number;
  /** Value at `duration` steps and after. */
  end: number;
  /** Steps over which the value moves; resolved from `fraction` when absent. */
  duration?: number;
  /** Share of the run's total steps over which the value moves (used when `duration` is absent; default 1). */
  fraction?: number;
}

/** Any schedule. */
export type Schedule = ConstantSchedule | RampSchedule;

/** Schedule kinds, for validation and help text. */
export const SCHEDULE_KINDS = ['constant', 'linear', 'cosine'] as const;

/**
 * The schedule's value at `step` (clamped at 0). A ramp without `duration` must be resolved first
 * with {@link resolveSchedule}.
 */
export function scheduleValue(schedule: Schedule, step: number): number {
  if (schedule.kind === 'constant') return schedule.value;
  const duration = schedule.duration;
  if (duration === undefined) {
    throw new Error(`A ${schedule.kind} schedule needs a duration; call resolveSchedule(schedule, totalSteps) first`);
  }
  const progress = duration <= 0 ? 1 : Math.min(Math.max(step, 0) / duration, 1);
  const weight = schedule.kind === 'linear' ? progress : (1 - Math.cos(Math.PI * progress)) / 2;
  return schedule.start + (schedule.end - schedule.start) * weight;
}

/** Returns a copy with `duration` filled in from `fraction` (default 1) of `totalSteps`. */
export function resolveSchedule(schedule: Schedule, totalSteps: number): Schedule {
  if (schedule.kind === 'constant' || schedule.duration !== undefined) return { ...schedule };
  const fraction = schedule.fraction ?? 1;
  return { ...schedule, duration: Math.max(0, Math.round(fraction * totalSteps)) };
}

/**
 * Validates a schedule from JSON. A bare number means a constant. Values must lie in [min, max];
 * errors name the field path, e.g. `ppo.learningRate.start`.
 */
export function parseSchedule(value: unknown, path: string, min = -Infinity, max = Infinity): Schedule {
  if (typeof value === 'number') return { kind: 'constant', value: expectNumber(value, path, min, max) };
  if (typeof value === 'string') return parseScheduleString(value, path, min, max);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(expectedMessage('a number or a schedule object', path, value));
  }
  const obj = expectOptions<Record<string, unknown>>(value, path);
  const kind = expectOneOf(obj.kind, `${path}.kind`, SCHEDULE_KINDS);
  if (kind === 'constant') {
    rejectUnknownKeys(obj, path, ['kind', 'value']);
    return { kind, value: expectNumber(obj.value, `${path}.value`, min, max) };
  }
  rejectUnknownKeys(obj, path, ['kind', 'start', 'end', 'duration', 'fraction']);
  const out: RampSchedule = {
    kind,
    start: expectNumber(obj.start, `${path}.start`, min, max),
    end: expectNumber(obj.end, `${path}.end`, min, max),
  };
  if (obj.duration !== undefined) out.duration = expectNumber(obj.duration, `${path}.duration`, 0);
  if (obj.fraction !== undefined) out.fraction = expectNumber(obj.fraction, `${path}.fraction`, 0, 1);
  return out;
}

/**
 * Parses the command-line form: a number (constant), `constant:V`, or `linear:START:END[:FRACTION]`
 * / `cosine:START:END[:FRACTION]`.
 */
export function parseScheduleString(text: string, path: string, min = -Infinity, max = Infinity): Schedule {
  const what = "a number or 'constant:V', 'linear:START:END[:FRACTION]', 'cosine:START:END[:FRACTION]'";
  const parts = text.trim().split(':');
  const num = (s: string | undefined, field: string, lo: number, hi: number): number => {
    const v = s === undefined || s.trim() === '' ? NaN : Number(s);
    if (Number.isNaN(v)) throw new TypeError(expectedMessage(what, path, text));
    return expectNumber(v, field, lo, hi);
  };
  if (parts.length === 1) return { kind: 'constant', value: num(parts[0], path, min, max) };
  const kind = parts[0];
  if (kind === 'constant' && parts.length === 2) return { kind, value: num(parts[1], `${path}.value`, min, max) };
  if ((kind === 'linear' || kind === 'cosine') && (parts.length === 3 || parts.length === 4)) {
    const out: RampSchedule = {
      kind,
      start: num(parts[1], `${path}.start`, min, max),
      end: num(parts[2], `${path}.end`, min, max),
    };
    if (parts.length === 4) out.fraction = num(parts[3], `${path}.fraction`, 0, 1);
    return out;
  }
  throw new TypeError(expectedMessage(what, path, text));
}

/** The command-line form of a schedule (inverse of {@link parseScheduleString}; `duration` is not expressible). */
export function formatSchedule(schedule: Schedule): string {
  if (schedule.kind === 'constant') return String(schedule.value);
  const base = `${schedule.kind}:${schedule.start}:${schedule.end}`;
  return schedule.fraction === undefined ? base : `${base}:${schedule.fraction}`;
}
