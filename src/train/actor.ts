/**
 * An actor of a distributed run: it takes the run's config and the newest weights from the broker,
 * steps its own VecEnv with the acting policy and publishes rollout fragments for the learner
 * (src/train/distributed-learner.ts):
 *
 *   config (broker) → VecEnv [lanes] + acting policy → [new weights? load → paced (pace: its weights
 *   and the stream ahead within the learner's lag bound)? fragment [steps × lanes] → publish (id
 *   actorId-seq)]* → until the learner says done, or a signal
 *
 * It needs only the broker's address: everything the run is (game, observation, network, rewards)
 * comes from the learner's config, so actors on other machines cannot drift from it. An smb1 run's
 * ROM is read on the actor's machine (`rom`, else $MARIO_ROM, else the learner's env.rom path).
 *
 * Each start is a new actor (a fresh actorId, seq from 0): a killed actor loses only the fragment
 * it was collecting, and a restarted one joins as another actor. If the learner starts a new run
 * (a new runId) the actor rebuilds itself for it.
 *
 * Ownership: the Actor owns its env, its acting session and its broker connection; `run()` once.
 */
import { randomUUID } from 'node:crypto';

import { sampleFromLogits } from '../algos/action-sampling.js';
import { Broker, type ObjectState } from '../distributed/broker.js';
import { LearnerWatch } from '../distributed/run-status.js';
import { encodeFragment, fragmentArrayBytes, type Fragment, newFragment } from '../distributed/fragment.js';
import { type ActorSideOptions, actorOptions, type Resolved } from '../distributed/options.js';
import { protocolMismatch } from '../distributed/protocol.js';
import { VecEnv } from '../env/vec-env.js';
import { Learner } from '../runtime/learner.js';
import { Rng } from '../util/rng.js';
import { type TrainerConfig, validateConfig } from './config.js';
import { obsBytes, readRom, runStages, trainSpecFor, vecEnvOptions } from './env-options.js';
import { type RunAnnouncement } from './distributed-learner.js';
import { storeStep } from './on-policy.js';

/** Options of `new Actor(options, extra)` that are not broker-side fields. */
export interface ActorExtras {
  /** ROM bytes for an smb1 run (default: $MARIO_ROM, else the learner's env.rom path, read here). */
  rom?: Uint8Array;
  /** Log lines (joins, weights loaded, broker trouble). Default: stderr with a `mario-rl actor:` prefix. */
  log?: (message: string) => void;
  /** Called after each fragment the broker stored. */
  onFragment?: (info: {
    actorId: string;
    seq: number;
    policyVersion: number;
    bytes: number;
    weightsBytes: number;
    weightsWaits: number;
    streamSeq: number;
  }) => void;
}

/** Why {@link Actor.run} returned (see {@link ActorSummary.stopReason}). */
export type ActorStopReason = 'done' | 'stopped' | 'learner-stopped' | 'learner-gone' | 'incompatible';

/** What {@link Actor.run} returns. */
export interface ActorSummary {
  /** This actor's id (the last one, if the learner started a new run meanwhile). */
  actorId: string;
  /** Fragments the broker stored. */
  fragments: number;
  /** Agent steps in them. */
  agentSteps: number;
  /** Bytes published. */
  bytes: number;
  /** Bytes of weights read from the broker (every version downloaded, in every run joined). */
  weightsBytes: number;
  /** Fragments held back until newer weights were read (its own were too old for the learner's maxPolicyLag), in every run joined. */
  weightsWaits: number;
  /**
   * Why it stopped: 'done' (the learner finished the run), 'stopped' (stop() or a signal),
   * 'learner-stopped' (the learner stopped before the end: a signal, maxWallTime, an error) or
   * 'learner-gone' (no heartbeat from the learner, or no learner to join, for learnerTimeout), or
   * 'incompatible' (the learner speaks another protocol revision, i.e. runs another mario-rl
   * version: src/distributed/protocol.ts; nothing was published). `mario-rl actor` exits with 0 for
   * the first two, 3 for the next two and 4 for 'incompatible'.
   */
  stopReason: ActorStopReason;
  /** What the actor said when it stopped (the learner's reason, how long it was silent). */
  stopMessage: string;
}

/** Sizes an actor derives from the run's config and its own options. */
export interface ActorPlan {
  lanes: number;
  steps: number;
}

/**
 * The fragment shape for `config` under `options` on a broker accepting `maxPayload` bytes: lanes
 * must divide numEnvs and steps numSteps (so fragments fill the learner's batch exactly); with
 * `fragmentSteps` 0 the longest divisor of numSteps that fits. Errors name the option.
 */
