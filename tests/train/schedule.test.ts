import { describe, expect, it } from 'vitest';

import { formatSchedule, parseSchedule, parseScheduleString, resolveSchedule, scheduleValue, type Schedule } from '../../src/train/schedule.js';

describe('schedules', () => {
  it('constant, linear and cosine follow their formulas and clamp at the ends', () => {
    expect(scheduleValue({ kind: 'constant', value: 3 }, 1e9)).toBe(3);
    const lin: Schedule = { kind: 'linear', start: 1, end: 0.1, duration: 100 };
    expect(scheduleValue(lin, 0)).toBe(1);
    expect(scheduleValue(lin, 50)).toBeCloseTo(0.55, 12);
    expect(scheduleValue(lin, 100)).toBeCloseTo(0.1, 12);
    expect(scheduleValue(lin, 1000)).toBeCloseTo(0.1, 12);
    expect(scheduleValue(lin, -5)).toBe(1);
    const cos: Schedule = { kind: 'cosine', start: 2, end: 0, duration: 10 };
    expect(scheduleValue(cos, 5)).toBeCloseTo(1, 12);
    expect(scheduleValue(cos, 2.5)).toBeCloseTo(1 + Math.cos(Math.PI / 4), 12);
    expect(scheduleValue(cos, 10)).toBeCloseTo(0, 12);
    expect(scheduleValue({ kind: 'linear', start: 1, end: 0, duration: 0 }, 0)).toBe(0);
  });

  it('is a pure function of the step: same step, same value, in any order', () => {
    const s: Schedule = { kind: 'cosine', start: 0.4, end: 1, duration: 777 };
    const forward = Array.from({ length: 50 }, (_, i) => scheduleValue(s, i * 17));
    const backward = Array.from({ length: 50 }, (_, i) => scheduleValue(s, (49 - i) * 17)).reverse();
    expect(forward).toEqual(backward);
    const roundTripped = JSON.parse(JSON.stringify(s)) as Schedule;
    expect(scheduleValue(roundTripped, 300)).toBe(scheduleValue(s, 300));
  });

  it('resolves fractions of the total steps and refuses unresolved ramps', () => {
    const eps = parseSchedule({ kind: 'linear', start: 1, end: 0.05, fraction: 0.1 }, 'dqn.epsilon', 0, 1);
    expect(() => scheduleValue(eps, 10)).toThrow(/resolveSchedule/);
    const resolved = resolveSchedule(eps, 1_000_000);
    expect(resolved).toEqual({ kind: 'linear', start: 1, end: 0.05, fraction: 0.1, duration: 100_000 });
    expect(scheduleValue(resolved, 50_000)).toBeCloseTo(0.525, 12);
    expect(resolveSchedule({ kind: 'linear', start: 1, end: 0 }, 40)).toMatchObject({ duration: 40 });
  });

  it('validates JSON and CLI forms with the field path in errors', () => {
    expect(parseSchedule(1e-4, 'ppo.learningRate', 0)).toEqual({ kind: 'constant', value: 1e-4 });
    expect(() => parseSchedule({ kind: 'linear', start: -1, end: 0 }, 'ppo.learningRate', 0)).toThrow(
      'Expected a finite number in [0, Infinity] for ppo.learningRate.start but received -1',
    );
    expect(() => parseSchedule({ kind: 'step', value: 1 }, 'dqn.epsilon')).toThrow(/for dqn.epsilon.kind/);
    expect(() => parseSchedule({ kind: 'linear', start: 1, end: 0, steps: 3 }, 'dqn.epsilon')).toThrow(/Unknown option 'steps' for dqn.epsilon/);
    expect(() => parseSchedule([1], 'x')).toThrow(TypeError);
    expect(parseScheduleString('2.5e-4', 'lr')).toEqual({ kind: 'constant', value: 2.5e-4 });
    expect(parseScheduleString('linear:2.5e-4:0', 'lr')).toEqual({ kind: 'linear', start: 2.5e-4, end: 0 });
    expect(parseScheduleString('cosine:1:0:0.5', 'lr')).toEqual({ kind: 'cosine', start: 1, end: 0, fraction: 0.5 });
    expect(() => parseScheduleString('linear:a:0', 'ppo.learningRate')).toThrow(/for ppo.learningRate but received "linear:a:0"/);
    expect(() => parseScheduleString('cosine:1:0:2', 'lr')).toThrow(/for lr.fraction but received 2/);
    for (const text of ['0.3', 'linear:1:0.01:0.1', 'cosine:0.4:1']) {
      expect(formatSchedule(parseScheduleString(text, 'x'))).toBe(text);
    }
  });
});
