/**
 * The whole-game machinery on the built-in game (no ROM needed): stage lists, eval probes
 * (evals.jsonl, best.ckpt), the gated curriculum (curriculum.jsonl, resume), the start-state queue
 * (metrics, checkpoint sections, files), the exploration bonus, per-episode reward components, and
 * the bad-input errors.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { readCheckpoint } from '../../src/run/checkpoint-store.js';
import { type CallbackContext, type ProbeResult, type ProbeStageResult } from '../../src/train/callbacks.js';
import { resolveConfig, type TrainerConfigInput, validateConfig } from '../../src/train/config.js';
import { AdaptiveSchedules } from '../../src/train/adaptive.js';
import { Curriculum } from '../../src/train/curriculum.js';
import { checkStageConfig } from '../../src/train/env-options.js';
import { type CollectedEpisode } from '../../src/train/evaluation.js';
import { type StepResult } from '../../src/env/vec-env.js';
import { probeScore, summarizeProbe } from '../../src/train/probes.js';
import { parseStageList, SMB1_STAGES } from '../../src/train/stages.js';
import { cellKey, decodeCounts, encodeCounts, ExplorationBonus } from '../../src/train/novelty.js';
import { decodeStartStates, encodeStartStates, StartStateQueue } from '../../src/train/start-states.js';
import { Trainer } from '../../src/train/trainer.js';
import { rows, tinyStages } from './trainer-helpers.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mario-rl-whole-game-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const tiny = tinyStages;

const jsonl = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

async function train(config: TrainerConfigInput, totalSteps: number, warnings: string[] = []) {
  const t = new Trainer(config, { handleSignals: false, onWarning: (m) => warnings.push(m) });
  try {
    return await t.train({ totalSteps });
  } finally {
    await t.close();
  }
}

describe('stage lists', () => {
  it('parses all, lists, weights and the built-in game’s short names', () => {
    expect(parseStageList('all', 'smb1', 'env.stages').names).toEqual(SMB1_STAGES);
    expect(parseStageList('all', 'runner', 'env.stages').names).toEqual(['1-1', '1-2', '1-3']);
    expect(parseStageList('1-1, 4-4:2.5', 'smb1', 'env.stages')).toEqual({ names: ['1-1', '4-4'], weights: [1, 2.5] });
    expect(parseStageList('1,3', 'runner', 'env.stages').names).toEqual(['1-1', '1-3']);
  });

  it.each([
    ['9-1', 'smb1', /for env.stages but received '9-1'/],
    ['1-4', 'runner', /'1-1' … '1-3'.*for env.stages but received '1-4'/],
    ['1-1,1-1', 'smb1', /each stage once for env.stages/],
    ['1-1:0', 'smb1', /weight > 0 for env.stages but received '1-1:0'/],
    ['1-1:x', 'smb1', /weight > 0/],
    ['1-1:', 'smb1', /weight > 0/],
    [' ', 'smb1', /'all' or a comma list/],
  ] as const)('rejects %j for %s', (spec, game, message) => {
    expect(() => parseStageList(spec, game, 'env.stages')).toThrow(message);
  });

  it('config errors name the flag, before anything starts', () => {
    const check = (input: TrainerConfigInput) => () => new Trainer(validateConfig(input), { handleSignals: false });
    expect(check({ env: { game: 'runner', stages: '1-9' } })).toThrow(/env.stages/);
    expect(check({ env: { game: 'runner' }, curriculum: { stages: '1-1,1-2' } })).toThrow(/eval.episodes > 0 with curriculum.stages/);
    expect(check({ env: { game: 'runner', stages: '1-1' }, eval: { episodes: 4 }, curriculum: { stages: '1-1,1-2' } })).toThrow(
      /'' for env.stages with curriculum.stages/,
    );
    expect(check({ env: { game: 'runner' }, eval: { episodes: 4, stages: 'x' } })).toThrow(/eval.stages/);
    expect(check({ env: { game: 'runner' }, eval: { record: true } })).toThrow(/eval.episodes > 0 with eval.record/);
    expect(() => resolveConfig({ argv: ['--eval.interval', '0'] })).toThrow(/--eval.interval/);
    expect(() => resolveConfig({ argv: ['--curriculum.flag-rate', '1.5'] })).toThrow(/--curriculum.flag-rate/);
    expect(() => resolveConfig({ argv: ['--curriculum.progress-p10', '-0.1'] })).toThrow(/--curriculum.progress-p10/);
    expect(() => resolveConfig({ argv: ['--start-states.share', '2'] })).toThrow(/--start-states.share/);
    expect(() => checkStageConfig(validateConfig({ env: { game: 'smb1', stages: '1-1,1-2' } }))).not.toThrow();
  });
});

describe('eval probes', () => {
  const ep = (maxX: number, flag: boolean, length = 100, endX = maxX): CollectedEpisode => ({ return: maxX / 10, length, maxX, flag, endX, terminated: true });

  it('summarizes a stage: flag rate, max-x quantiles, early deaths and the death histogram', () => {
    const config = validateConfig({ eval: { earlySteps: 20, deathBinWidth: 100 } });
    const s = summarizeProbe('1-1', [ep(50, false, 10), ep(150, false, 30, 140), ep(250, false), ep(1000, true)], 1000, config);
    expect(s.flagRate).toBe(0.25);
    expect(s.maxXMin).toBe(50);
    expect(s.maxXMean).toBe(362.5);
    expect(s.maxXP50).toBe(200);
    expect(s.maxXP10).toBeCloseTo(80);
    expect(s.earlyDeathRate).toBe(0.25);
    expect(s.deathXHist).toEqual({ binWidth: 100, counts: [1, 1, 1] });
    expect(probeScore([s, { ...s, flagRate: 1 }])).toBeCloseTo(1.25 + 362.5 / 1e7, 9);
  });

  it('writes evals.jsonl rows and best.ckpt, which resume never picks', async () => {
    const config = tiny(dir, { eval: { episodes: 4, interval: 1, seeds: 2, numEnvs: 2, noopMax: 10 }, env: { stages: '1-1,1-2' } });
    await train(config, 4 * 128);
    const evals = jsonl(join(dir, 'evals.jsonl'));
    expect(evals).toHaveLength(8); // 4 updates × 2 stages
    expect(evals.map((r) => r.stage)).toEqual(['1-1', '1-2', '1-1', '1-2', '1-1', '1-2', '1-1', '1-2']);
    for (const r of evals) {
      expect(Object.keys(r).sort()).toEqual(
        [
          'global_step',
          'probe',
          'stage',
          'episodes',
          'flag_rate',
          'max_x_mean',
          'max_x_min',
          'max_x_p10',
          'max_x_p50',
          'return_mean',
          'early_death_rate',
          'death_x_hist',
          'length',
          'score',
        ].sort(),
      );
      expect(r.episodes).toBe(4);
    }
    const metrics = rows(dir);
    expect(metrics.some((r) => typeof r['eval/1-2/flag_rate'] === 'number')).toBe(true);
    expect(metrics.some((r) => typeof r['stages/1-1/flag_rate'] === 'number')).toBe(true);
    expect(typeof metrics.at(-1)!['rewards/distance']).toBe('number');
    const best = join(dir, 'checkpoints', 'best.ckpt');
    expect(existsSync(best)).toBe(true);
    // Resume picks latest, not best (even when best is newer than a periodic checkpoint).
    const t = new Trainer({ ...config, resume: 'latest' }, { handleSignals: false, onWarning: () => {} });
    try {
      const s = await t.train({ totalSteps: 5 * 128 });
      expect(s.resumedFrom).toMatch(/latest\.ckpt$/);
    } finally {
      await t.close();
    }
  }, 120_000);

  it('eval.record writes the best and the worst probe episode of each stage as GIFs; evaluate() takes a stage', async () => {
    const config = tiny(dir, { eval: { episodes: 3, interval: 2, numEnvs: 2, record: true }, env: { stages: '1-1,1-2' } });
    const t = new Trainer(config, { handleSignals: false, onWarning: () => {} });
    try {
      await t.train({ totalSteps: 2 * 128 });
      const gifs = readdirSync(join(dir, 'media')).sort();
      expect(gifs).toEqual([
        'probe-0000000256-1-1-best.gif',
        'probe-0000000256-1-1-worst.gif',
        'probe-0000000256-1-2-best.gif',
        'probe-0000000256-1-2-worst.gif',
      ]);
      const gif = readFileSync(join(dir, 'media', gifs[0]!));
      expect(gif.subarray(0, 6).toString('latin1')).toBe('GIF89a');
      expect(gif.readUInt16LE(6)).toBeGreaterThan(256); // the frame with the tile grid the agent saw beside it
      const r = await t.evaluate({ episodes: 2, stage: '1-2' });
      expect(r.episodes).toHaveLength(2);
      await expect(t.evaluate({ episodes: 2, stage: '1-4' })).rejects.toThrow(/for stage but received '1-4'/);
    } finally {
      await t.close();
    }
  }, 120_000);

  it('probes are the same for the same seed, and do not disturb training', async () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    await train(tiny(a, { eval: { episodes: 2, interval: 2, numEnvs: 2 } }), 4 * 128);
    await train(tiny(b), 4 * 128);
    await train(tiny(join(dir, 'a2'), { eval: { episodes: 2, interval: 2, numEnvs: 2 } }), 4 * 128);
    const strip = (rs: Record<string, unknown>[]) =>
      rs.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !/SPS|^time\/|^perf\/|^eval\//.test(k))));
    expect(strip(rows(a))).toEqual(strip(rows(b)));
    expect(readFileSync(join(a, 'evals.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'a2', 'evals.jsonl'), 'utf8'));
  }, 120_000);
});

describe('curriculum', () => {
  const stage = (name: string, flagRate: number, maxXP10: number, length: number): ProbeStageResult => ({
    stage: name,
    episodes: 20,
    flagRate,
    maxXMean: maxXP10,
    maxXMin: 0,
    maxXP10,
    maxXP50: maxXP10,
    returnMean: 0,
    earlyDeathRate: 0,
    deathXHist: { binWidth: 256, counts: [] },
    length,
  });
  function fakeCtx(runDir: string) {
    const weights: number[][] = [];
    const stops: string[] = [];
    const ctx = {
      config: validateConfig({ runDir }),
      env: { setStageWeights: (w: number[]) => weights.push(w) },
      record: () => {},
      warn: () => {},
      requestStop: (why: string) => stops.push(why),
    } as unknown as CallbackContext;
    return { ctx, weights, stops };
  }
  const probe = (step: number, ...stages: ProbeStageResult[]): ProbeResult => ({ globalStep: step, stages, score: 0 });

  it('promotes after k passes in a row on ratio gates, mixes passed stages, and ends with done', () => {
    const config = validateConfig({
      runDir: dir,
      env: { game: 'runner' },
      eval: { episodes: 20 },
      curriculum: { stages: '1-1,1-2,1-3', flagRate: 0.5, progressP10: 0.5, consecutive: 2, mixEarlier: 0.2 },
    });
    const c = new Curriculum(config);
    const { ctx, weights, stops } = fakeCtx(dir);
    c.onTrainStart(ctx);
    expect(weights.at(-1)).toEqual([1, 0, 0]);
    c.onProbe(ctx, probe(1, stage('1-1', 0.6, 600, 1000))); // pass 1
    c.onProbe(ctx, probe(2, stage('1-1', 0.6, 400, 1000))); // p10 only 40 % of the length: hold, streak reset
    c.onProbe(ctx, probe(3, stage('1-1', 0.5, 500, 1000))); // pass 1
    expect(c.index).toBe(0);
    c.onProbe(ctx, probe(4, stage('1-1', 0.9, 900, 1000))); // pass 2: promote
    expect(c.index).toBe(1);
    expect(c.probeStages()).toEqual(['1-1', '1-2']);
    expect(weights.at(-1)![0]).toBeCloseTo(0.2);
    expect(weights.at(-1)![1]).toBeCloseTo(0.8);
    expect(weights.at(-1)![2]).toBe(0);
    c.onProbe(ctx, probe(5, stage('1-1', 1, 1000, 1000), stage('1-2', 0.5, 0, 0))); // no length measured yet: cannot pass
    expect(c.index).toBe(1);
    const saved = JSON.parse(JSON.stringify(c.state()));
    for (let i = 0; i < 2; i++) c.onProbe(ctx, probe(6 + i, stage('1-2', 1, 900, 900)));
    for (let i = 0; i < 2; i++) c.onProbe(ctx, probe(8 + i, stage('1-3', 1, 900, 900)));
    expect(c.done).toBe(true);
    expect(stops).toHaveLength(1);
    const log = jsonl(join(dir, 'curriculum.jsonl'));
    expect(log.map((r) => r.decision)).toEqual(['hold', 'hold', 'hold', 'promote', 'hold', 'hold', 'promote', 'hold', 'done']);
    expect(log[1]).toMatchObject({ stage: '1-1', flag_rate: 0.6, max_x_p10: 400, length: 1000, progress_p10: 0.4, streak: 0 });
    expect(log[3]).toMatchObject({ stage: '1-1', decision: 'promote', thresholds: { flag_rate: 0.5, progress_p10: 0.5, consecutive: 2 } });
    // A resumed curriculum continues where it was.
    const d = new Curriculum(config);
    d.restore(saved);
    expect(d.index).toBe(1);
  });

  it('never demotes unless configured; with demote, goes back to a stage that fell below half the gate', () => {
    const base = { runDir: dir, env: { game: 'runner' as const }, eval: { episodes: 20 } };
    for (const demote of [false, true]) {
      const c = new Curriculum(validateConfig({ ...base, curriculum: { stages: '1-1,1-2', consecutive: 1, demote } }));
      const { ctx } = fakeCtx(dir);
      c.onProbe(ctx, probe(1, stage('1-1', 1, 1000, 1000)));
      expect(c.index).toBe(1);
      c.onProbe(ctx, probe(2, stage('1-1', 0.1, 100, 1000), stage('1-2', 0, 0, 0)));
      expect(c.index).toBe(demote ? 0 : 1);
    }
  });
});

describe('start-state queue', () => {
  it('fills from deaths, starts a share of episodes from it, logs it, and keeps it in checkpoints', async () => {
    const config = tiny(dir, { startStates: { share: 0.5, capacity: 8, secondsBefore: 0.5 } });
    await train(config, 6 * 128);
    const metrics = rows(dir);
    const last = metrics.at(-1)!;
    expect(last['start_states/queue_len']).toBeGreaterThan(0);
    expect(last['start_states/1-1/queue_len']).toBe(last['start_states/queue_len']);
    expect(last['start_states/share']).toBe(0.5);
    const ratios = metrics.map((r) => r['start_states/override_ratio'] as number);
    expect(Math.max(...ratios)).toBeGreaterThan(0.2);
    expect(metrics.reduce((a, r) => a + (r['start_states/refills'] as number), 0)).toBeGreaterThan(0);
    const ckpt = readCheckpoint(join(dir, 'checkpoints', 'latest.ckpt'));
    const queue = decodeStartStates(ckpt.sections['cb.startStates.queue']!, 'test');
    expect(queue.get('1-1')!.length).toBe(last['start_states/queue_len']);
    const file = readFileSync(join(dir, 'start-states.bin'));
    expect(decodeStartStates(new Uint8Array(file), 'test').get('1-1')!.length).toBeLessThanOrEqual(8);
  }, 120_000);

  it('after a stall cut or a time-out death it queues a state from before the stall, not one already stuck', () => {
    // One lane driven by hand: x grows for 40 steps, then stands still. frameSkip 4 and
    // secondsBefore 1 make stepsBefore 15 and a save every 7 steps; the saved "state" is its step.
    const config = validateConfig(
      tiny(dir, { env: { frameSkip: 4, maxStallSteps: 30, maxEpisodeSteps: 0 }, startStates: { share: 0.5, capacity: 8, secondsBefore: 1 } }),
    );
    const run = (end: 'stall' | 'death' | 'flag') => {
      const q = new StartStateQueue(config);
      let step = 0;
      const ctx = { env: { numEnvs: 1, saveStates: () => [new Uint8Array([step])] } } as unknown as CallbackContext;
      q.onEnvReset(ctx);
      const r = {
        terminated: new Uint8Array(1),
        truncated: new Uint8Array(1),
        info: { xPos: new Int32Array(1), stage: new Int32Array([1]), world: new Int32Array([1]) },
        finalInfo: { stage: new Int32Array([1]), world: new Int32Array([1]) },
        episode: { flag: new Uint8Array(1) },
      };
      for (step = 1; step < 70; step++) {
        r.info.xPos[0] = Math.min(step, 40) * 10;
        q.onStep(ctx, r as unknown as StepResult);
      }
      if (end === 'stall') r.truncated[0] = 1;
      else r.terminated[0] = 1;
      r.episode.flag[0] = end === 'flag' ? 1 : 0;
      q.onStep(ctx, r as unknown as StepResult);
      return decodeStartStates(q.sections().queue!, 'test')
        .get('1-1')!
        .map((s) => s[0]);
    };
    // Last progress at step 40: the newest save ≥ 15 steps before it is step 21 (saves at 7, 14, 21, …).
    expect(run('stall')).toEqual([21]);
    expect(run('death')).toEqual([21]); // e.g. the clock ran out at the wall
    expect(run('flag')).toEqual([]);
  });

  it("with keepFile the file's states stay for the whole run beside a full queue, in checkpoints and in start-states.bin", () => {
    const file = join(dir, 'kept.bin');
    writeFileSync(file, encodeStartStates(new Map([['1-1', [new Uint8Array([201]), new Uint8Array([202]), new Uint8Array([203])]]])));
    const config = validateConfig(
      tiny(dir, {
        env: { frameSkip: 4, maxStallSteps: 0, maxEpisodeSteps: 0 },
        startStates: { share: 0.5, capacity: 2, secondsBefore: 1, file, keepFile: true },
      }),
    );
    let step = 0;
    let handed: number[] = [];
    const recorded: Record<string, number> = {};
    const ctx = {
      config,
      env: {
        numEnvs: 1,
        saveStates: () => [new Uint8Array([step])],
        stageWeights: () => [1],
        setStartStates: (states: Uint8Array[]) => (handed = states.map((s) => s[0]!)),
        clearStartStates: () => (handed = []),
        startStats: () => ({ resets: 4, fromStartStates: 2 }),
      },
      record: (k: string, v: number) => (recorded[k] = v),
    } as unknown as CallbackContext;
    const q = new StartStateQueue(config);
    q.onEnvReset(ctx);
    q.onTrainStart(ctx);
    expect(handed).toEqual([201, 202, 203]);
    const r = {
      terminated: new Uint8Array(1),
      truncated: new Uint8Array(1),
      info: { xPos: new Int32Array(1), stage: new Int32Array([1]), world: new Int32Array([1]) },
      finalInfo: { stage: new Int32Array([1]), world: new Int32Array([1]) },
      episode: { flag: new Uint8Array(1) },
    };
    // Five deaths after 40 steps each: the queue (capacity 2) keeps the last two, the kept three stay.
    for (let death = 0; death < 5; death++) {
      for (step = 1; step < 40; step++) {
        r.info.xPos[0] = step * 10 + death;
        r.terminated[0] = 0;
        q.onStep(ctx, r as unknown as StepResult);
      }
      r.terminated[0] = 1;
      q.onStep(ctx, r as unknown as StepResult);
    }
    q.onRolloutEnd(ctx);
    expect(handed.slice(0, 3)).toEqual([201, 202, 203]);
    expect(handed).toHaveLength(5);
    expect(recorded['start_states/kept']).toBe(3);
    expect(recorded['start_states/queue_len']).toBe(5);
    expect(recorded['start_states/1-1/queue_len']).toBe(5);
    const sections = q.sections();
    expect(
      decodeStartStates(sections.kept!, 'test')
        .get('1-1')!
        .map((s) => s[0]),
    ).toEqual([201, 202, 203]);
    expect(decodeStartStates(sections.queue!, 'test').get('1-1')).toHaveLength(2);
    // A resumed queue restores both from the checkpoint sections.
    const resumed = new StartStateQueue(config);
    resumed.restoreSections(sections);
    expect(resumed.queueLengths()).toEqual({ '1-1': 5 });
    q.onTrainEnd(ctx);
    const written = decodeStartStates(new Uint8Array(readFileSync(join(dir, 'start-states.bin'))), 'test').get('1-1')!;
    expect(written.map((s) => s[0]).slice(0, 3)).toEqual([201, 202, 203]);
    expect(written).toHaveLength(5);
    // keepFile needs a file and a share.
    expect(() => new Trainer(validateConfig(tiny(dir, { startStates: { share: 0.5, keepFile: true } })))).toThrow(
      /Expected false for startStates.keepFile without startStates.file/,
    );
    expect(() => new Trainer(validateConfig(tiny(dir, { startStates: { share: 0, file, keepFile: true } })))).toThrow(
      /startStates.keepFile without startStates.share > 0/,
    );
  });

  it('a start-state file seeds the queue; a broken or foreign one fails with the flag named', async () => {
    expect(() => decodeStartStates(new Uint8Array(20), 'startStates.file x')).toThrow(/for startStates.file x but its magic is wrong/);
    const bytes = encodeStartStates(new Map([['1-1', [new Uint8Array([1, 2, 3])]]]));
    expect(decodeStartStates(bytes, 'x').get('1-1')).toEqual([new Uint8Array([1, 2, 3])]);
    expect(() => decodeStartStates(bytes.subarray(0, bytes.length - 1), 'x')).toThrow(/truncated/);
    const bad = join(dir, 'bad.bin');
    writeFileSync(bad, bytes); // a 3-byte "state": not a console state of this ROM
    await expect(train(tiny(join(dir, 'r'), { startStates: { share: 0.5, file: bad } }), 128)).rejects.toThrow(
      /startStates.file .*bad.bin.*Invalid save state/,
    );
    writeFileSync(bad, encodeStartStates(new Map([['1-3', []]])));
    expect(() => new Trainer(validateConfig(tiny(join(dir, 'r'), { startStates: { share: 0.5, file: bad } })))).toThrow(/states of the run's stages \(1-1\)/);
    expect(() => new Trainer(validateConfig(tiny(join(dir, 'r'), { startStates: { share: 0.5, file: join(dir, 'none.bin') } })))).toThrow(
      /Cannot read startStates.file/,
    );
  }, 60_000);
});

describe('exploration bonus', () => {
  it('adds bonus/√visits of the stage/x/y cell to each step, none on a step that ends an episode, and logs it', () => {
    const bonus = new ExplorationBonus(validateConfig(tiny(dir, { explore: { bonus: 0.5, cellPx: 16 } })));
    const recorded: Record<string, unknown> = {};
    const ctx = { record: (k: string, v: unknown) => (recorded[k] = v) } as unknown as CallbackContext;
    const step = (x: number[], y: number[], done: number[] = [0, 0], stage = 1) =>
      ({
        reward: new Float32Array([1, 1]),
        terminated: new Uint8Array(done),
        truncated: new Uint8Array(2),
        info: { xPos: new Int32Array(x), yPos: new Int32Array(y), stage: new Int32Array([stage, stage]), world: new Int32Array([1, 1]) },
      }) as unknown as StepResult;
    // Lanes 0 and 1 in the same cell (x 0…15, y 16…31): first visit 0.5, second 0.5/√2, in lane order.
    let r = step([3, 15], [20, 31]);
    bonus.onStep(ctx, r);
    expect(r.reward[0]).toBeCloseTo(1.5, 6);
    expect(r.reward[1]).toBeCloseTo(1 + 0.5 / Math.SQRT2, 6);
    // A new cell pays 0.5 again; the old one its third visit; lane 1 ends its episode: nothing.
    r = step([16, 0], [20, 16], [0, 1]);
    bonus.onStep(ctx, r);
    expect(r.reward[0]).toBeCloseTo(1.5, 6);
    expect(r.reward[1]).toBe(1);
    expect(bonus.visits(1, 1, 5, 20)).toBe(2);
    expect(bonus.cells).toBe(2);
    // Another stage's same x/y is another cell.
    r = step([3, 3], [20, 20], [0, 0], 2);
    bonus.onStep(ctx, r);
    expect(r.reward[0]).toBeCloseTo(1.5, 6);
    expect(bonus.cells).toBe(3);
    bonus.onRolloutEnd(ctx);
    const paid = 0.5 + 0.5 / Math.SQRT2 + 0.5 + 0.5 + 0.5 / Math.SQRT2;
    expect(recorded['explore/bonus_mean']).toBeCloseTo(paid / 6, 6);
    expect(recorded['explore/cells']).toBe(3);
    expect(recorded['explore/new_cells']).toBe(3);
    // The counts round-trip through a checkpoint section; a broken one is refused with its name.
    const copy = new ExplorationBonus(validateConfig(tiny(dir, { explore: { bonus: 0.5 } })));
    copy.restoreSections(bonus.sections());
    expect(copy.visits(1, 1, 5, 20)).toBe(2);
    expect(copy.cells).toBe(3);
    expect(() => decodeCounts(new Uint8Array(12), 'cb.explore.counts')).toThrow(/for cb\.explore\.counts but received 12 bytes/);
    expect(() => decodeCounts(encodeCounts(new Map([[1, 0]])), 'x')).toThrow(/counts ≥ 1/);
    expect(cellKey(1, 1, -5, 1e9, 16)).toBe(cellKey(1, 1, 0, 65_535 * 16, 16)); // clamped, not wrapped
  });

  it('explore.stages limits the bonus to the listed stages and scales it per stage; bad lists fail naming the flag', () => {
    const bonus = new ExplorationBonus(validateConfig(tiny(dir, { env: { stages: '1-1,1-2,1-3' }, explore: { bonus: 0.5, stages: '1-2,1-3:3' } })));
    const ctx = { record: () => {} } as unknown as CallbackContext;
    const r = {
      reward: new Float32Array([1, 1, 1]),
      terminated: new Uint8Array(3),
      truncated: new Uint8Array(3),
      info: { xPos: new Int32Array([8, 8, 8]), yPos: new Int32Array([8, 8, 8]), stage: new Int32Array([1, 2, 3]), world: new Int32Array([1, 1, 1]) },
    } as unknown as StepResult;
    bonus.onStep(ctx, r);
    expect(r.reward[0]).toBe(1); // 1-1 is not listed: no bonus, no visit counted
    expect(r.reward[1]).toBeCloseTo(1.5, 6);
    expect(r.reward[2]).toBeCloseTo(2.5, 6);
    expect(bonus.visits(1, 1, 8, 8)).toBe(0);
    expect(bonus.cells).toBe(2);
    expect(() => new Trainer(validateConfig(tiny(dir, { env: { stages: '1-1,1-2' }, explore: { bonus: 0.5, stages: '1-9' } })))).toThrow(
      /for explore\.stages but received '1-9'/,
    );
    expect(() => new Trainer(validateConfig(tiny(dir, { explore: { bonus: 0.5, stages: '1-2:0' } })))).toThrow(/weight > 0 for explore\.stages/);
  });

  it('trains with the bonus: rows carry explore/*, the counts travel in checkpoints and a resume continues them', async () => {
    const config = tiny(dir, { explore: { bonus: 0.2 } });
    await train(config, 4 * 128);
    const first = rows(dir);
    const last = first.at(-1)!;
    expect(last['explore/cells']).toBeGreaterThan(0);
    expect(first.every((r) => (r['explore/bonus_mean'] as number) > 0)).toBe(true);
    const ckpt = readCheckpoint(join(dir, 'checkpoints', 'latest.ckpt'));
    expect(decodeCounts(ckpt.sections['cb.explore.counts']!, 'test').size).toBe(last['explore/cells']);
    await train({ ...config, resume: 'latest' }, 6 * 128);
    const resumed = rows(dir).slice(first.length);
    expect(resumed.length).toBeGreaterThan(0);
    expect(resumed[0]!['explore/cells']).toBeGreaterThanOrEqual(last['explore/cells'] as number);
    expect(() => validateConfig(tiny(dir, { explore: { bonus: -1 } }))).toThrow(/explore\.bonus/);
    expect(() => validateConfig(tiny(dir, { explore: { cellPx: 0 } }))).toThrow(/explore\.cellPx/);
  }, 120_000);
});

describe('adaptive schedules', () => {
  const stageRow = (name: string, maxXP50: number): ProbeStageResult => ({
    stage: name,
    episodes: 20,
    flagRate: 0,
    maxXMean: maxXP50,
    maxXMin: 0,
    maxXP10: 0,
    maxXP50,
    returnMean: 0,
    earlyDeathRate: 0,
    deathXHist: { binWidth: 256, counts: [] },
    length: 0,
  });

  it('raises entropy and lowers the lr scale after `patience` flat probes, within bounds and a cooldown, and steps back after a rise', () => {
    const config = validateConfig({
      runDir: dir,
      ppo: { entCoef: 0.01 },
      eval: { episodes: 10 },
      adaptive: { patience: 2, cooldown: 2, minDelta: 10, entFactor: 2, entCoefMax: 0.03, lrFactor: 0.5, lrScaleMin: 0.3 },
    });
    const a = new AdaptiveSchedules(config);
    const controls = { lrScale: 1, entCoef: undefined as number | undefined };
    const ctx = { config, controls, record: () => {}, warn: () => {} } as unknown as CallbackContext;
    const probe = (x: number) => a.onProbe(ctx, { globalStep: 0, stages: [stageRow('1-1', x)], score: 0 });
    probe(100); // first probe of the stage: a rise
    probe(105); // flat 1
    expect(controls.entCoef).toBe(0.01);
    probe(105); // flat 2: act
    expect(controls.entCoef).toBe(0.02);
    expect(controls.lrScale).toBe(0.5);
    probe(105); // flat 3, cooldown
    expect(controls.entCoef).toBe(0.02);
    probe(105); // flat 4: act again, capped
    expect(controls.entCoef).toBe(0.03);
    expect(controls.lrScale).toBe(0.3);
    probe(200); // a rise: one step back
    expect(controls.entCoef).toBe(0.015);
    expect(controls.lrScale).toBeCloseTo(0.6);
    const rowsLogged = jsonl(join(dir, 'adaptive.jsonl'));
    expect(rowsLogged.map((r) => r.ent_coef)).toEqual([0.02, 0.03, 0.015]);
    const b = new AdaptiveSchedules(config);
    b.restore(JSON.parse(JSON.stringify(a.state())));
    const c2 = { lrScale: 1, entCoef: undefined as number | undefined };
    b.onTrainStart({ ...ctx, controls: c2 } as unknown as CallbackContext);
    expect(c2).toEqual({ lrScale: controls.lrScale, entCoef: 0.015 });
  });

  it('needs probes', () => {
    expect(() => new Trainer(validateConfig({ env: { game: 'runner' }, adaptive: { patience: 3 } }))).toThrow(/eval.episodes > 0 with adaptive.patience/);
  });
});

describe('machine.json', () => {
  it('a run records the machine and versions it started on', async () => {
    await train(tiny(dir), 128);
    const m = JSON.parse(readFileSync(join(dir, 'machine.json'), 'utf8')) as Record<string, unknown>;
    expect(m.cores).toBeGreaterThan(0);
    expect(typeof m.cpu).toBe('string');
    expect(m.node).toBe(process.version);
    expect(m.device).toBe('cpu');
    expect(m.marioRl).toMatch(/^\d+\.\d+\.\d+/);
  }, 60_000);
});