export function planFragments(config: TrainerConfig, options: Pick<ActorSideOptions, 'lanes' | 'fragmentSteps'>, maxPayload: number): ActorPlan {
  const a = config.algo === 'ppo' ? config.ppo : config.a2c;
  const lanes = options.lanes || a.numEnvs;
  if (a.numEnvs % lanes !== 0) throw new RangeError(`Expected a divisor of the run's numEnvs (${a.numEnvs}) for actor.lanes but received ${lanes}`);
  const obs = obsBytes(config.env);
  const headroom = 64 * 1024; // JSON header (episodes) and the message's own headers
  const fits = (steps: number) => fragmentArrayBytes(lanes, steps, obs) + headroom <= maxPayload;
  if (options.fragmentSteps > 0) {
    const steps = options.fragmentSteps;
    if (a.numSteps % steps !== 0)
      throw new RangeError(`Expected a divisor of the run's numSteps (${a.numSteps}) for actor.fragmentSteps but received ${steps}`);
    if (!fits(steps))
      throw new RangeError(
        `Expected a fragment of at most ${maxPayload} bytes (the broker's max_payload) for actor.lanes × actor.fragmentSteps but received ${lanes} × ${steps} = ${fragmentArrayBytes(lanes, steps, obs)} bytes: use fewer lanes or steps, or raise max_payload in nats-server.conf`,
      );
    return { lanes, steps };
  }
  for (let steps = a.numSteps; steps >= 1; steps--) if (a.numSteps % steps === 0 && fits(steps)) return { lanes, steps };
  throw new RangeError(
    `Expected a fragment of at most ${maxPayload} bytes (the broker's max_payload) for actor.lanes but received ${lanes} lanes of ${obs}-byte observations (${fragmentArrayBytes(lanes, 1, obs)} bytes per step): use fewer lanes or raise max_payload in nats-server.conf`,
  );
}

/** What an actor does before its next fragment (see {@link pace}). */
export type PaceDecision = 'collect' | 'wait-for-weights' | 'wait-for-learner';

/** What {@link pace} weighs. */
export interface PaceState {
  /** Version of the weights the actor acts with. */
  own: number;
  /** Version of the newest weights the learner published (its update count). */
  newest: number;
  /** Fragments ahead of the learner: stream messages it has not committed, the actor's own last one included. */
  pending: number;
  /** Rows (lanes × steps) of one fragment. */
  fragmentRows: number;
  /** Rows of the learner's batch (numEnvs × numSteps). */
  batchRows: number;
  /** The learner's maxPolicyLag. */
  maxPolicyLag: number;
}

/**
 * Whether an actor may start another fragment, so that it arrives within the learner's lag bound.
 * A fragment started now acts with version `own` and is trained after the batches already waiting
 * ahead of it (`pending` fragments), while the learner is at `newest`: its lag is about
 * (newest − own) + ⌊pending / fragments per batch⌋, plus the update or so that runs while it is
 * collected; that sum must stay below `maxPolicyLag` (at least 1), else the fragment would be
 * dropped as stale (work thrown away):
 *   - the batches ahead alone reach it: 'wait-for-learner' (a learner that is away, killed or
 *     restarting, thus pauses its actors instead of letting them fill the stream with fragments it
 *     would drop);
 *   - the actor's own weights are what makes it too old (a background read skipped versions or was
 *     slow), or they are newer than the newest (a resumed learner went back: the fragment would be
 *     dropped as discarded_policy): 'wait-for-weights', read the newest first;
 *   - else 'collect'.
 */
