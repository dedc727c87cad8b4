/**
 * Training hints: each rule fed synthetic rows through a fake context (fires once, with its code and
 * numbers, not before the warm-up, not on healthy rows, not again, state round-trips), plus a short
 * real run on the built-in game whose oversized rewards make the value loss swamp the policy.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { readCheckpoint } from '../../src/run/checkpoint-store.js';
import { EpisodeWindow, type MetricsRow } from '../../src/run/metrics.js';
import { runPaths } from '../../src/run/run-logger.js';
import { type CallbackContext } from '../../src/train/callbacks.js';
import { type TrainerConfigInput, validateConfig } from '../../src/train/config.js';
import {
  CPU_SLOW_WARMUP_ROWS,
  ENTROPY_COLLAPSE_ROWS,
  EXPLAINED_VARIANCE_ROWS,
  type Hint,
  HINT_CODES,
  HINT_RULES,
  HINT_WARMUP_ROWS,
  START_STATES_EMPTY_ROWS,
  SWAMP_ROWS,
  TrainingHints,
  type TrainingHintsOptions,
  ZERO_REWARD_MIN_EPISODES,
} from '../../src/train/hints.js';
import { run } from './trainer-helpers.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mario-rl-hints-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A fake context over a real validated config and episode window; warnings are collected. */
function fakeCtx(config: TrainerConfigInput = {}) {
  const warnings: string[] = [];
  const window = new EpisodeWindow(100);
  let step = 0;
  const ctx = {
    config: validateConfig({ runDir: join(dir, 'run'), device: 'cpu', ...config }),
    get globalStep() {
      return step;
    },
    globalUpdate: 0,
    window,
    warn: (m: string) => void warnings.push(m),
  } as unknown as CallbackContext & { globalUpdate: number };
  return { ctx, warnings, window, setStep: (s: number) => (step = s) };
}

type Fake = ReturnType<typeof fakeCtx>;

/** A healthy PPO row: small value loss, entropy well above the floor, explained variance > 0, some flags. */
const healthy = (extra: MetricsRow = {}): MetricsRow => ({
  'charts/learning_rate': 1e-4,
  'losses/policy_loss': -0.02,
  'losses/value_loss': 0.8,
  'losses/entropy': 1.2,
  'losses/explained_variance': 0.4,
  'charts/flag_rate': 0.3,
  'charts/SPS': 5000,
  'time/elapsed_s': 100,
  ...extra,
});

/** Feeds `rows` as the next updates (global_step = update × 64); returns the hints fired meanwhile. */
function feed(hints: TrainingHints, f: Fake, rows: MetricsRow[]): Hint[] {
  const before = hints.hints.length;
  for (const r of rows) {
    f.ctx.globalUpdate++;
    f.setStep(f.ctx.globalUpdate * 64);
    hints.onUpdateEnd(f.ctx, { global_step: f.ctx.globalUpdate * 64, update: f.ctx.globalUpdate, ...r });
  }
  return hints.hints.slice(before);
}

const times = (n: number, row: MetricsRow): MetricsRow[] => Array.from({ length: n }, () => row);

const hintsFile = () => runPaths(join(dir, 'run')).hints;
const fileRows = (file = hintsFile()): Hint[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Hint)
    : [];

/** Feeds bad rows from the first update on: the hint fires at the warm-up, exactly once, with the code, the numbers, the console line and the file row. */
function firesOnceAfterWarmup(f: Fake, bad: MetricsRow, code: string, options: TrainingHintsOptions = {}): Hint {
  const hints = new TrainingHints(options);
  expect(feed(hints, f, times(HINT_WARMUP_ROWS - 1, bad))).toEqual([]);
  expect(f.warnings).toEqual([]);
  const fired = feed(hints, f, [bad]);
  expect(fired.map((h) => h.code)).toEqual([code]);
  expect(fired[0]!.update).toBe(HINT_WARMUP_ROWS);
  expect(fired[0]!.global_step).toBe(HINT_WARMUP_ROWS * 64);
  expect(f.warnings).toEqual([`hint ${code}: ${fired[0]!.message}`]);
  expect(fileRows()).toEqual([fired[0]]);
  // Not repeated.
  expect(feed(hints, f, times(30, bad))).toEqual([]);
  expect(f.warnings.length).toBe(1);
  expect(fileRows().length).toBe(1);
  return fired[0]!;
}

