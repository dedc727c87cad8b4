/**
 * The one file that speaks NATS: a connection to the broker of a distributed run and the three
 * JetStream things it uses, named from the run's namespace NS:
 *
 *   stream   NS_fragments (subject NS.fragments)  actors publish rollout fragments; the learner
 *            consumes them through its durable pull consumer `learner` with explicit acks. Limits
 *            retention with discard-new: a full stream refuses a publish (the actor waits: flow
 *            control) instead of losing old fragments. Publishes carry a message id, so a retried
 *            publish is stored once (JetStream's duplicate window).
 *   objects  NS-run (object store)  `config` (the learner's run config), `weights` (safetensors,
 *            metadata.version = the learner's update count), `status` (done when training ended).
 *
 * Every call that talks to the broker goes through `#retry`: while the broker is unreachable it is
 * retried with backoff for `retrySeconds`, saying so in the log, then fails with an error that
 * names the redacted URL. The log never sees credentials (BrokerAddress.redacted).
 *
 * Ownership: one Broker per process side (learner or actor); calls may overlap (the client
 * multiplexes), but the consumer is the learner's alone.
 */
import {
  AckPolicy,
  type Consumer,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  type JsMsg,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { type Authenticator, connect, credsAuthenticator, type NatsConnection, nkeyAuthenticator } from '@nats-io/transport-node';

import { type BrokerAddress } from './broker-url.js';

/** Options of {@link Broker.connect}. */
export interface BrokerOptions {
  /** Prefix of the stream, consumer and object store names (letters, digits, `-`, `_`). */
  namespace: string;
  /** Seconds a call keeps retrying while the broker is unreachable before it fails. */
  retrySeconds: number;
  /** Client name shown by the server's monitoring (e.g. `mario-rl learner`). */
  name: string;
  /** Log lines (connection changes, retries). */
  log: (message: string) => void;
}

/** A fragment message taken from the stream. */
export interface StreamMessage {
  /** The message body. */
  data: Uint8Array;
  /** Its stream sequence. */
  seq: number;
  /** Acknowledges it (explicit ack). */
  ack(): void;
}

/** Stream counts of the fragments stream. */
export interface StreamState {
  /** Sequence of the newest message ever stored. */
  lastSeq: number;
  /** Messages stored now. */
  messages: number;
  /** Bytes stored now. */
  bytes: number;
}

/** A name of the broker's objects. */
export type RunObject = 'config' | 'weights' | 'status';

/** What a stored object's info says (its revision changes with every put). */
export interface ObjectState {
  revision: number;
  metadata: Record<string, string>;
}

const CONSUMER = 'learner';

/** True for the errors a full stream (discard-new) gives a publish: the learner is behind, wait. */
export function isStreamFull(err: unknown): boolean {
  return /maximum (bytes|messages)|resource limits|insufficient resources/i.test(String((err as Error)?.message ?? err));
}

/** A connection to the broker of one distributed run. */
export class Broker {
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #options: BrokerOptions;
  readonly #address: BrokerAddress;
  #objects: ObjectStore | null = null;
  #consumer: Consumer | null = null;
  #closed = false;

  private constructor(nc: NatsConnection, jsm: JetStreamManager, address: BrokerAddress, options: BrokerOptions) {
    this.#nc = nc;
    this.#jsm = jsm;
    this.#js = jetstream(nc);
    this.#address = address;
    this.#options = options;
    void this.#watchStatus();
  }

  /** Connects (retrying for `retrySeconds` while the broker is unreachable) and checks that JetStream is enabled. */
  static async connect(address: BrokerAddress, options: BrokerOptions): Promise<Broker> {
    const authenticator: Authenticator | undefined = address.creds
      ? credsAuthenticator(address.creds)
      : address.nkeySeed
        ? nkeyAuthenticator(address.nkeySeed)
        : undefined;
    const open = async (): Promise<Broker> => {
      const nc = await connect({
        servers: address.server,
        name: options.name,
        ...(address.user !== undefined ? { user: address.user, pass: address.pass } : {}),
        ...(address.token !== undefined ? { token: address.token } : {}),
        ...(authenticator ? { authenticator } : {}),
        ...(address.tls ? { tls: address.tls } : {}),
        // Reconnects forever in the background; each call's own retry budget bounds how long work waits.
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1000,
        timeout: 5000,
      });
      try {
        const jsm = await jetstreamManager(nc, { timeout: 5000 });
        return new Broker(nc, jsm, address, options);
      } catch (err) {
        await nc.close().catch(() => {});
        throw new Error(`the broker at ${address.redacted} has no JetStream (start nats-server with -js): ${(err as Error).message}`, { cause: err });
      }
    };
    return retry(`connecting to ${address.redacted}`, open, options.retrySeconds, options.log, (err) =>
      /no JetStream|Authorization|authentication|permissions/i.test(String(err)),
    );
  }

  /** The largest message the server accepts (its `max_payload`). */
  get maxPayload(): number {
    return this.#nc.info?.max_payload ?? 1024 * 1024;
  }

  get #stream(): string {
    return `${this.#options.namespace}_fragments`;
  }

  get #subject(): string {
    return `${this.#options.namespace}.fragments`;
  }

  async #watchStatus(): Promise<void> {
    for await (const s of this.#nc.status()) {
      if (this.#closed) break;
      if (s.type === 'disconnect') this.#options.log(`broker: disconnected from ${this.#address.redacted}; reconnecting in the background`);
      else if (s.type === 'reconnect') this.#options.log(`broker: reconnected to ${this.#address.redacted}`);
      else if (s.type === 'error') this.#options.log(`broker: ${s.error.message}`);
    }
  }

  #retry<T>(what: string, work: () => Promise<T>): Promise<T> {
    return retry(`${what} (${this.#address.redacted})`, work, this.#options.retrySeconds, this.#options.log);
  }

  /** Creates the fragments stream if missing (its byte limit updated to `maxBytes` if it exists). */
  async ensureStream(maxBytes: number): Promise<void> {
    await this.#retry('creating the fragments stream', async () => {
      const config = {
        name: this.#stream,
        subjects: [this.#subject],
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.New,
        storage: StorageType.File,
        max_bytes: maxBytes,
        max_msg_size: -1,
      };
      try {
        await this.#jsm.streams.info(this.#stream);
        await this.#jsm.streams.update(this.#stream, { max_bytes: maxBytes });
      } catch (err) {
        if (!/not found/i.test(String(err))) throw err;
        await this.#jsm.streams.add(config);
      }
    });
  }

  /** Removes the fragments with a stream sequence below `seq` (all when omitted). */
  async purgeBelow(seq?: number): Promise<void> {
    await this.#retry('purging the fragments stream', () => this.#jsm.streams.purge(this.#stream, seq === undefined ? undefined : { seq }));
  }

  /** The fragments stream's counts. */
  async streamState(): Promise<StreamState> {
    const info = await this.#retry('reading the fragments stream', () => this.#jsm.streams.info(this.#stream));
    return { lastSeq: info.state.last_seq, messages: info.state.messages, bytes: info.state.bytes };
  }

  /**
   * Publishes one fragment, stored once whatever the retries (`msgId` is its identity); while the
   * stream is full (the learner is behind or away) it waits, logging every 30 s, without a time
   * limit: that is the flow control.
   */
  async publishFragment(data: Uint8Array, msgId: string, stopped: () => boolean = () => false): Promise<{ seq: number; duplicate: boolean } | null> {
    let waitingSince = 0;
    let lastSaid = 0;
    for (;;) {
      try {
        const ack = await this.#retry('publishing a fragment', () => this.#js.publish(this.#subject, data, { msgID: msgId, timeout: 10_000 }));
        if (waitingSince) this.#options.log(`broker: the fragments stream took fragments again after ${((Date.now() - waitingSince) / 1000).toFixed(0)} s`);
        return { seq: ack.seq, duplicate: ack.duplicate };
      } catch (err) {
        if (!isStreamFull(err)) throw err;
        const now = Date.now();
        waitingSince ||= now;
        if (now - lastSaid >= 30_000) {
          this.#options.log(
            `broker: the fragments stream is full (the learner is behind or away); waiting (${err instanceof Error ? err.message : String(err)})`,
          );
          lastSaid = now;
        }
        if (stopped()) return null;
        await sleep(500);
      }
    }
  }

  /**
   * (Re)creates the learner's durable pull consumer so that it delivers from stream sequence
   * `startSeq` on: a resumed learner takes up every fragment its checkpoint did not cover.
   */
  async openConsumer(startSeq: number): Promise<void> {
    await this.#retry('creating the learner consumer', async () => {
      await this.#jsm.consumers.delete(this.#stream, CONSUMER).catch((err: unknown) => {
        if (!/not found/i.test(String(err))) throw err;
      });
      await this.#jsm.consumers.add(this.#stream, {
        durable_name: CONSUMER,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: Math.max(1, startSeq),
        ack_wait: 120_000_000_000, // ns: a fragment is redelivered only if the learner held it unacked for 2 min
        max_ack_pending: 64,
      });
      this.#consumer = null;
    });
  }

  /** The next fragment message, or null when none arrived within `expiresMs`. */
  async nextFragment(expiresMs: number): Promise<StreamMessage | null> {
    const m: JsMsg | null = await this.#retry('fetching a fragment', async () => {
      this.#consumer ??= await this.#js.consumers.get(this.#stream, CONSUMER);
      try {
        return await this.#consumer.next({ expires: Math.max(1000, expiresMs) });
      } catch (err) {
        this.#consumer = null; // looked up again on the retry (the server may have restarted)
        throw err;
      }
    });
    if (!m) return null;
    return { data: m.data, seq: m.seq, ack: () => m.ack() };
  }

  async #store(): Promise<ObjectStore> {
    this.#objects ??= await this.#retry('opening the run object store', () =>
      new Objm(this.#nc).create(`${this.#options.namespace}-run`, { storage: StorageType.File }),
    );
    return this.#objects;
  }

  /** Stores `name` (replacing it); `metadata` travels with it. */
  async putObject(name: RunObject, data: Uint8Array, metadata: Record<string, string> = {}): Promise<void> {
    const store = await this.#store();
    await this.#retry(`storing ${name}`, () => store.putBlob({ name, metadata }, data));
  }

  /** The info of `name`, or null while there is none. */
  async objectState(name: RunObject): Promise<ObjectState | null> {
    const store = await this.#store();
    const info = await this.#retry(`reading ${name}'s info`, () => store.info(name));
    if (!info || info.deleted) return null;
    return { revision: info.revision, metadata: info.metadata ?? {} };
  }

  /** The bytes and info of `name`, or null while there is none (read again when it was replaced during the read). */
  async getObject(name: RunObject): Promise<{ data: Uint8Array; state: ObjectState } | null> {
    const store = await this.#store();
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await this.#retry(`reading ${name}`, async () => {
          const info = await store.info(name);
          if (!info || info.deleted) return null;
          const data = await store.getBlob(name);
          return data ? { data, state: { revision: info.revision, metadata: info.metadata ?? {} } } : null;
        });
        return result;
      } catch (err) {
        // A put that replaced the object while its chunks were read fails the digest check: read the new one.
        if (attempt >= 5 || !/digest|not found|no responders/i.test(String(err))) throw err;
      }
    }
  }

  /** Deletes `name` if present. */
  async deleteObject(name: RunObject): Promise<void> {
    const store = await this.#store();
    await this.#retry(`deleting ${name}`, async () => {
      const info = await store.info(name);
      if (info && !info.deleted) await store.delete(name);
    });
  }

  /** Flushes and closes the connection. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Drain flushes pending publishes; without a server it would wait for one, so it gets 2 s.
    const drained = await Promise.race([
      this.#nc.drain().then(
        () => true,
        () => false,
      ),
      sleep(2000).then(() => false),
    ]);
    if (!drained) await this.#nc.close().catch(() => {});
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Runs `work`, retrying failures with backoff (0.5 s doubling to 5 s) until `seconds` have passed;
 * `fatal` errors are not retried. Each retry is logged once with what failed; the final error says
 * for how long it was tried.
 */
export async function retry<T>(
  what: string,
  work: () => Promise<T>,
  seconds: number,
  log: (m: string) => void,
  fatal: (err: unknown) => boolean = () => false,
): Promise<T> {
  const start = Date.now();
  let delay = 500;
  for (let attempt = 1; ; attempt++) {
    try {
      const out = await work();
      if (attempt > 1) log(`broker: ${what} succeeded after ${attempt} attempts (${((Date.now() - start) / 1000).toFixed(1)} s)`);
      return out;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (fatal(err) || isStreamFull(err)) throw err;
      const left = seconds * 1000 - (Date.now() - start);
      if (left <= 0) throw new Error(`broker: ${what} failed for ${seconds} s (${attempt} attempts): ${message}`, { cause: err });
      log(`broker: ${what} failed (${message}); retry ${attempt} in ${(Math.min(delay, left) / 1000).toFixed(1)} s, ${(left / 1000).toFixed(0)} s left`);
      await sleep(Math.min(delay, left));
      delay = Math.min(delay * 2, 5000);
    }
  }
}
