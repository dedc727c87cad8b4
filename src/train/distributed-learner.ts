/**
 * The learner of a distributed run (PPO, A2C): the on-policy loop with the rollout replaced by
 * fragments that actors on other machines collected (src/train/actor.ts), taken from the broker
 * (src/distributed/broker.ts):
 *
 *   status running (heartbeat) → announce config + weights → [fragments → GAE per fragment → batch [B] → update →
 *   weights v+1 → metrics (distributed/*) → checkpoint → purge covered fragments]*
 *
 * Policy lag: a fragment acted with weights version v (the learner's update count when the actor
 * loaded them); trained at update u its lag is u − v. Lags up to `maxPolicyLag` are trained on
 * (PPO's ratio against the behaviour log-probs corrects them, as overlap's lag 1); older ones are
 * dropped and counted. A fragment whose version is newer than the learner's came from weights a
 * crashed learner published after its last checkpoint: dropped and counted too.
 *
 * Nothing is silently lost or counted twice: a fragment is identified by (actorId, seq), counted
 * when its batch is trained (or when it is dropped), and the counters, the per-actor last seq and
 * the stream sequence everything up to which was handled are stored with each checkpoint (section
 * `distributed`). A learner resumed from a checkpoint re-reads the stream from the sequence after
 * it, so fragments a killed learner had taken but not checkpointed are taken again, once. The
 * stream below a checkpoint's sequence is purged after the checkpoint is written.
 */
import { randomUUID } from 'node:crypto';

import { computeGae } from '../algos/gae.js';
import { mean } from '../algos/rollout-stats.js';
import { Broker, type StreamMessage } from '../distributed/broker.js';
import { decodeFragment, type Fragment, FragmentFormatError, formatName, sliceLanes } from '../distributed/fragment.js';
import { type LearnerSideOptions, type Resolved } from '../distributed/options.js';
import { packageVersion, PROTOCOL, type ProtocolStamp } from '../distributed/protocol.js';
import { StatusBeat } from '../distributed/run-status.js';
import { type MetricsRow } from '../run/metrics.js';
import { type Batch } from '../runtime/learner.js';
import { type TrainerConfig } from './config.js';
import { obsBytes } from './env-options.js';
import { updateRow } from './on-policy.js';
import { type TrainingRun } from './run-context.js';

/** What the learner stores as the object `config`: actors build their env and policy from it. */
export interface RunAnnouncement extends ProtocolStamp {
  /** Id of this distributed run (kept across resumes); fragments carry it. */
  runId: string;
  /** The learner's validated config. */
  config: TrainerConfig;
  /** The learner's maxPolicyLag: actors pace themselves so their fragments arrive within it. */
  maxPolicyLag: number;
}

/**
 * Why a fragment was not trained on: `stale` (lag over maxPolicyLag), `discarded_policy` (acted
 * with weights of a learner that crashed after publishing them), `invalid` (its shape does not
 * fit the batch), `duplicate` (seen before), `unreadable` (not a fragment), `unknown_format` (a
 * fragment of another format: an actor of another mario-rl version, src/distributed/protocol.ts),
 * `other_run` (sent to an earlier run on this namespace). The first three are this run's
 * fragments: with the trained ones they account for every fragment produced.
 */
