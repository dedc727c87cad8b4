/**
 * The on-policy loop, PPO (Schulman et al. 2017) and A2C, read top to bottom like cleanrl's
 * ppo_atari.py:
 *
 *   derived sizes → storage → [rollout → advantages (GAE) → update → logging → checkpoint]*
 *
 * The update is one fused ONNX Loop graph run by the learner's worker: E epochs × M minibatches of
 * forward, loss (src/algos/ppo.ts, a2c.ts), backward, clipping and Adam, built by
 * `buildTrainLoopGraph` in src/runtime/train-graph.ts. With `ppo.targetKl` the learner runs the
 * epochs one Loop at a time and stops after the first epoch whose mean approx KL exceeds it.
 *
 * Overlap (`config.overlap`): while the learner's worker runs update k, the next rollout is
 * collected by a second, acting session holding the parameters from before update k (policy lag
 * 1, reported as `charts/policy_lag`). The pipeline is drained before every periodic checkpoint,
 * so a checkpoint never holds a half-collected rollout, and the envs are reset there with a seed
 * derived from the update count, which is what makes a resumed run write the same rows.
 */
import { sampleFromLogits } from '../algos/action-sampling.js';
import { computeGae } from '../algos/gae.js';
import { explainedVariance, mean } from '../algos/rollout-stats.js';
import { type MetricsRow } from '../run/metrics.js';
import { type StepResult } from '../env/vec-env.js';
import { type Batch, type Learner, type UpdateResult } from '../runtime/learner.js';
import { obsBytes } from './env-options.js';
import { type TrainingRun } from './run-context.js';

/** Rollout storage, time-major: row `i = t · N + n` for step t of lane n (N lanes, T steps, B = N·T). */
interface Storage {
  /** [B, obsBytes] observations the actions were taken on. */
  obs: Uint8Array;
  /** [B] actions taken (int64, as the graph takes them). */
  actions: BigInt64Array;
  /** [B] log π_old(a|s). */
  logProbs: Float32Array;
  /** [B] V_old(s). */
  values: Float32Array;
  /** [B] rewards × env.rewardScale. */
  rewards: Float32Array;
  /** [B] 1 where the episode ended by the game's rules. */
  terminated: Uint8Array;
  /** [B] 1 where the episode was cut (maxEpisodeSteps). */
  truncated: Uint8Array;
  /** [B] V(final obs) of truncated episodes (bootstrapped), else unused. */
  finalValues: Float32Array;
  /** [N] V(s_T) after the last step. */
  nextValues: Float32Array;
  /** [B] GAE advantages. */
  advantages: Float32Array;
  /** [B] advantages + values. */
  returns: Float32Array;
}

/** Runs PPO or A2C updates until `run.totalSteps`, a stop request or the wall-clock limit; returns the last row. */
/**
 * The learning-rate, entropy-coefficient and `losses/*` fields of a PPO/A2C metrics row from one
 * update's result (shared by the single-process loop and the distributed learner).
 */
export function updateRow(
  result: UpdateResult,
  o: { lr: number; entCoef: number; isPpo: boolean; targetKl: number; minibatches: number },
  values: Float32Array,
  returns: Float32Array,
): MetricsRow {
  const stat = (k: string) => (result.stats[k] ? mean(result.stats[k]!) : NaN);
  return {
    'charts/learning_rate': o.lr,
    'charts/ent_coef': o.entCoef,
    'losses/loss': mean(result.losses),
    'losses/policy_loss': stat('policy_loss'),
    'losses/value_loss': stat('value_loss'),
    'losses/entropy': stat('entropy'),
    ...(o.isPpo ? { 'losses/approx_kl': stat('approx_kl'), 'losses/clipfrac': stat('clip_fraction') } : {}),
    ...(o.targetKl > 0 ? { 'losses/epochs': result.losses.length / o.minibatches } : {}),
    'losses/explained_variance': explainedVariance(values, returns),
  };
}

/** Where a step's rewards, done flags and truncation bootstraps go: the rollout storage, or an actor's fragment. */
export interface StepSink {
  rewards: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  finalValues: Float32Array;
}

