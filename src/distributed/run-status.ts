/**
 * The learner's word to its actors about the run: the broker object `status`, whose metadata is
 * `{ runId, state, update, reason? }`:
 *
 *   running  the learner is at work; it stores `status` again every HEARTBEAT_SECONDS (a new
 *            revision each time), also while an update or a checkpoint runs
 *   done     the run reached its totalSteps: actors exit (code 0)
 *   stopped  the learner stopped before the end (a signal, maxWallTime, an error; `reason` says
 *            which): actors exit (code 3) and may be started again after a `--resume`
 *
 * A learner killed (`kill -9`, a lost machine) writes nothing: its actors see the revision stop
 * changing and, after their `learnerTimeout`, say so and exit (code 3). A learner resumed within
 * that time keeps them.
 *
 * Ownership: a StatusBeat belongs to the learner's loop; a LearnerWatch to one actor.
 */
import { type Broker, type ObjectState } from './broker.js';

/** What the `status` object says. */
export type RunState = 'running' | 'done' | 'stopped';

/** Seconds between the learner's heartbeats (actors' learnerTimeout must be well above it). */
export const HEARTBEAT_SECONDS = 2;

/** The learner's side: heartbeats while it runs, then the final state. */
export class StatusBeat {
  readonly #broker: Broker;
  readonly #runId: string;
  readonly #update: () => number;
  readonly #log: (message: string) => void;
  #running = true;
  #wake: (() => void) | null = null;
  #loop: Promise<void> = Promise.resolve();

  constructor(broker: Broker, runId: string, update: () => number, log: (message: string) => void) {
    this.#broker = broker;
    this.#runId = runId;
    this.#update = update;
    this.#log = log;
  }

  /** [async] Stores `running` now and then every HEARTBEAT_SECONDS until {@link finish}. */
  async start(): Promise<void> {
    await this.#put('running');
    this.#loop = this.#beat();
  }

  async #beat(): Promise<void> {
    while (this.#running) {
      await new Promise<void>((ok) => {
        const timer = setTimeout(ok, HEARTBEAT_SECONDS * 1000);
        this.#wake = () => {
          clearTimeout(timer);
          ok();
        };
      });
      if (!this.#running) break;
      // A broker away past retrySeconds fails the loop's own calls; the heartbeat only says so.
      await this.#put('running').catch((err: unknown) => this.#log(`distributed: heartbeat not stored: ${(err as Error).message}`));
    }
  }

  /** [async] Stops the heartbeats (waiting for one in flight, so it cannot land after) and stores `state`. */
  async finish(state: Exclude<RunState, 'running'>, reason = ''): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    await this.#put(state, reason);
  }

  #put(state: RunState, reason = ''): Promise<void> {
    const metadata: Record<string, string> = { runId: this.#runId, state, update: String(this.#update()) };
    if (reason) metadata.reason = reason;
    return this.#broker.putObject('status', new TextEncoder().encode(state), metadata);
  }
}

/** What an actor concludes from the `status` object of the run it acts for. */
export type LearnerVerdict = { kind: 'running' } | { kind: 'done' } | { kind: 'stopped'; reason: string } | { kind: 'silent'; seconds: number };

/**
 * The actor's side: reads `status` (via {@link observe}) and says whether the learner of `runId`
 * finished, stopped, or has been silent (no new revision) for longer than `timeoutSeconds`
 * (0: never silent). Time is the actor's own clock: only revisions cross machines.
 */
export class LearnerWatch {
  readonly #runId: string;
  readonly #timeoutMs: number;
  #revision = -1;
  #changedAt: number;

  constructor(runId: string, timeoutSeconds: number, now = Date.now()) {
    this.#runId = runId;
    this.#timeoutMs = timeoutSeconds * 1000;
    this.#changedAt = now;
  }

  /** The verdict on `status` (null: there is none) read at `now`. */
  observe(status: ObjectState | null, now = Date.now()): LearnerVerdict {
    const revision = status?.revision ?? -1;
    if (revision !== this.#revision) {
      this.#revision = revision;
      this.#changedAt = now;
    }
    if (status?.metadata.runId === this.#runId) {
      if (status.metadata.state === 'done') return { kind: 'done' };
      if (status.metadata.state === 'stopped') return { kind: 'stopped', reason: status.metadata.reason ?? '' };
    }
    const silent = now - this.#changedAt;
    if (this.#timeoutMs > 0 && silent > this.#timeoutMs) return { kind: 'silent', seconds: silent / 1000 };
    return { kind: 'running' };
  }
}