export const DROP_REASONS = ['stale', 'discarded_policy', 'invalid', 'duplicate', 'unreadable', 'unknown_format', 'other_run'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** The accounting a checkpoint keeps (JSON in section `distributed`). */
interface Ledger {
  runId: string;
  /** Every fragment with a stream sequence ≤ this was trained on or dropped. */
  streamSeq: number;
  consumed: number;
  dropped: Record<DropReason, number>;
  bytes: number;
  /** Agent steps (rows) trained on from fragments. */
  rows: number;
  /** Agent steps (rows) of all fragments received, dropped ones included. */
  rowsReceived: number;
  /** Per actor: the highest seq seen (trained or dropped). */
  actors: Record<string, number>;
  /** Per actor: the most weights bytes it said it had read (fragments carry the actor's running total). */
  weightsRead: Record<string, number>;
  /** Per actor: the most waits for newer weights it said it had made (fragments carry the actor's running count). */
  weightsWaits: Record<string, number>;
}

const newLedger = (runId: string): Ledger => ({
  runId,
  streamSeq: 0,
  consumed: 0,
  dropped: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>,
  bytes: 0,
  rows: 0,
  rowsReceived: 0,
  actors: {},
  weightsRead: {},
  weightsWaits: {},
});

const cloneLedger = (l: Ledger): Ledger => ({
  ...l,
  dropped: { ...l.dropped },
  actors: { ...l.actors },
  weightsRead: { ...l.weightsRead },
  weightsWaits: { ...l.weightsWaits },
});

/** Fragments produced (seen) so far: Σ over actors of (highest seq + 1). */
const produced = (l: Ledger) => Object.values(l.actors).reduce((s, seq) => s + seq + 1, 0);

/** Weights bytes the broker sent the actors, as far as their fragments have told: Σ over actors of the newest figure. */
export const weightsRead = (l: Pick<Ledger, 'weightsRead'>) => Object.values(l.weightsRead).reduce((s, b) => s + b, 0);

/** Waits for newer weights the actors made before a fragment, as far as their fragments have told: Σ over actors of the newest figure. */
export const weightsWaits = (l: Pick<Ledger, 'weightsWaits'>) => Object.values(l.weightsWaits).reduce((s, n) => s + n, 0);

/**
 * Takes an actor's running totals (weights bytes read, waits for newer weights) from one of its
 * fragments (fragments may arrive out of order: the largest is the newest).
 */
export function noteActorTotals(l: Pick<Ledger, 'weightsRead' | 'weightsWaits'>, f: Pick<Fragment, 'actorId' | 'weightsBytes' | 'weightsWaits'>): void {
  l.weightsRead[f.actorId] = Math.max(l.weightsRead[f.actorId] ?? 0, f.weightsBytes);
  l.weightsWaits[f.actorId] = Math.max(l.weightsWaits[f.actorId] ?? 0, f.weightsWaits);
}

/** Throws when `config` cannot run distributed (errors name the field). */
export function checkDistributedConfig(c: TrainerConfig): void {
  const no = (what: string, name: string, value: unknown) => {
    throw new RangeError(`Expected ${what} for ${name} with distributed (not supported there yet) but received ${JSON.stringify(value)}`);
  };
  if (c.algo === 'dqn') no("'ppo' or 'a2c'", 'algo', c.algo);
  if (c.curriculum.stages !== '') no("''", 'curriculum.stages', c.curriculum.stages);
  if (c.startStates.share > 0) no('0', 'startStates.share', c.startStates.share);
  if (c.explore.bonus > 0) no('0', 'explore.bonus', c.explore.bonus);
  if (c.env.shapingAnnealSteps > 0) no('0', 'env.shapingAnnealSteps', c.env.shapingAnnealSteps);
}

/** Checkpoint section name of the ledger. */
export const LEDGER_SECTION = 'distributed';

/** Runs PPO or A2C updates on actors' fragments until `run.totalSteps`, a stop request or the wall-clock limit; returns the last row. */
export async function trainDistributed(
  run: TrainingRun,
  options: Resolved<LearnerSideOptions>,
  log: (message: string) => void,
): Promise<MetricsRow | undefined> {
  const { config: c, state, learner, timer, shutdown } = run;
  const isPpo = c.algo === 'ppo';
  const a = isPpo ? c.ppo : c.a2c;

  // ---- derived sizes: the batch is B rows, as the single-process loop's N lanes × T steps
  const B = a.numEnvs * a.numSteps;
  const numUpdates = Math.floor(run.totalSteps / B);
  const epochs = isPpo ? c.ppo.epochs : 1;
  const minibatches = isPpo ? c.ppo.minibatches : 1;
  const targetKl = isPpo ? c.ppo.targetKl : 0;
  const obsSize = obsBytes(c.env);

  // ---- the ledger: restored with the checkpoint, or a fresh run's
  const restored = run.restoredSections[LEDGER_SECTION];
  let ledger: Ledger = restored ? (JSON.parse(new TextDecoder().decode(restored)) as Ledger) : newLedger(randomUUID());
  (ledger as Partial<Ledger>).weightsRead ??= {}; // checkpoints from before the fields
  (ledger as Partial<Ledger>).weightsWaits ??= {};
  for (const r of DROP_REASONS) ledger.dropped[r] ??= 0; // reasons added since the checkpoint
  const ledgerSection = () => ({ [LEDGER_SECTION]: new TextEncoder().encode(JSON.stringify(ledger)) });
  run.setExtraSections(ledgerSection);

  // ---- the broker: stream, consumer from the checkpoint's sequence, config and weights for the actors
  const broker = await Broker.connect(options.address, { namespace: options.namespace, retrySeconds: options.retrySeconds, name: 'mario-rl learner', log });
  let beat: StatusBeat | undefined;
  let failure: unknown;
  try {
    await broker.ensureStream(options.streamMaxBytes);
    if (restored) {
      await broker.purgeBelow(ledger.streamSeq + 1);
      log(`distributed: resuming run ${ledger.runId} at update ${state.globalUpdate}: fragments from stream sequence ${ledger.streamSeq + 1} on`);
    } else {
      // A fresh run: fragments of an earlier run on this namespace are not ours.
      await broker.purgeBelow();
      ledger.streamSeq = (await broker.streamState()).lastSeq;
      log(`distributed: run ${ledger.runId} on ${options.address.redacted} (namespace ${options.namespace})`);
    }
    await broker.openConsumer(ledger.streamSeq + 1);
    // `running` (and a heartbeat) before the config: an actor joins only a run whose learner is at work.
    beat = new StatusBeat(broker, ledger.runId, () => state.globalUpdate, log);
    await beat.start();
    const announcement: RunAnnouncement = { protocol: PROTOCOL, version: packageVersion(), runId: ledger.runId, config: c, maxPolicyLag: options.maxPolicyLag };
    await broker.putObject('config', new TextEncoder().encode(JSON.stringify(announcement)), { runId: ledger.runId });
    // streamSeq: how far the learner has come, for the actors' pacing (src/train/actor.ts, mayCollect).
    // The put runs while the learner takes the next fragments; the next put (or the run's end) waits for it first.
    let paceSeq = ledger.streamSeq;
    let weightsPut: Promise<void> = Promise.resolve();
    const publishWeights = async (streamSeq = ledger.streamSeq) => {
      await weightsPut;
      paceSeq = streamSeq;
      // Parameters only: actors act, they need no optimizer state (a third of the bytes with Adam).
      const bytes = learner.paramsToSafetensors();
      weightsPut = broker.putWeights(bytes, { version: String(state.globalUpdate), runId: ledger.runId, streamSeq: String(streamSeq) });
      weightsPut.catch(() => {}); // its failure is taken up by the next await
    };
    await publishWeights();
    await weightsPut;

    // ---- storage [B rows], filled fragment by fragment (each fragment's rows time-major [steps, lanes])
    const obs = new Uint8Array(B * obsSize); // [B, obsBytes]
    const actions = new BigInt64Array(B);
    const logProbs = new Float32Array(B);
    const values = new Float32Array(B);
    const advantages = new Float32Array(B);
    const returns = new Float32Array(B);

    /**
     * The lanes of a fragment that did not fit the batch being filled (actors with different
     * --lanes): the first rows of the next batch. The fragment counts as consumed with them.
     */
    let held: { fragment: Fragment; message: StreamMessage } | null = null;
    let lastRow: MetricsRow | undefined;
    // The stream's last sequence as the consumer's deliveries report it (seq + pending): the metrics' stream_pending without a request per update.
    let streamLastSeq = ledger.streamSeq;
    let warnedShape = new Set<string>();
    const warnedFormat = new Set<number>();

    while (state.globalUpdate < numUpdates && !shutdown.stopRequested) {
      // ---- fill the batch; the ledger's working copy is committed only once the update is done
      const work = cloneLedger(ledger);
      const lags: number[] = [];
      const actorsInBatch = new Set<string>();
      let rows = 0;
      const version = state.globalUpdate;
      timer.start('env');
      const take = (f: Fragment, m: StreamMessage, whole = true) => {
        const R = f.lanes * f.steps;
        const at = rows;
        obs.set(f.obs, at * obsSize);
        for (let i = 0; i < R; i++) actions[at + i] = BigInt(f.actions[i]!);
        logProbs.set(f.logProbs, at);
        values.set(f.values, at);
        computeGae(
          {
            numSteps: f.steps,
            numEnvs: f.lanes,
            rewards: f.rewards,
            values: f.values,
            terminated: f.terminated,
            truncated: f.truncated,
            finalValues: f.finalValues,
            nextValues: f.nextValues,
            gamma: a.gamma,
            lambda: a.gaeLambda,
          },
          { advantages: advantages.subarray(at, at + R), returns: returns.subarray(at, at + R) },
        );
        for (const ep of f.episodes) {
          run.episode({
            globalStep: state.globalStep + at + (ep.step + 1) * f.lanes,
            lane: ep.lane,
            return: ep.return,
            length: ep.length,
            maxX: ep.maxX,
            flag: ep.flag,
          });
        }
        rows += R;
        work.rows += R;
        lags.push(version - f.policyVersion);
        actorsInBatch.add(f.actorId);
        if (!whole) return; // the fragment's other lanes are held for the next batch
        work.consumed++;
        work.actors[f.actorId] = f.seq;
        work.streamSeq = m.seq;
      };
      const drop = (reason: DropReason, m: StreamMessage, f?: Fragment) => {
        work.dropped[reason]++;
        if (f && reason !== 'other_run' && reason !== 'duplicate') work.actors[f.actorId] = Math.max(work.actors[f.actorId] ?? -1, f.seq);
        work.streamSeq = m.seq;
      };
      if (held) {
        take(held.fragment, held.message);
        held = null;
      }
      while (rows < B && !shutdown.stopRequested && !run.wallTimeUp()) {
        const m = await broker.nextFragment(1000);
        if (!m) {
          // Idle after dropping fragments: say how far it has come, or actors paused on the old position would wait forever.
          if (work.streamSeq > paceSeq) await publishWeights(work.streamSeq);
          continue;
        }
        work.bytes += m.data.length;
        streamLastSeq = Math.max(streamLastSeq, m.seq + m.pending);
        let f: Fragment;
        try {
          // Views of the message: take() copies the rows into the batch, once.
          f = decodeFragment(m.data, { views: true });
        } catch (err) {
          if (err instanceof FragmentFormatError) {
            // An actor of another mario-rl version: said once per format, every one counted.
            if (!warnedFormat.has(err.format))
              log(
                `distributed: dropping fragments of format ${formatName(err.format)} (stream sequence ${m.seq} on), which this learner cannot read: ${err.message}; run the same mario-rl version on the learner and every actor`,
              );
            warnedFormat.add(err.format);
            drop('unknown_format', m);
          } else {
            log(`distributed: dropped an unreadable message (stream sequence ${m.seq}): ${(err as Error).message}`);
            drop('unreadable', m);
          }
          m.ack();
          continue;
        }
        const lag = version - f.policyVersion;
        const R = f.lanes * f.steps;
        if (f.runId === work.runId) {
          work.rowsReceived += R;
          noteActorTotals(work, f);
        }
        if (f.runId !== work.runId) drop('other_run', m, f);
        else if (f.seq <= (work.actors[f.actorId] ?? -1)) drop('duplicate', m, f);
        else if (f.obsBytes !== obsSize || B % R !== 0) {
          if (!warnedShape.has(f.actorId))
            log(
              `distributed: actor ${f.actorId} sends ${f.lanes}×${f.steps} fragments of ${f.obsBytes}-byte observations, which do not fit batches of ${B} rows of ${obsSize} bytes: dropped`,
            );
          warnedShape.add(f.actorId);
          drop('invalid', m, f);
        } else if (lag < 0) drop('discarded_policy', m, f);
        else if (lag > options.maxPolicyLag) drop('stale', m, f);
        else if (rows + R <= B) take(f, m);
        else if ((B - rows) % f.steps === 0) {
          // Room for some of its lanes: those now, the rest first in the next batch.
          const k = (B - rows) / f.steps;
          take(sliceLanes(f, 0, k), m, false);
          held = { fragment: sliceLanes(f, k, f.lanes), message: m };
        } else {
          if (!warnedShape.has(f.actorId))
            log(
              `distributed: actor ${f.actorId} sends ${f.steps}-step fragments, which do not fill the batch's last ${B - rows} rows (actors of one run need the same fragment steps): dropped`,
            );
          warnedShape.add(f.actorId);
          drop('invalid', m, f);
        }
        m.ack();
      }
      timer.stop('env');
      if (rows < B) {
        // Stopped while filling: nothing of this batch is committed, a resume takes it again.
        break;
      }
      // A held fragment is not committed yet: a resume reads it again, whole.
      if (held) work.streamSeq = held.message.seq - 1;

      // ---- update (in the learner's worker)
      const lr = run.learningRate(`${c.algo}.learningRate`);
      const entCoef = run.ctx.controls.entCoef ?? a.entCoef;
      const batch: Batch = isPpo ? { obs, actions, old_logprobs: logProbs, advantages, returns, old_values: values } : { obs, actions, advantages, returns };
      const seed = state.rngShuffle.nextUint32();
      timer.start('learner');
      const result = await learner
        .update(batch, { epochs, minibatches, lr, entCoef, seed, ...(targetKl > 0 ? { targetKl } : {}) })
        .finally(() => timer.stop('learner'));
      state.globalUpdate++;
      state.globalStep += B;
      ledger = work;
      await publishWeights();

      // ---- logging
      const phases = timer.readAndReset();
      const elapsed = (performance.now() - run.t0) / 1000;
      const dropped = DROP_REASONS.reduce((s, r) => s + ledger.dropped[r], 0);
      const seen = produced(ledger);
      const row: MetricsRow = {
        ...updateRow(result, { lr, entCoef, isPpo, targetKl, minibatches }, values, returns),
        'charts/policy_lag': mean(lags),
        'charts/SPS': ((state.globalUpdate - run.startUpdate) * B) / Math.max(elapsed, 1e-9),
        'charts/env_SPS': phases.env ? B / phases.env : null, // here: the rate fragments arrived at
        'charts/learner_SPS': phases.learner ? B / phases.learner : null,
        'time/elapsed_s': state.elapsedBefore + elapsed,
        'distributed/fragments_produced': seen,
        'distributed/fragments_consumed': ledger.consumed,
        'distributed/fragments_dropped': dropped,
        ...Object.fromEntries(DROP_REASONS.map((r) => [`distributed/fragments_dropped_${r}`, ledger.dropped[r]])),
        // Produced (by the actors' seq numbers) but neither trained on nor dropped: 0 unless fragments went missing from the stream.
        'distributed/fragments_missing': seen - ledger.consumed - ledger.dropped.stale - ledger.dropped.discarded_policy - ledger.dropped.invalid,
        'distributed/fragments_held': held ? 1 : 0,
        // Everything up to this stream sequence was trained on or dropped (a resume reads the stream after its checkpoint's).
        'distributed/stream_seq': ledger.streamSeq,
        'distributed/stream_pending': Math.max(0, streamLastSeq - ledger.streamSeq - (held ? 1 : 0)),
        'distributed/actors_seen': Object.keys(ledger.actors).length,
        'distributed/actors_in_batch': actorsInBatch.size,
        'distributed/policy_lag_mean': mean(lags),
        'distributed/policy_lag_max': Math.max(...lags),
        'distributed/bytes_received': ledger.bytes,
        // Per agent step the actors sent (dropped fragments' steps included): the broker's load per unit of acting.
        'distributed/bytes_per_agent_step': ledger.rowsReceived ? ledger.bytes / ledger.rowsReceived : null,
        // The other direction: the weights each actor downloads after updates (per actor, not per step).
        'distributed/weights_bytes': weightsRead(ledger),
        'distributed/weights_bytes_per_agent_step': ledger.rowsReceived ? weightsRead(ledger) / ledger.rowsReceived : null,
        // All the broker sent the run's processes (fragments to the learner, weights to the actors) per agent step.
        'distributed/total_bytes_per_agent_step': ledger.rowsReceived ? (ledger.bytes + weightsRead(ledger)) / ledger.rowsReceived : null,
        // Fragments the actors held back until newer weights came (theirs were too old for the lag bound): the stale drops avoided.
        'distributed/actor_waits_for_weights': weightsWaits(ledger),
      };
      lastRow = await run.row(state.globalStep, row);

      // ---- checkpoint, then the stream below it is no longer needed
      if (c.checkpoint.interval > 0 && state.globalUpdate % c.checkpoint.interval === 0) {
        await run.checkpoint(ledgerSection);
        await broker.purgeBelow(ledger.streamSeq + 1);
      }
      if (run.wallTimeUp()) shutdown.request('maxWallTime');
      warnedShape = warnedShape.size > 1000 ? new Set() : warnedShape;
    }
    await weightsPut;
    return lastRow;
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    // The actors' cue to leave: done at the end, stopped (with why) otherwise. Not written when killed: they time out.
    if (beat) {
      const reason = failure ? `error: ${String((failure as Error).message ?? failure).slice(0, 200)}` : (shutdown.reason ?? 'stopped');
      await (state.globalUpdate >= numUpdates && !failure ? beat.finish('done') : beat.finish('stopped', reason)).catch((err: unknown) =>
        log(`distributed: the run's end not stored for the actors: ${(err as Error).message}`),
      );
    }
    await broker.close();
  }
}