describe('TrainingHints rules', () => {
  it('have stable, unique codes and one rule each', () => {
    expect(HINT_RULES.map((r) => r.code)).toEqual([...HINT_CODES]);
    expect(new TrainingHints().name).toBe('hints');
  });

  it('stay quiet on healthy PPO rows, and DQN rows', () => {
    const f = fakeCtx();
    for (let i = 0; i < 20; i++) f.window.add({ return: 10 + i, length: 100 });
    const hints = new TrainingHints({ expectedStepsPerSecond: () => 1000 });
    expect(feed(hints, f, times(100, healthy()))).toEqual([]);
    const d = fakeCtx({ algo: 'dqn' });
    const dqnRow = { 'losses/td_loss': 1e6, 'losses/q_values': 1e4, 'charts/SPS': 5000, 'time/elapsed_s': 100, 'losses/entropy': 0 };
    expect(feed(new TrainingHints(), d, times(100, dqnRow))).toEqual([]);
    expect(f.warnings).toEqual([]);
    expect(d.warnings).toEqual([]);
    expect(existsSync(hintsFile())).toBe(false);
  });

  it('value-swamps-policy: vfCoef·value_loss ≫ |policy_loss| with a large value loss under the clip', () => {
    const f = fakeCtx({ ppo: { gamma: 0.99 } });
    const bad = healthy({ 'losses/value_loss': 800, 'losses/policy_loss': 0.05 });
    const h = firesOnceAfterWarmup(f, bad, 'value-swamps-policy');
    expect(h).toMatchObject({ value_loss: 800, policy_loss: 0.05, vf_coef: 0.5, ratio: 8000, max_grad_norm: 0.5, gamma: 0.99, reward_scale: 1 });
    expect(h.message).toContain('ppo.vfCoef × losses/value_loss = 0.5 × 800 is 8000× |losses/policy_loss| 0.05 for 10 rows in a row');
    expect(h.message).toContain('ppo.gamma 0.99 → 0.9');
    expect(h.message).toContain('env.rewardScale 1 → 0.03'); // 1/√800 = 0.035, rounded down
    expect(h.message).toContain('docs/results.md');
    // Huge ratios read as powers of ten.
    const g = fakeCtx();
    const [big] = feed(new TrainingHints(), g, times(HINT_WARMUP_ROWS, healthy({ 'losses/value_loss': 4e5, 'losses/policy_loss': 0.0008 })));
    expect(big!.message).toContain('= 0.5 × 400000 is 2.50e8× |losses/policy_loss| 0.0008');

    // Not with the clip off, not with a small value loss, not on a broken streak.
    const off = fakeCtx({ ppo: { maxGradNorm: 0 } });
    expect(feed(new TrainingHints(), off, times(30, bad))).toEqual([]);
    const small = fakeCtx();
    expect(feed(new TrainingHints(), small, times(30, healthy({ 'losses/value_loss': 9, 'losses/policy_loss': 0.001 })))).toEqual([]);
    const broken = fakeCtx();
    const hints = new TrainingHints();
    const streak = [...times(SWAMP_ROWS - 1, bad), healthy()];
    expect(feed(hints, broken, [...streak, ...streak, ...streak, ...streak])).toEqual([]);
    expect(feed(hints, broken, times(SWAMP_ROWS - 1, bad))).toEqual([]);
    expect(feed(hints, broken, [bad]).map((x) => x.code)).toEqual(['value-swamps-policy']);
  });

  it('value-swamps-policy reads the A2C settings for A2C', () => {
    const f = fakeCtx({ algo: 'a2c', a2c: { vfCoef: 0.25 } });
    const h = firesOnceAfterWarmup(f, healthy({ 'losses/value_loss': 400, 'losses/policy_loss': -0.1 }), 'value-swamps-policy');
    expect(h).toMatchObject({ vf_coef: 0.25, ratio: 1000, gamma: 0.9 });
    expect(h.message).toMatch(/^a2c\.vfCoef × losses\/value_loss = 0\.25 × 400/);
    expect(h.message).not.toContain('→ 0.9'); // γ is 0.9 already
  });

  it('entropy-collapse: entropy under a share of ln(actions) while the flag rate is low', () => {
    const f = fakeCtx({ env: { actions: 'right-only' } });
    const h = firesOnceAfterWarmup(f, healthy({ 'losses/entropy': 0.05, 'charts/flag_rate': 0 }), 'entropy-collapse');
    expect(h.entropy).toBe(0.05);
    expect(h.max_entropy).toBeCloseTo(Math.log(5), 12);
    expect(h).toMatchObject({ flag_rate: 0, ent_coef: 0.01, learning_rate: 1e-4 });
    expect(h.message).toContain('losses/entropy 0.05 is 3.11% of its maximum ln(5) = 1.61');
    expect(h.message).toContain('raise ppo.entCoef (now 0.01');
    expect(h.message).toContain('ppo.learningRate, now 0.0001');
    // A policy that reaches the flag may be nearly deterministic; a missing flag rate counts as 0.
    expect(feed(new TrainingHints(), fakeCtx(), times(30, healthy({ 'losses/entropy': 0.05, 'charts/flag_rate': 0.5 })))).toEqual([]);
    const noEpisodes = healthy({ 'losses/entropy': 0.01 });
    delete noEpisodes['charts/flag_rate'];
    expect(feed(new TrainingHints(), fakeCtx(), times(HINT_WARMUP_ROWS, noEpisodes)).map((x) => x.code)).toEqual(['entropy-collapse']);
    expect(ENTROPY_COLLAPSE_ROWS).toBeLessThanOrEqual(HINT_WARMUP_ROWS);
  });

  it('entropy-collapse points at value-swamps-policy when that fired too', () => {
    const f = fakeCtx();
    const fired = feed(new TrainingHints(), f, times(HINT_WARMUP_ROWS, healthy({ 'losses/entropy': 0.01, 'charts/flag_rate': 0, 'losses/value_loss': 500 })));
    expect(fired.map((x) => x.code)).toEqual(['value-swamps-policy', 'entropy-collapse']);
    expect(fired[1]!.message).toContain('value-swamps-policy fired too');
  });

  it('explained-variance: ≤ 0 (0.01) for many rows in a row', () => {
    const f = fakeCtx();
    const hints = new TrainingHints();
    const bad = healthy({ 'losses/explained_variance': -0.2, 'losses/value_loss': 3 });
    expect(feed(hints, f, times(EXPLAINED_VARIANCE_ROWS - 1, bad))).toEqual([]);
    const [h] = feed(hints, f, [bad]);
    expect(h).toMatchObject({
      code: 'explained-variance',
      update: EXPLAINED_VARIANCE_ROWS,
      explained_variance: -0.2,
      value_loss: 3,
      reward_scale: 1,
      gamma: 0.9,
    });
    expect(h!.message).toContain(`has been ≤ 0.01 for ${EXPLAINED_VARIANCE_ROWS} rows in a row (now -0.2)`);
    expect(feed(hints, f, times(50, bad))).toEqual([]);
    // NaN (constant returns) is no evidence either way and breaks the streak.
    const g = fakeCtx();
    const rows = [...times(EXPLAINED_VARIANCE_ROWS - 1, bad), healthy({ 'losses/explained_variance': NaN }), ...times(EXPLAINED_VARIANCE_ROWS - 1, bad)];
    expect(feed(new TrainingHints(), g, rows)).toEqual([]);
    // 0.005 counts (a value head that learned nothing reads about 0), 0.05 does not.
    expect(feed(new TrainingHints(), fakeCtx(), times(EXPLAINED_VARIANCE_ROWS, healthy({ 'losses/explained_variance': 0.005 }))).map((x) => x.code)).toEqual([
      'explained-variance',
    ]);
    expect(feed(new TrainingHints(), fakeCtx(), times(50, healthy({ 'losses/explained_variance': 0.05 })))).toEqual([]);
  });

  it('reward-always-zero: every return in a full enough window is 0 (any algorithm)', () => {
    const f = fakeCtx({ algo: 'dqn' });
    for (let i = 0; i < ZERO_REWARD_MIN_EPISODES - 1; i++) f.window.add({ return: 0, length: 400 });
    const hints = new TrainingHints();
    const row = { 'losses/td_loss': 0.1, 'charts/episodic_length': 400 };
    expect(feed(hints, f, times(HINT_WARMUP_ROWS, row))).toEqual([]); // one episode short
    f.window.add({ return: 0, length: 400 });
    const [h] = feed(hints, f, [row]);
    expect(h).toMatchObject({ code: 'reward-always-zero', episodes: ZERO_REWARD_MIN_EPISODES, episodic_length: 400 });
    expect(h!.message).toContain(`all ${ZERO_REWARD_MIN_EPISODES} episodes in the window returned exactly 0 (mean length 400 agent steps)`);
    expect(feed(hints, f, times(10, row))).toEqual([]);
    // Before the warm-up, and with one non-zero return, nothing.
    const early = fakeCtx();
    for (let i = 0; i < 50; i++) early.window.add({ return: 0, length: 10 });
    expect(feed(new TrainingHints(), early, times(HINT_WARMUP_ROWS - 1, healthy()))).toEqual([]);
    const one = fakeCtx();
    for (let i = 0; i < 50; i++) one.window.add({ return: i === 7 ? -1 : 0, length: 10 });
    expect(feed(new TrainingHints(), one, times(30, healthy()))).toEqual([]);
  });

  it('start-states-empty: a share of starts from the queue while the queue stays empty', () => {
    const f = fakeCtx();
    const h = firesOnceAfterWarmup(f, healthy({ 'start_states/share': 0.5, 'start_states/queue_len': 0 }), 'start-states-empty');
    expect(h).toMatchObject({ share: 0.5, queue_len: 0 });
    expect(h.message).toContain('start_states/share is 0.5 but start_states/queue_len has been 0 for 10 rows in a row');
    // Keys absent, share 0, or a queue that refills: nothing.
    expect(feed(new TrainingHints(), fakeCtx(), times(30, healthy({ 'start_states/share': 0, 'start_states/queue_len': 0 })))).toEqual([]);
    const refill = [
      ...times(START_STATES_EMPTY_ROWS - 1, healthy({ 'start_states/share': 0.5, 'start_states/queue_len': 0 })),
      healthy({ 'start_states/share': 0.5, 'start_states/queue_len': 4 }),
    ];
    expect(feed(new TrainingHints(), fakeCtx(), [...refill, ...refill, ...refill, ...refill, ...refill])).toEqual([]);
  });

  it('cpu-slow: charts/SPS far below the CPU estimate, after the warm-up of this train() call', () => {
    const f = fakeCtx();
    const slow = healthy({ 'charts/SPS': 100, 'time/elapsed_s': 60 });
    const h = firesOnceAfterWarmup(f, slow, 'cpu-slow', { expectedStepsPerSecond: () => 1000 });
    expect(h).toMatchObject({ sps: 100, expected_sps: 1000, share: 0.1, elapsed_s: 60 });
    expect(h.message).toContain('charts/SPS is 100 agent steps/s after 60 s, 10% of the ≈ 1000 expected for the nature network');
    expect(h.message).toContain('ppo.numEnvs × ppo.numSteps = 4096');
    // Fast enough, too early in the call, or no expectation (GPU): nothing.
    expect(feed(new TrainingHints({ expectedStepsPerSecond: () => 1000 }), fakeCtx(), times(30, healthy({ 'charts/SPS': 300 })))).toEqual([]);
    expect(feed(new TrainingHints({ expectedStepsPerSecond: () => 1000 }), fakeCtx(), times(30, healthy({ 'charts/SPS': 100, 'time/elapsed_s': 29 })))).toEqual(
      [],
    );
    expect(feed(new TrainingHints({ expectedStepsPerSecond: () => undefined }), fakeCtx(), times(30, slow))).toEqual([]);
    // A new train() call restarts charts/SPS, so it waits for its own rows again.
    const g = fakeCtx();
    const hints = new TrainingHints({ expectedStepsPerSecond: () => 1000 });
    feed(hints, g, times(HINT_WARMUP_ROWS, healthy()));
    hints.onTrainStart();
    expect(feed(hints, g, times(CPU_SLOW_WARMUP_ROWS - 1, slow))).toEqual([]);
    expect(feed(hints, g, [slow]).map((x) => x.code)).toEqual(['cpu-slow']);
  });

  it("cpu-slow's default expectation is the CPU estimate of a device 'cpu' config", () => {
    // The nature network on 84×84 frames: ≈ 70 agent steps/s expected, so 10 is far below.
    const f = fakeCtx({ device: 'cpu' });
    const [h] = feed(new TrainingHints(), f, times(HINT_WARMUP_ROWS, healthy({ 'charts/SPS': 10 })));
    expect(h!.code).toBe('cpu-slow');
    expect(h!.expected_sps).toBeGreaterThan(40);
    expect(h!.expected_sps).toBeLessThan(120);
    expect(feed(new TrainingHints(), fakeCtx({ device: 'auto' }), times(30, healthy({ 'charts/SPS': 10 })))).toEqual([]);
  });

  it('state round-trips through JSON: fired hints are not repeated, streaks continue', () => {
    const f = fakeCtx();
    const a = new TrainingHints();
    const swamp = healthy({ 'losses/value_loss': 800, 'losses/policy_loss': 0.05 });
    const evBad = { 'losses/explained_variance': -1 };
    expect(feed(a, f, times(HINT_WARMUP_ROWS, swamp)).map((h) => h.code)).toEqual(['value-swamps-policy']);
    expect(feed(a, f, times(EXPLAINED_VARIANCE_ROWS - HINT_WARMUP_ROWS - 1, { ...swamp, ...evBad }))).toEqual([]);
    const saved = JSON.parse(JSON.stringify(a.state())) as unknown;
    expect(saved).toEqual({
      rows: EXPLAINED_VARIANCE_ROWS - 1,
      fired: ['value-swamps-policy'],
      streaks: { 'explained-variance': EXPLAINED_VARIANCE_ROWS - HINT_WARMUP_ROWS - 1 },
    });
    const b = new TrainingHints();
    b.restore(saved);
    expect([...b.fired]).toEqual(['value-swamps-policy']);
    expect(b.state()).toEqual(saved);
    // The swamp is not said again; the explained-variance streak goes on from where it was.
    const left = EXPLAINED_VARIANCE_ROWS - (EXPLAINED_VARIANCE_ROWS - HINT_WARMUP_ROWS - 1);
    expect(feed(b, f, times(left - 1, { ...swamp, ...evBad }))).toEqual([]);
    expect(feed(b, f, [{ ...swamp, ...evBad }]).map((h) => h.code)).toEqual(['explained-variance']);
    // A fresh object without the state would say the swamp again.
    expect(feed(new TrainingHints(), f, times(HINT_WARMUP_ROWS, swamp)).map((h) => h.code)).toEqual(['value-swamps-policy']);
    // Codes a later version dropped are ignored; malformed state is refused naming the field.
    const d = new TrainingHints();
    d.restore({ rows: 3, fired: ['no-such-hint', 'cpu-slow'], streaks: { gone: 2 } });
    expect(d.state()).toEqual({ rows: 3, fired: ['cpu-slow'], streaks: {} });
    expect(() => d.restore({ rows: -1, fired: [], streaks: {} })).toThrow(/hints state rows/);
    expect(() => d.restore({ rows: 0, fired: 'x', streaks: {} })).toThrow(/hints state fired/);
    expect(() => d.restore({ rows: 0, fired: [], streaks: { 'cpu-slow': 1.5 } })).toThrow(/hints state streaks\.cpu-slow/);
  });

  it('checks its options', () => {
    expect(() => new TrainingHints({ file: '' })).toThrow(/Expected a non-empty path for file/);
    expect(() => new TrainingHints({ bogus: 1 } as TrainingHintsOptions)).toThrow(/Unknown option 'bogus'/);
    expect(() => new TrainingHints({ expectedStepsPerSecond: 5 as unknown as () => number })).toThrow(/a function/);
    const file = join(dir, 'elsewhere', 'h.jsonl');
    const f = fakeCtx();
    feed(new TrainingHints({ file }), f, times(HINT_WARMUP_ROWS, healthy({ 'losses/value_loss': 800 })));
    expect(fileRows(file).map((h) => h.code)).toEqual(['value-swamps-policy']);
    expect(existsSync(hintsFile())).toBe(false);
  });
});

