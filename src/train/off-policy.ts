/**
 * The off-policy loop, DQN (Mnih et al. 2015) with double targets, dueling heads, n-step returns,
 * prioritized replay, Polyak or copied target updates and ε-greedy or NoisyNet exploration, read top
 * to bottom like cleanrl's dqn_atari.py:
 *
 *   [act → env step → replay → every trainFrequency agent steps: sample → train step → priorities
 *    → target update → logging → checkpoint]*
 *
 * The train step is one ONNX graph (forward on s and s′ for the online and target parameters, the
 * loss of src/algos/dqn.ts, backward, clipping, Adam), built by `buildTrainStepGraph` in
 * src/runtime/train-graph.ts. One metrics row per `logEvery` iterations (≈ 1000 agent steps);
 * `checkpoint.interval` counts rows. With `checkpoint.includeReplay` the replay buffer travels in
 * every checkpoint (section `replay`), so a resumed run continues exactly as the uninterrupted one.
 */
import { epsilonGreedy } from '../algos/action-sampling.js';
import { PrioritizedReplay, type ReplayState } from '../replay/prioritized-replay.js';
import { type MetricsRow } from '../run/metrics.js';
import { scheduleValue } from './schedule.js';
import { replayFrames } from './env-options.js';
import { type TrainingRun } from './run-context.js';

