/**
 * Eval probes during training (config `eval.*`): every `eval.interval` metrics rows, the policy
 * plays `eval.episodes` episodes on each probed stage, on separate VecEnvs (the training env's
 * lanes are not disturbed), spread over `eval.seeds` seeds with random no-op starts. Per stage it
 * measures the flag rate, the mean / min / p10 / p50 of max x, the mean return, the share of early
 * deaths and a histogram of where episodes die, and writes
 *
 *   RUN/evals.jsonl      one row per probe and stage
 *   TensorBoard          `eval/<stage>/*` scalars (in the next metrics row) and `eval/<stage>/death_x` histograms
 *   checkpoints/best.ckpt the state at the best probe so far (score: sum of flag rates, ties by max x)
 *   RUN/media/           with `eval.record`, the best and the worst episode of each stage as GIFs
 *
 * then hands the result to every callback's `onProbe` (the curriculum's gate, adaptive schedules).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { toBytes } from '../bytes.js';
import { VecEnv } from '../env/vec-env.js';
import { loadRunnerRom } from '../games/runner.js';
import { quantileSorted } from '../run/metrics.js';
import { appendRunFile } from '../run/run-dir.js';
import { Rng } from '../util/rng.js';
import { type CallbackContext, type ProbeResult, type ProbeStageResult, type TrainerCallback } from './callbacks.js';
import { type TrainerConfig } from './config.js';
import { vecEnvOptions } from './env-options.js';
import { type CollectedEpisode, collectEpisodes, evaluationEnvOptions, type RecordedEpisode } from './evaluation.js';
import { episodeToGif } from './media.js';

/** State kept across a resume. */
interface ProbeState {
  rows: number;
  probes: number;
  best: number | null;
  lengths: Record<string, number>;
}

/** The seed of probe env resets for seed index `k` (the same every probe: probes are compared on the same starts). */
export function probeSeed(config: TrainerConfig, k: number): number {
  return (config.seed * 7919 + 3_000_017 + k * 104_729) % 2 ** 32;
}

/** Measures one stage's episodes (`length` is the stage's length as measured so far). */
export function summarizeProbe(stage: string, episodes: CollectedEpisode[], length: number, config: TrainerConfig): ProbeStageResult {
  const n = episodes.length;
  const maxX = Float64Array.from(episodes, (e) => e.maxX).sort();
  const flags = episodes.filter((e) => e.flag).length;
  const deaths = episodes.filter((e) => !e.flag && e.terminated);
  const bin = config.eval.deathBinWidth;
  const counts: number[] = [];
  for (const e of deaths) {
    const b = Math.max(0, Math.floor(e.endX / bin));
    while (counts.length <= b) counts.push(0);
    counts[b]!++;
  }
  let ret = 0;
  for (const e of episodes) ret += e.return;
  return {
    stage,
    episodes: n,
    flagRate: flags / n,
    maxXMean: maxX.reduce((a, b) => a + b, 0) / n,
    maxXMin: maxX[0] ?? 0,
    maxXP10: quantileSorted(maxX, 0.1),
    maxXP50: quantileSorted(maxX, 0.5),
    returnMean: ret / n,
    earlyDeathRate: episodes.filter((e) => !e.flag && e.length <= config.eval.earlySteps).length / n,
    deathXHist: { binWidth: bin, counts },
    length,
  };
}

/** A probe's score: the sum of the stages' flag rates, ties broken by their mean max x (scaled far below one flag). */
export function probeScore(stages: readonly ProbeStageResult[]): number {
  let flags = 0;
  let x = 0;
  for (const s of stages) {
    flags += s.flagRate;
    x += s.maxXMean;
  }
  return flags + (stages.length ? x / stages.length / 1e7 : 0);
}

/** The eval probes (see the file comment); registered by the Trainer when `eval.episodes` > 0. */
export class EvalProbes implements TrainerCallback {
  readonly name = 'evalProbes';
  readonly #config: TrainerConfig;
  readonly #rom: Uint8Array | undefined;
  readonly #stages: () => string[];
  readonly #envs = new Map<string, VecEnv>();
  #state: ProbeState = { rows: 0, probes: 0, best: null, lengths: {} };

  /**
   * @param config the validated config (`eval.*`)
   * @param stages the stages to probe now (a curriculum's change as it promotes)
   * @param rom the smb1 ROM bytes when the Trainer was given them
   */
  constructor(config: TrainerConfig, stages: () => string[], rom?: Uint8Array) {
    this.#config = config;
    this.#stages = stages;
    this.#rom = rom;
  }

  /** Probes run so far. */
  get probes(): number {
    return this.#state.probes;
  }