export function pace(s: PaceState): PaceDecision {
  const perBatch = Math.max(1, Math.floor(s.batchRows / s.fragmentRows));
  const ahead = Math.floor(Math.max(0, s.pending) / perBatch);
  const bound = Math.max(1, s.maxPolicyLag);
  if (ahead >= bound) return 'wait-for-learner';
  if (s.own > s.newest || s.newest - s.own + ahead >= bound) return 'wait-for-weights';
  return 'collect';
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** An actor process's work: join the run, act, publish fragments. */
export class Actor {
  readonly options: Resolved<ActorSideOptions>;
  #extras: ActorExtras;
  #log: (message: string) => void;
  #stop = false;
  #running = false;

  /** Validates the options (errors name `actor.<field>`); nothing connects until {@link run}. */
  constructor(options: Partial<ActorSideOptions> & { broker: string }, extras: ActorExtras = {}) {
    this.options = actorOptions(options);
    this.#extras = extras;
    this.#log = extras.log ?? ((m) => console.error(`mario-rl actor: ${m}`));
  }

  /** Asks `run()` to return after the fragment in progress (that fragment is not published). */
  stop(): void {
    this.#stop = true;
  }

  /** [async] Acts until the learner finishes the run or {@link stop}; rejects when the broker stays unreachable past retrySeconds. */
  async run(): Promise<ActorSummary> {
    if (this.#running) throw new Error('Actor.run() is already running');
    this.#running = true;
    const o = this.options;
    const broker = await Broker.connect(o.address, { namespace: o.namespace, retrySeconds: o.retrySeconds, name: 'mario-rl actor', log: this.#log });
    const total: ActorSummary = {
      actorId: '',
      fragments: 0,
      agentSteps: 0,
      bytes: 0,
      weightsBytes: 0,
      weightsWaits: 0,
      stopReason: 'stopped',
      stopMessage: 'stopped',
    };
    const end = (reason: ActorStopReason, message: string) => {
      total.stopReason = reason;
      total.stopMessage = message;
      this.#log(message);
    };
    try {
      while (!this.#stop) {
        const joined = await this.#join(broker);
        if (typeof joined === 'string') {
          if (joined) end('learner-gone', joined);
          break;
        }
        if ('mismatch' in joined) {
          end('incompatible', joined.mismatch);
          break;
        }
        const reason = await this.#act(broker, joined, total, end);
        if (reason !== 'new-run') break;
      }
      return total;
    } finally {
      this.#running = false;
      await broker.close();
    }
  }

  /**
   * Waits for a learner at work (status `running` for the config's run); '' when stopped
   * meanwhile, or why it gave up after learnerTimeout; `mismatch` when the learner speaks another
   * protocol revision (checked before anything else of the announcement is read).
   */
  async #join(broker: Broker): Promise<{ announcement: RunAnnouncement; revision: number } | { mismatch: string } | string> {
    const timeout = this.options.learnerTimeout;
    const start = Date.now();
    let said = false;
    while (!this.#stop) {
      // A finished or stopped run's config stays until the next learner replaces it: not one to join.
      const status = await broker.objectState('status');
      if (status?.metadata.state === 'running') {
        const got = await broker.getObject('config');
        const announcement = got ? (JSON.parse(new TextDecoder().decode(got.data)) as RunAnnouncement) : undefined;
        if (got && announcement?.runId === status.metadata.runId) {
          const mismatch = protocolMismatch(announcement, announcement.runId);
          return mismatch ? { mismatch } : { announcement, revision: got.state.revision };
        }
      }
      if (timeout > 0 && Date.now() - start > timeout * 1000)
        return `no learner at work on ${this.options.address.redacted} (namespace ${this.options.namespace}) within ${timeout} s (actor.learnerTimeout); exiting`;
      if (!said)
        this.#log(
          `waiting for a learner on ${this.options.address.redacted} (namespace ${this.options.namespace})${timeout > 0 ? ` for up to ${timeout} s` : ''}`,
        );
      said = true;
      await sleep(500);
    }
    return '';
  }

  /** Acts for one run; returns why it stopped ('new-run': the learner announced another run). */
  async #act(
    broker: Broker,
    joined: { announcement: RunAnnouncement; revision: number },
    total: ActorSummary,
    end: (reason: ActorStopReason, message: string) => void,
  ): Promise<ActorStopReason | 'new-run'> {
    const { runId } = joined.announcement;
    const c = validateConfig(joined.announcement.config);
    if (c.algo === 'dqn') throw new RangeError("Expected a run with algo 'ppo' or 'a2c' for a distributed actor but received 'dqn'");
    const plan = planFragments(c, this.options, broker.maxPayload);
    const actorId = randomUUID();
    total.actorId = actorId;
    // Each actor its own streams: seeds from the run's seed and the actor's id.
    const seed = (c.seed * 1_000_003 + Number.parseInt(actorId.slice(0, 8), 16)) % 2 ** 32;
    const rom = this.#extras.rom ?? (c.env.game === 'smb1' && process.env.MARIO_ROM ? readRom('') : undefined);
    const env = new VecEnv({ ...vecEnvOptions(c, plan.lanes, seed, rom), ...(this.options.threads > 0 ? { numThreads: this.options.threads } : {}) });
    let policy: Learner | undefined;
    const newWeights = new WeightsFetch(broker);
    let weightsWaits = 0; // fragments held back for newer weights (this run)
    try {
      const { weights } = runStages(c);
      if (weights.some((w) => w !== weights[0])) env.setStageWeights(weights);
      policy = await Learner.create({ train: trainSpecFor(c), seed, device: 'cpu', threads: 1, onWarning: (m) => this.#log(m) });
      const rng = new Rng(seed, 1);
      const N = plan.lanes;
      const A = env.numActions;
      const obsSize = obsBytes(c.env);
      const rewardScale = c.env.rewardScale;
      this.#log(`joined run ${runId} as actor ${actorId}: ${N} lanes × ${plan.steps}-step fragments (${c.algo}, ${c.network} network, game ${c.env.game})`);

      let version = -1;
      let weightsRevision = -1;
      let lastStreamSeq = 0; // stream sequence of this actor's newest fragment
      let pausedSince = 0;
      let pauseSaid = false;
      // The next fragment waits for the weights whose manifest was newest when it began to wait (revision; -1: not waiting).
      let waitingFor = -1;
      const a = c.algo === 'ppo' ? c.ppo : c.a2c;
      const batchRows = a.numEnvs * a.numSteps;
      const nextObs = new Uint8Array(N * obsSize);
      const actions = new Int32Array(N);
      const logProbs = new Float32Array(N);
      nextObs.set(env.reset({ seed }).obs);
      const fragment: Fragment = newFragment({
        runId,
        actorId,
        seq: 0,
        policyVersion: 0,
        weightsBytes: 0,
        weightsWaits: 0,
        lanes: N,
        steps: plan.steps,
        obsBytes: obsSize,
        episodes: [],
      });

      // Is the run over, its learner silent, or replaced by another run? Asked at most every 2 s.
      const watch = new LearnerWatch(runId, this.options.learnerTimeout);
      let checkedRun = 0;
      const runEnded = async (): Promise<ActorStopReason | 'new-run' | null> => {
        if (Date.now() - checkedRun <= 2000) return null;
        checkedRun = Date.now();
        const verdict = watch.observe(await broker.objectState('status'));
        if (verdict.kind === 'done') {
          end('done', `the learner finished run ${runId}: ${total.fragments} fragments published`);
          return 'done';
        }
        if (verdict.kind === 'stopped') {
          end('learner-stopped', `the learner stopped run ${runId} before its end (${verdict.reason}); exiting: start actors again when it resumes`);
          return 'learner-stopped';
        }
        if (verdict.kind === 'silent') {
          end(
            'learner-gone',
            `no heartbeat from the learner of run ${runId} for ${verdict.seconds.toFixed(0)} s (actor.learnerTimeout ${this.options.learnerTimeout} s): it was killed or lost the broker; exiting`,
          );
          return 'learner-gone';
        }
        const config = await broker.objectState('config');
        if (config && config.revision !== joined.revision && config.metadata.runId !== runId) {
          this.#log(`the learner started another run (${config.metadata.runId}): rejoining`);
          return 'new-run';
        }
        return null;
      };
      for (let seq = 0; !this.#stop;) {
        // ---- between fragments (also while paused): the run's state, then new weights
        const ended = await runEnded();
        if (ended) return ended;
        const w = await broker.weightsState();
        if (!w || w.metadata.runId !== runId) {
          await sleep(200); // the learner has not published this run's weights yet
          continue;
        }
        // New weights are read in the background while the actor goes on with the ones it has, as
        // long as they are recent enough for the lag bound (pace); the first are waited for.
        const got = newWeights.take();
        if (got && got.state.metadata.runId === runId && got.state.revision > weightsRevision) {
          policy.loadParams(got.data);
          weightsRevision = got.state.revision;
          version = Number(got.state.metadata.version);
        }
        if (w.revision > weightsRevision) newWeights.fetch();
        if (version < 0) {
          await newWeights.settled(sleep(20));
          continue;
        }
        const learnerSeq = Number(w.metadata.streamSeq ?? 0);
        const decision = pace({
          own: version,
          newest: Number(w.metadata.version),
          pending: lastStreamSeq - learnerSeq,
          fragmentRows: N * plan.steps,
          batchRows,
          maxPolicyLag: joined.announcement.maxPolicyLag ?? 4,
        });
        // Collected now, the fragment would arrive past the lag bound: wait for the newest weights, once
        // per fragment. Not again once they are in: a learner that publishes faster than this actor
        // reads would keep it waiting forever (the fragment may then be dropped as stale, and counted).
        if (decision === 'wait-for-weights' && (waitingFor < 0 || weightsRevision < waitingFor)) {
          if (waitingFor < 0) {
            weightsWaits++;
            waitingFor = w.revision;
          }
          await newWeights.settled(sleep(20));
          continue;
        }
        if (decision === 'wait-for-learner') {
          // Pauses between updates are routine; one longer than 5 s (the learner is away) is said.
          pausedSince ||= Date.now();
          if (!pauseSaid && Date.now() - pausedSince > 5000) {
            this.#log(`pausing: ${lastStreamSeq - learnerSeq} fragments wait for the learner (more would arrive past its maxPolicyLag)`);
            pauseSaid = true;
          }
          await sleep(100);
          continue;
        }
        if (pauseSaid) this.#log(`resuming after ${((Date.now() - pausedSince) / 1000).toFixed(0)} s: the learner caught up`);
        pausedSince = 0;
        pauseSaid = false;

        // ---- one fragment of plan.steps steps, rows time-major [steps, lanes]
        fragment.seq = seq;
        fragment.policyVersion = version;
        fragment.weightsBytes = newWeights.bytesRead;
        fragment.weightsWaits = weightsWaits;
        waitingFor = -1;
        fragment.episodes = [];
        fragment.finalValues.fill(0);
        for (let t = 0; t < plan.steps; t++) {
          const out = await policy.act(nextObs);
          sampleFromLogits(out.logits!, N, A, rng, actions, logProbs);
          const i0 = t * N;
          fragment.obs.set(nextObs, i0 * obsSize);
          fragment.actions.set(actions, i0);
          fragment.logProbs.set(logProbs, i0);
          fragment.values.set(out.value!, i0);
          const r = await env.stepAsync(actions);
          await storeStep(r, i0, rewardScale, fragment, policy, (n) =>
            fragment.episodes.push({
              lane: n,
              step: t,
              return: r.episode.return[n]!,
              length: r.episode.length[n]!,
              maxX: r.episode.maxX[n]!,
              flag: r.episode.flag[n] === 1,
            }),
          );
          nextObs.set(r.obs);
          if (this.#stop) return 'stopped'; // the fragment in progress is abandoned, never half-sent
        }
        fragment.nextValues.set((await policy.act(nextObs)).value!);

        // ---- publish: stored once under its id, whatever the retries
        const bytes = encodeFragment(fragment);
        // A full stream waits for the learner: not past the run's end or the learner's silence.
        let endedWhileFull: ActorStopReason | 'new-run' | null = null;
        const ack = await broker.publishFragment(bytes, `${actorId}-${seq}`, async () => this.#stop || (endedWhileFull = await runEnded()) !== null);
        if (!ack) return endedWhileFull ?? 'stopped';
        total.fragments++;
        total.agentSteps += N * plan.steps;
        total.bytes += bytes.length;
        lastStreamSeq = ack.seq;
        this.#extras.onFragment?.({
          actorId,
          seq,
          policyVersion: version,
          bytes: bytes.length,
          weightsBytes: fragment.weightsBytes,
          weightsWaits,
          streamSeq: ack.seq,
        });
        seq++;
      }
      return 'stopped';
    } finally {
      await newWeights.settled();
      total.weightsBytes += newWeights.bytesRead;
      total.weightsWaits += weightsWaits;
      env.close();
      await policy?.close();
    }
  }
}

/** One background read of the newest weights at a time; its result is taken once. */
class WeightsFetch {
  readonly #broker: Broker;
  #inFlight: Promise<void> | null = null;
  #result: { data: Uint8Array; state: ObjectState } | null = null;
  #error: unknown = null;
  /** Bytes of the reads finished so far (taken or not: they crossed the network either way). */
  bytesRead = 0;

  constructor(broker: Broker) {
    this.#broker = broker;
  }

  /** Starts a read unless one is in flight or its result waits to be taken. */
  fetch(): void {
    if (this.#inFlight || this.#result) return;
    this.#inFlight = this.#broker
      .getWeights()
      .then(
        (got) => {
          this.#result = got;
          this.bytesRead += got?.data.length ?? 0;
        },
        (err: unknown) => void (this.#error = err),
      )
      .finally(() => (this.#inFlight = null));
  }

  /** The finished read's result (once), or null; rethrows its failure (the broker gone past retrySeconds). */
  take(): { data: Uint8Array; state: ObjectState } | null {
    if (this.#error) throw this.#error;
    const got = this.#result;
    this.#result = null;
    return got;
  }

  /** [async] Waits for a read in flight (before the broker closes); with none in flight, for `otherwise` (a pause, so that a caller's loop does not spin). */
  async settled(otherwise: Promise<void> = Promise.resolve()): Promise<void> {
    await (this.#inFlight ?? otherwise);
  }
}