/** Runs DQN iterations until `run.totalSteps`, a stop request or the wall-clock limit; returns the last row. */
export async function trainOffPolicy(run: TrainingRun): Promise<MetricsRow | undefined> {
  const { config: c, state, learner, env, timer, shutdown } = run;
  const d = c.dqn;

  // ---- derived sizes
  const N = d.numEnvs;
  const B = d.batchSize;
  const A = env.numActions;
  const rewardScale = c.env.rewardScale;
  const numIterations = Math.floor(run.totalSteps / N);
  const logEvery = Math.max(1, Math.round(1000 / N));
  const epsSchedule = run.sizes.schedules['dqn.epsilon']!;
  const beta = run.sizes.schedules['dqn.per.beta']!;

  // ---- storage: the replay buffer (n-step returns and priorities live there)
  const betaStart = beta.kind === 'constant' ? beta.value : beta.start;
  const betaEnd = beta.kind === 'constant' ? beta.value : beta.end;
  const betaSteps = beta.kind === 'constant' ? 0 : Math.max(1, Math.round((beta.duration ?? run.totalSteps) / d.trainFrequency));
  const replay = new PrioritizedReplay({
    capacity: Math.max(N, Math.floor(d.bufferSize / N) * N),
    numEnvs: N,
    ...replayFrames(c.env),
    nStep: d.nStep,
    gamma: d.gamma,
    alpha: d.per.enabled ? d.per.alpha : 0,
    beta: d.per.enabled ? betaStart : 0,
    betaFinal: d.per.enabled ? betaEnd : 0,
    betaSteps: d.per.enabled ? betaSteps : 0,
    epsilon: d.per.epsilon,
    seed: c.seed,
  });
  const obs = new Uint8Array(env.reset({ seed: run.envSeed(state.globalUpdate) }).obs); // [N, obsBytes]
  run.callbacks.envReset(run.ctx);
  const restored = replayFromSections(run.restoredSections);
  if (restored) replay.importState(restored);
  else {
    if (state.globalUpdate > 0)
      run.ctx.warn(
        `resumed DQN at step ${state.globalStep} with an empty replay buffer (the checkpoint has none: checkpoint.includeReplay was off); learning restarts after dqn.learningStarts more steps`,
      );
    replay.begin(obs);
  }
  const actions = new Int32Array(N);
  const sample = replay.createBatch(B);
  const batchActions = new BigInt64Array(B); // [B] int64 for the graph
  const dones = new Float32Array(B); // discounts are already 0 after a terminal state
  const ones = new Float32Array(B).fill(1);
  const scaledRewards = new Float32Array(N);
  const noisy = d.exploration === 'noisy';
  const stepHooks = run.callbacks.hasStepHooks;

  let lastRow: MetricsRow | undefined;
  let tdLoss = 0;
  let qMean = 0;
  let gradSteps = 0;
  let stepsSinceRow = 0;
  try {
    while (state.globalUpdate < numIterations && !shutdown.stopRequested) {
      // ---- act (ε-greedy, or greedy on the noisy Q head) and step
      const epsilon = noisy ? 0 : scheduleValue(epsSchedule, state.globalStep);
      timer.start('env');
      const { q } = await learner.act(obs);
      epsilonGreedy(q!, N, A, epsilon, state.rngAct, actions);
      const r = await env.stepAsync(actions);
      if (stepHooks) run.callbacks.step(run.ctx, r);
      for (let n = 0; n < N; n++) scaledRewards[n] = r.reward[n]! * rewardScale;
      replay.addBatch({ actions, rewards: scaledRewards, terminated: r.terminated, truncated: r.truncated, obs: r.obs, finalObs: r.finalObs });
      for (let n = 0; n < N; n++) {
        if (!r.terminated[n] && !r.truncated[n]) continue;
        run.episode({
          globalStep: state.globalStep + N,
          lane: n,
          return: r.episode.return[n]!,
          length: r.episode.length[n]!,
          maxX: r.episode.maxX[n]!,
          flag: r.episode.flag[n] === 1,
        });
      }
      obs.set(r.obs);
      timer.stop('env');
      const before = state.globalStep;
      state.globalStep += N;
      state.globalUpdate++;
      stepsSinceRow += N;

      // ---- learn: one gradient step per trainFrequency agent steps
      const lr = run.learningRate('dqn.learningRate');
      if (state.globalStep >= d.learningStarts && replay.size >= B) {
        const steps = Math.floor(state.globalStep / d.trainFrequency) - Math.floor(before / d.trainFrequency);
        for (let k = 0; k < steps; k++) {
          replay.sample(B, sample);
          for (let i = 0; i < B; i++) batchActions[i] = BigInt(sample.actions[i]!);
          timer.start('learner');
          const res = await learner.trainStep(
            {
              obs: sample.obs,
              actions: batchActions,
              rewards: sample.returns,
              next_obs: sample.nextObs,
              dones,
              discounts: sample.discounts,
              weights: d.per.enabled ? sample.weights : ones,
            },
            { lr },
          );
          timer.stop('learner');
          if (d.per.enabled) replay.updatePriorities(sample.indices, res.tdErrors!);
          tdLoss += res.loss;
          qMean += res.stats.q_mean ?? NaN;
          gradSteps++;
        }
      }
      // ---- target network (copy, or Polyak average with dqn.tau < 1)
      if (Math.floor(state.globalStep / d.targetUpdateInterval) > Math.floor(before / d.targetUpdateInterval)) learner.syncTarget(d.tau);

      // ---- logging, checkpoint
      if (state.globalUpdate % logEvery === 0 || state.globalUpdate === numIterations) {
        await run.callbacks.call('onRolloutEnd', run.ctx);
        const phases = timer.readAndReset();
        const elapsed = (performance.now() - run.t0) / 1000;
        const st = replay.stats();
        lastRow = await run.row(state.globalStep, {
          'losses/td_loss': gradSteps ? tdLoss / gradSteps : null,
          'losses/q_values': gradSteps ? qMean / gradSteps : null,
          'charts/learning_rate': lr,
          ...(noisy ? {} : { 'charts/epsilon': epsilon }),
          'charts/per_beta': st.beta,
          'charts/gradient_steps': gradSteps,
          'charts/SPS': ((state.globalUpdate - run.startUpdate) * N) / Math.max(elapsed, 1e-9),
          'charts/env_SPS': phases.env ? stepsSinceRow / phases.env : null,
          'charts/learner_SPS': phases.learner ? (gradSteps * B) / phases.learner : null,
          'replay/size': st.size,
          'replay/fill_rate': st.fillRate,
          'replay/unique_ratio': st.uniqueRatio,
          'replay/max_priority': st.maxPriority,
          'time/elapsed_s': state.elapsedBefore + elapsed, // the whole run's, across resumes
        });
        tdLoss = qMean = gradSteps = stepsSinceRow = 0;
        const rows = Math.ceil(state.globalUpdate / logEvery);
        if (c.checkpoint.interval > 0 && rows % c.checkpoint.interval === 0) {
          if (c.checkpoint.includeReplay) {
            // Exact resume: every lane starts a new episode here (seeded by the iteration count),
            // in the env and in the replay (which cuts the running ones like truncations), so a
            // run resumed from this checkpoint is in the same state as this one.
            obs.set(env.reset({ seed: run.envSeed(state.globalUpdate) }).obs);
            run.callbacks.envReset(run.ctx);
            replay.begin(obs);
            await run.checkpoint(() => replaySections(replay));
          } else await run.checkpoint();
        }
      }
      if (run.wallTimeUp()) shutdown.request('maxWallTime');
    }
  } finally {
    // `latest` is written by the Trainer after this returns, with the buffer as it is now; the
    // buffer is released after that. Its episodes are cut at the reset a resumed run (and a next
    // train() call) starts from, so the buffer and the env agree there.
    if (c.checkpoint.includeReplay) {
      replay.begin(env.reset({ seed: run.envSeed(state.globalUpdate) }).obs);
      run.setExtraSections(() => replaySections(replay));
    }
    run.defer(() => replay.dispose());
  }
  return lastRow;
}

const HEADER = 'replay.header';

/** The replay buffer's checkpoint sections: its JSON header and its byte sections, each under `replay.`. */
function replaySections(replay: PrioritizedReplay): Record<string, Uint8Array> {
  const state = replay.exportState();
  const out: Record<string, Uint8Array> = { [HEADER]: new TextEncoder().encode(JSON.stringify(state.header)) };
  for (const [name, bytes] of Object.entries(state.sections)) out[`replay.${name}`] = bytes;
  return out;
}

/** The replay state stored by {@link replaySections}, or undefined when the checkpoint has none. */
function replayFromSections(sections: Readonly<Record<string, Uint8Array>>): ReplayState | undefined {
  const header = sections[HEADER];
  if (!header) return undefined;
  const out: Record<string, Uint8Array> = {};
  for (const [name, bytes] of Object.entries(sections)) if (name.startsWith('replay.') && name !== HEADER) out[name.slice(7)] = bytes;
  return { header: JSON.parse(new TextDecoder().decode(header)) as ReplayState['header'], sections: out };
}