/**
 * Stores env step `r` at row offset `i0` (rows time-major, one per lane): rewards × `rewardScale`,
 * the done flags, and V(final observation) of each truncated lane, from one extra forward pass
 * that runs only when a lane was cut. Calls `onEpisode(lane)` for each lane whose episode ended.
 */
export async function storeStep(
  r: StepResult,
  i0: number,
  rewardScale: number,
  sink: StepSink,
  policy: Pick<Learner, 'act'>,
  onEpisode: (lane: number) => void,
): Promise<void> {
  const N = r.reward.length;
  for (let n = 0; n < N; n++) sink.rewards[i0 + n] = r.reward[n]! * rewardScale;
  sink.terminated.set(r.terminated, i0);
  sink.truncated.set(r.truncated, i0);
  let needFinalValue = false;
  for (let n = 0; n < N; n++) {
    if (!r.terminated[n] && !r.truncated[n]) continue;
    if (r.truncated[n] && !r.terminated[n]) needFinalValue = true;
    onEpisode(n);
  }
  if (needFinalValue) {
    const fv = (await policy.act(r.finalObs)).value!;
    for (let n = 0; n < N; n++) if (r.truncated[n] && !r.terminated[n]) sink.finalValues[i0 + n] = fv[n]!;
  }
}

export async function trainOnPolicy(run: TrainingRun): Promise<MetricsRow | undefined> {
  const { config: c, state, learner, env, timer, shutdown } = run;
  const isPpo = c.algo === 'ppo';
  const a = isPpo ? c.ppo : c.a2c;

  // ---- derived sizes
  const N = a.numEnvs;
  const T = a.numSteps;
  const B = N * T;
  const rewardScale = c.env.rewardScale;
  const numUpdates = Math.floor(run.totalSteps / B);
  const epochs = isPpo ? c.ppo.epochs : 1;
  const minibatches = isPpo ? c.ppo.minibatches : 1;
  const targetKl = isPpo ? c.ppo.targetKl : 0;
  const A = env.numActions;
  const obsSize = obsBytes(c.env);
  const actor: Learner = c.overlap ? await run.actor() : learner;
  const stepHooks = run.callbacks.hasStepHooks;

  // ---- storage (two sets: overlap collects into one while the learner reads the other)
  const newStorage = (): Storage => ({
    obs: new Uint8Array(B * obsSize),
    actions: new BigInt64Array(B),
    logProbs: new Float32Array(B),
    values: new Float32Array(B),
    rewards: new Float32Array(B),
    terminated: new Uint8Array(B),
    truncated: new Uint8Array(B),
    finalValues: new Float32Array(B),
    nextValues: new Float32Array(N),
    advantages: new Float32Array(B),
    returns: new Float32Array(B),
  });
  const storages = [newStorage(), c.overlap ? newStorage() : null];
  const nextObs = new Uint8Array(N * obsSize); // [N, obsBytes]
  const actions = new Int32Array(N);
  const logProbs = new Float32Array(N);
  nextObs.set(env.reset({ seed: run.envSeed(state.globalUpdate) }).obs);
  run.callbacks.envReset(run.ctx);
  let collectedSteps = 0; // steps of the rollout(s) collected since the last row

  /** One rollout of T steps with `policy`, into `s`. */
  const collect = async (s: Storage, policy: Learner): Promise<void> => {
    timer.start('env');
    for (let t = 0; t < T; t++) {
      const out = await policy.act(nextObs);
      sampleFromLogits(out.logits!, N, A, state.rngAct, actions, logProbs);
      const i0 = t * N;
      s.obs.set(nextObs, i0 * obsSize);
      for (let n = 0; n < N; n++) {
        s.actions[i0 + n] = BigInt(actions[n]!);
        s.logProbs[i0 + n] = logProbs[n]!;
        s.values[i0 + n] = out.value![n]!;
      }
      const r = await env.stepAsync(actions);
      if (stepHooks) run.callbacks.step(run.ctx, r);
      await storeStep(r, i0, rewardScale, s, policy, (n) =>
        run.episode({
          globalStep: state.globalStep + (t + 1) * N,
          lane: n,
          return: r.episode.return[n]!,
          length: r.episode.length[n]!,
          maxX: r.episode.maxX[n]!,
          flag: r.episode.flag[n] === 1,
        }),
      );
      nextObs.set(r.obs);
    }
    s.nextValues.set((await policy.act(nextObs)).value!);
    timer.stop('env');
    state.globalStep += B;
    collectedSteps += B;
    await run.callbacks.call('onRolloutEnd', run.ctx);
  };

  let ready: Storage | null = null; // a rollout collected ahead (overlap)
  let which = 0;
  let lastRow: MetricsRow | undefined;
  try {
    while (state.globalUpdate < numUpdates && !shutdown.stopRequested) {
      const update = state.globalUpdate;
      // ---- rollout
      const s = ready ?? storages[which]!;
      const lag = ready ? 1 : 0;
      if (!ready) await collect(s, actor);
      ready = null;

      // ---- advantages (GAE)
      computeGae(
        {
          numSteps: T,
          numEnvs: N,
          rewards: s.rewards,
          values: s.values,
          terminated: s.terminated,
          truncated: s.truncated,
          finalValues: s.finalValues,
          nextValues: s.nextValues,
          gamma: a.gamma,
          lambda: a.gaeLambda,
        },
        s,
      );

      // ---- update (in the learner's worker), overlapped with the next rollout
      const lr = run.learningRate(`${c.algo}.learningRate`);
      const entCoef = run.ctx.controls.entCoef ?? a.entCoef;
      const batch: Batch = isPpo
        ? { obs: s.obs, actions: s.actions, old_logprobs: s.logProbs, advantages: s.advantages, returns: s.returns, old_values: s.values }
        : { obs: s.obs, actions: s.actions, advantages: s.advantages, returns: s.returns };
      const seed = state.rngShuffle.nextUint32();
      timer.start('learner');
      const learning = learner
        .update(batch, { epochs, minibatches, lr, entCoef, seed, ...(targetKl > 0 ? { targetKl } : {}) })
        .finally(() => timer.stop('learner'));
      const periodicDue = c.checkpoint.interval > 0 && (update + 1) % c.checkpoint.interval === 0;
      if (c.overlap && update + 1 < numUpdates && !periodicDue && !shutdown.stopRequested && !run.wallTimeUp()) {
        which ^= 1;
        const next = storages[which]!;
        try {
          await collect(next, actor);
        } finally {
          await learning.catch(() => {});
        }
        ready = next;
      }
      const result = await learning;
      if (c.overlap) actor.fromSafetensors(learner.toSafetensors());
      state.globalUpdate++;

      // ---- logging
      const phases = timer.readAndReset();
      const elapsed = (performance.now() - run.t0) / 1000;
      const row: MetricsRow = {
        ...updateRow(result, { lr, entCoef, isPpo, targetKl, minibatches }, s.values, s.returns),
        'charts/policy_lag': lag,
        'charts/SPS': ((state.globalUpdate - run.startUpdate) * B) / Math.max(elapsed, 1e-9),
        'charts/env_SPS': phases.env ? collectedSteps / phases.env : null,
        'charts/learner_SPS': phases.learner ? B / phases.learner : null,
        'time/elapsed_s': state.elapsedBefore + elapsed, // the whole run's, across resumes
      };
      collectedSteps = 0;
      // The row's step is the end of the rollout this update learned from (a prefetched rollout is not counted yet).
      lastRow = await run.row(state.globalStep - (ready ? B : 0), row);

      // ---- checkpoint
      if (periodicDue) {
        await run.checkpoint();
        nextObs.set(env.reset({ seed: run.envSeed(state.globalUpdate) }).obs);
        run.callbacks.envReset(run.ctx);
      }
      if (run.wallTimeUp()) shutdown.request('maxWallTime');
    }
  } finally {
    if (ready) state.globalStep -= B; // a prefetched rollout that was never learned from
  }
  return lastRow;
}