  async onUpdateEnd(ctx: CallbackContext): Promise<void> {
    this.#state.rows++;
    if (this.#state.rows % this.#config.eval.interval !== 0) return;
    await this.probe(ctx);
  }

  /** Runs one probe now, logs it and calls the callbacks' onProbe; returns the result. */
  async probe(ctx: CallbackContext): Promise<ProbeResult> {
    const c = this.#config;
    const e = c.eval;
    const probeNo = this.#state.probes++;
    const stages: ProbeStageResult[] = [];
    const recordings = new Map<string, { best?: RecordedEpisode; worst?: RecordedEpisode }>();
    for (const stage of this.#stages()) {
      const env = this.#env(stage);
      const episodes: CollectedEpisode[] = [];
      const kept: { best?: RecordedEpisode; worst?: RecordedEpisode } = {};
      const rank = (r: RecordedEpisode) => (r.flag ? 1e9 : 0) + r.maxX - r.length * 1e-6;
      for (let k = 0; k < e.seeds; k++) {
        const want = Math.floor(e.episodes / e.seeds) + (k < e.episodes % e.seeds ? 1 : 0);
        if (want === 0) continue;
        const seed = probeSeed(c, k);
        const rng = new Rng(seed, 1000 + probeNo);
        const got = await collectEpisodes(ctx.learner, env, {
          episodes: want,
          seed,
          deterministic: e.deterministic,
          rng,
          ...(e.record
            ? {
                rom: this.#romBytes(),
                frameSkip: c.env.frameSkip,
                ...(c.env.obs === 'tiles' ? { tiles: { game: c.env.game, rows: c.env.tileRows, cols: c.env.tileCols } } : {}),
                onRecorded: (_ep: CollectedEpisode, r: RecordedEpisode) => {
                  if (!kept.best || rank(r) > rank(kept.best)) kept.best = r;
                  if (!kept.worst || rank(r) < rank(kept.worst)) kept.worst = r;
                },
              }
            : {}),
        });
        episodes.push(...got);
      }
      for (const ep of episodes) if (ep.flag) this.#state.lengths[stage] = Math.max(this.#state.lengths[stage] ?? 0, ep.maxX);
      const s = summarizeProbe(stage, episodes, this.#state.lengths[stage] ?? 0, c);
      stages.push(s);
      if (e.record) recordings.set(stage, kept);
      const deathXs = episodes.filter((x) => !x.flag && x.terminated).map((x) => x.endX);
      if (deathXs.length) ctx.histogram(`eval/${stage}/death_x`, deathXs);
    }
    const result: ProbeResult = { globalStep: ctx.globalStep, stages, score: probeScore(stages) };
    this.#log(ctx, result, probeNo);
    if (e.record) this.#writeGifs(ctx, recordings, result.globalStep);
    if (this.#state.best === null || result.score > this.#state.best) {
      this.#state.best = result.score;
      ctx.saveCheckpoint('best');
    }
    await ctx.probeDone(result);
    return result;
  }

  #env(stage: string): VecEnv {
    let env = this.#envs.get(stage);
    if (!env) {
      const c = this.#config;
      const cfg = { ...c, env: { ...c.env, noopMax: c.eval.noopMax } };
      const lanes = Math.min(c.eval.numEnvs, Math.ceil(c.eval.episodes / c.eval.seeds));
      env = new VecEnv(evaluationEnvOptions(cfg, lanes, probeSeed(c, 0), this.#rom, [stage]));
      this.#envs.set(stage, env);
    }
    return env;
  }

  #romCache: Uint8Array | undefined;

  /** The game image, read once (smb1: env.rom or $MARIO_ROM; the built-in game's own), for recordings. */
  #romBytes(): Uint8Array {
    if (!this.#romCache) {
      const opts = vecEnvOptions(this.#config, 1, 0, this.#rom);
      this.#romCache = opts.rom === undefined ? loadRunnerRom() : toBytes(opts.rom, 'rom');
    }
    return this.#romCache;
  }

  #log(ctx: CallbackContext, result: ProbeResult, probeNo: number): void {
    const dir = ctx.config.runDir;
    mkdirSync(dir, { recursive: true });
    const lines = result.stages.map((s) =>
      JSON.stringify({
        global_step: result.globalStep,
        probe: probeNo,
        stage: s.stage,
        episodes: s.episodes,
        flag_rate: s.flagRate,
        max_x_mean: s.maxXMean,
        max_x_min: s.maxXMin,
        max_x_p10: s.maxXP10,
        max_x_p50: s.maxXP50,
        return_mean: s.returnMean,
        early_death_rate: s.earlyDeathRate,
        death_x_hist: { bin_width: s.deathXHist.binWidth, counts: s.deathXHist.counts },
        length: s.length,
        score: result.score,
      }),
    );
    appendRunFile(join(dir, 'evals.jsonl'), lines.join('\n') + '\n');
    for (const s of result.stages) {
      ctx.record(`eval/${s.stage}/flag_rate`, s.flagRate);
      ctx.record(`eval/${s.stage}/max_x_mean`, s.maxXMean);
      ctx.record(`eval/${s.stage}/max_x_p10`, s.maxXP10);
      ctx.record(`eval/${s.stage}/max_x_p50`, s.maxXP50);
      ctx.record(`eval/${s.stage}/return_mean`, s.returnMean);
      ctx.record(`eval/${s.stage}/early_death_rate`, s.earlyDeathRate);
    }
    ctx.record('eval/score', result.score);
  }

  #writeGifs(ctx: CallbackContext, recordings: Map<string, { best?: RecordedEpisode; worst?: RecordedEpisode }>, step: number): void {
    const dir = join(ctx.config.runDir, 'media');
    mkdirSync(dir, { recursive: true });
    for (const [stage, kept] of recordings) {
      for (const which of ['best', 'worst'] as const) {
        const ep = kept[which];
        if (!ep) continue;
        const { gif } = episodeToGif(ep);
        writeFileSync(join(dir, `probe-${String(step).padStart(10, '0')}-${stage}-${which}.gif`), gif);
      }
    }
  }

  onTrainEnd(): void {
    for (const env of this.#envs.values()) env.close();
    this.#envs.clear();
  }

  state(): ProbeState {
    return { ...this.#state, lengths: { ...this.#state.lengths } };
  }

  restore(state: unknown): void {
    const s = state as Partial<ProbeState> | null;
    if (!s || typeof s !== 'object' || typeof s.rows !== 'number' || typeof s.probes !== 'number') return;
    this.#state = { rows: s.rows, probes: s.probes, best: typeof s.best === 'number' ? s.best : null, lengths: { ...(s.lengths ?? {}) } };
  }
}