describe('TrainingHints in a Trainer run', () => {
  // Rewards × 10 on the built-in game (up to ±150 per step) with γ 0.99: value targets in the
  // thousands, a value loss far above the policy loss from the first update.
  const swamping = (runDir: string, extra: TrainerConfigInput = {}): TrainerConfigInput => ({
    network: 'tiles-mlp',
    device: 'cpu',
    threads: 1,
    overlap: false,
    runDir,
    seed: 1,
    env: { game: 'runner', obs: 'tiles', actions: 'right-only', frameSkip: 8, maxEpisodeSteps: 200, rewardScale: 10 },
    ppo: { numEnvs: 4, numSteps: 32, epochs: 2, minibatches: 2, gamma: 0.99 },
    checkpoint: { interval: 0 },
    log: { heartbeatSeconds: 0, tensorboard: false, progress: 'off' },
    ...extra,
  });
  const STEPS = 16 * 128;

  it('writes value-swamps-policy once to hints.jsonl and the console, and not again after a resume', async () => {
    const runDir = join(dir, 'swamp');
    const warnings: string[] = [];
    const summary = await run(swamping(runDir), STEPS, { onWarning: (m) => warnings.push(m) });
    const rows = fileRows(join(runDir, 'hints.jsonl'));
    const swamp = rows.filter((r) => r.code === 'value-swamps-policy');
    expect(swamp.length, JSON.stringify(rows)).toBe(1);
    expect(swamp[0]!.update).toBe(HINT_WARMUP_ROWS);
    expect(swamp[0]!.global_step).toBe(HINT_WARMUP_ROWS * 128);
    expect(swamp[0]!.value_loss).toBeGreaterThan(100);
    expect(swamp[0]!.ratio).toBeGreaterThan(50);
    expect(swamp[0]).toMatchObject({ gamma: 0.99, reward_scale: 10, vf_coef: 0.5, max_grad_norm: 0.5 });
    expect(warnings.filter((m) => m.startsWith('hint value-swamps-policy: '))).toEqual([`hint value-swamps-policy: ${swamp[0]!.message}`]);
    const state = readCheckpoint(summary.latestCheckpoint).header.callbacks as { hints: { fired: string[]; rows: number } };
    expect(state.hints.fired).toContain('value-swamps-policy');
    expect(state.hints.rows).toBe(16);
    // Resumed, the run goes on swamping but says nothing again.
    const again: string[] = [];
    await run(swamping(runDir, { resume: 'latest' }), STEPS + 4 * 128, { onWarning: (m) => again.push(m) });
    expect(fileRows(join(runDir, 'hints.jsonl')).filter((r) => r.code === 'value-swamps-policy').length).toBe(1);
    expect(again.filter((m) => m.startsWith('hint value-swamps-policy'))).toEqual([]);
  });

  it('hints.enabled false writes nothing', async () => {
    const runDir = join(dir, 'off');
    const warnings: string[] = [];
    const summary = await run(swamping(runDir, { hints: { enabled: false } }), STEPS, { onWarning: (m) => warnings.push(m) });
    expect(existsSync(join(runDir, 'hints.jsonl'))).toBe(false);
    expect(warnings.filter((m) => m.startsWith('hint '))).toEqual([]);
    expect(readCheckpoint(summary.latestCheckpoint).header.callbacks).toBeUndefined();
  });
});
