/**
 * The one file that speaks NATS: a connection to the broker of a distributed run and the three
 * JetStream things it uses, named from the run's namespace NS:
 *
 *   stream   NS_fragments (subject NS.fragments)  actors publish rollout fragments; the learner
 *            consumes them through its durable pull consumer `learner` with explicit acks. Limits
 *            retention with discard-new: a full stream refuses a publish (the actor waits: flow
 *            control) instead of losing old fragments. Publishes carry a message id, so a retried
 *            publish is stored once (JetStream's duplicate window).
 *   stream   NS_weights (subjects NS.weights.>)  the learner's weights after each update (safetensors,
 *            metadata.version = the learner's update count), each version chunks then a manifest with
 *            their sequences and SHA-256 (src/distributed/weights.ts); the newest WEIGHTS_KEPT versions
 *            are kept (max_msgs_per_subject), read by actors with direct gets. Not the object store:
 *            its client hashes every put and read with a JavaScript SHA-256 (≈ 22 ms per MB, a
 *            quarter of a runner-ram learner's CPU); node:crypto's native one checks these.
 *   objects  NS-run (object store)  `config` (the learner's run config), `status` (done when
 *            training ended): small, put rarely (status every 2 s: a few bytes).
 *
 * Every call that talks to the broker goes through `#retry`: while the broker is unreachable it is
 * retried with backoff for `retrySeconds`, saying so in the log, then fails with an error that
 * names the redacted URL. The log never sees credentials (BrokerAddress.redacted).
 *
 * Ownership: one Broker per process side (learner or actor); calls may overlap (the client
 * multiplexes), but the consumer is the learner's alone.
 */
import { randomUUID } from 'node:crypto';

import {
  AckPolicy,
  type ConsumerMessages,
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

import { concatBytes } from '../bytes.js';
import { type BrokerAddress } from './broker-url.js';
import { assembleWeights, decodeManifest, encodeManifest, sha256Hex, splitChunks, type WeightsManifest } from './weights.js';

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
  /**
   * Messages of the stream after it that the consumer had not yet delivered when it delivered this
   * one (JetStream's delivery info): with `seq`, how far the stream reached then, without asking.
   */
  pending: number;
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
export type RunObject = 'config' | 'status';

/** What a stored object's info (or the weights' manifest) says: its revision grows with every put. */
export interface ObjectState {
  revision: number;
  metadata: Record<string, string>;
}

const CONSUMER = 'learner';
/** Fragments the learner's client pulls ahead of the one it trains on (a fragment is at most max_payload). */
const PREFETCH = 8;
/**
 * Weights versions the weights stream keeps: a reader whose version was replaced meanwhile finds
 * its chunks for this many puts. 8, not 3: a learner of small updates publishes every 0.2 s, and
 * an actor starting on a loaded machine (a CI run's 2 cores) could take longer than three of them
 * to read 2.4 MB, start again on the newest, and never finish. The cost: the broker stores 8
 * versions (≈ 19 MB for runner-ram's mlp).
 */
export const WEIGHTS_KEPT = 8;
/** Room a weights chunk leaves in a message for its headers (message id). */
const CHUNK_HEADROOM = 4096;

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
  #weightsStream: Promise<void> | null = null;
  /** This connection's weights puts: message ids `<id>-<put>-<chunk>` make a retried publish stored once, and a resumed learner's puts new ones. */
  readonly #putId = randomUUID();
  #puts = 0;
  /** The learner's open pull of fragments: up to PREFETCH taken ahead, so the next is local when the learner asks. */
  #fragments: { messages: ConsumerMessages; iterator: AsyncIterator<JsMsg>; waiting: Promise<IteratorResult<JsMsg>> | null } | null = null;
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
   * stream is full (the learner is behind or away) it waits, logging every 30 s, until `stopped()`
   * says to give up (null): that is the flow control.
   */
  async publishFragment(
    data: Uint8Array,
    msgId: string,
    stopped: () => boolean | Promise<boolean> = () => false,
  ): Promise<{ seq: number; duplicate: boolean } | null> {
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
        if (await stopped()) return null;
        await sleep(500);
      }
    }
  }

  /**
   * (Re)creates the learner's durable pull consumer so that it delivers from stream sequence
   * `startSeq` on: a resumed learner takes up every fragment its checkpoint did not cover.
   */
  async openConsumer(startSeq: number): Promise<void> {
    this.#stopFragments();
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
    });
  }

  #stopFragments(): void {
    this.#fragments?.messages.stop();
    this.#fragments = null;
  }

  /**
   * The next fragment message, or null when none arrived within `expiresMs`. Fragments are pulled
   * ahead (PREFETCH, explicit acks) while the learner trains, so a fragment that is in the stream
   * is taken without a round trip to the broker.
   */
  async nextFragment(expiresMs: number): Promise<StreamMessage | null> {
    const m = await this.#retry('fetching a fragment', async () => {
      if (!this.#fragments) {
        const consumer = await this.#js.consumers.get(this.#stream, CONSUMER);
        const messages = await consumer.consume({ max_messages: PREFETCH });
        this.#fragments = { messages, iterator: messages[Symbol.asyncIterator](), waiting: null };
      }
      const f = this.#fragments;
      f.waiting ??= f.iterator.next();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const expired = new Promise<'expired'>((ok) => (timer = setTimeout(() => ok('expired'), expiresMs)));
      try {
        const got = await Promise.race([f.waiting, expired]);
        if (got === 'expired') return null; // the pull stays open: the message it brings is the next call's
        f.waiting = null;
        if (got.done) throw new Error('the fragments consumer stopped');
        return got.value;
      } catch (err) {
        this.#stopFragments(); // opened again on the retry (the server may have restarted)
        throw err;
      } finally {
        clearTimeout(timer);
      }
    });
    if (!m) return null;
    return { data: m.data, seq: m.seq, pending: m.info.pending, ack: () => m.ack() };
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

  /**
   * The bytes and info of `name`, or null while there is none. An object replaced while its chunks
   * are read loses them (the store purges the old revision's chunks once the new one is in), and
   * the client's reader would then wait for them forever: the read watches the object's revision
   * and starts again on the new one; a read with no chunk for `stallSeconds` is retried as a failure.
   */
  async getObject(name: RunObject, stallSeconds = 30): Promise<{ data: Uint8Array; state: ObjectState } | null> {
    const store = await this.#store();
    for (let attempt = 1; ; attempt++) {
      const result = await this.#retry(`reading ${name}`, () => readObject(store, name, stallSeconds));
      if (result !== 'replaced') return result;
      if (attempt >= 100) throw new Error(`broker: ${name} was replaced during each of ${attempt} reads (${this.#address.redacted})`);
    }
  }

  get #weights(): { stream: string; head: string; chunk: (i: number) => string } {
    const ns = this.#options.namespace;
    return { stream: `${ns}_weights`, head: `${ns}.weights.head`, chunk: (i) => `${ns}.weights.chunk.${i}` };
  }

  /** Creates the weights stream if missing (either side may be first; the config is the same). */
  #ensureWeights(): Promise<void> {
    this.#weightsStream ??= this.#retry('creating the weights stream', async () => {
      const { stream } = this.#weights;
      try {
        await this.#jsm.streams.info(stream);
      } catch (err) {
        if (!/not found/i.test(String(err))) throw err;
        await this.#jsm.streams.add({
          name: stream,
          subjects: [`${this.#options.namespace}.weights.>`],
          retention: RetentionPolicy.Limits,
          discard: DiscardPolicy.Old,
          storage: StorageType.File,
          max_msgs_per_subject: WEIGHTS_KEPT,
          max_msg_size: -1,
          allow_direct: true,
        });
      }
    }).catch((err: unknown) => {
      this.#weightsStream = null; // asked again by the next call
      throw err;
    });
    return this.#weightsStream;
  }

  /**
   * Publishes a weights version: its chunks (each at most max_payload), then its manifest (their
   * stream sequences, length, SHA-256 and `metadata`). Readers see the version once the manifest is
   * in; a publish retried after a broker restart is stored once (message ids).
   */
  async putWeights(data: Uint8Array, metadata: Record<string, string>): Promise<void> {
    await this.#ensureWeights();
    const w = this.#weights;
    const id = `${this.#putId}-${this.#puts++}`;
    const chunks = splitChunks(data, Math.max(1, this.maxPayload - CHUNK_HEADROOM));
    const seqs = await Promise.all(
      chunks.map((c, i) => this.#retry('storing weights', async () => (await this.#js.publish(w.chunk(i), c, { msgID: `${id}-${i}`, timeout: 10_000 })).seq)),
    );
    const manifest: WeightsManifest = { bytes: data.length, sha256: sha256Hex(data), chunks: seqs, metadata };
    await this.#retry('storing the weights manifest', () => this.#js.publish(w.head, encodeManifest(manifest), { msgID: `${id}-head`, timeout: 10_000 }));
  }

  /** The newest weights version's manifest (revision: its stream sequence), or null while there is none. */
  async weightsState(): Promise<ObjectState | null> {
    const head = await this.#weightsHead();
    return head && { revision: head.seq, metadata: head.manifest.metadata };
  }

  async #weightsHead(): Promise<{ seq: number; manifest: WeightsManifest } | null> {
    await this.#ensureWeights();
    const w = this.#weights;
    const m = await this.#retry('reading the weights manifest', () => this.#jsm.direct.getMessage(w.stream, { last_by_subj: w.head }));
    return m && { seq: m.seq, manifest: decodeManifest(m.data) };
  }

  /**
   * The newest weights version, checked against its manifest's SHA-256, or null while there is
   * none. A chunk that is gone (WEIGHTS_KEPT newer versions came in during the read) starts the
   * read again on the newest version.
   */
  async getWeights(): Promise<{ data: Uint8Array; state: ObjectState } | null> {
    const w = this.#weights;
    for (let attempt = 1; ; attempt++) {
      const head = await this.#weightsHead();
      if (!head) return null;
      const { manifest } = head;
      const chunks = await Promise.all(manifest.chunks.map((seq) => this.#retry('reading weights', () => this.#jsm.direct.getMessage(w.stream, { seq }))));
      if (chunks.every((c) => c !== null)) {
        chunks.forEach((c, i) => {
          if (c.subject !== w.chunk(i)) throw new Error(`broker: weights chunk ${i} at stream sequence ${c.seq} is on ${c.subject}, not ${w.chunk(i)}`);
        });
        return {
          data: assembleWeights(
            manifest,
            chunks.map((c) => c.data),
          ),
          state: { revision: head.seq, metadata: manifest.metadata },
        };
      }
      if (attempt >= 100) throw new Error(`broker: the weights were replaced during each of ${attempt} reads (${this.#address.redacted})`);
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
    this.#stopFragments();
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
 * One read of object `name`: its bytes and info, null when there is none, or 'replaced' when a new
 * revision replaced it during the read (its chunks are gone: read again). Throws when no chunk came
 * for `stallSeconds` while the revision stayed.
 */
async function readObject(store: ObjectStore, name: string, stallSeconds: number): Promise<{ data: Uint8Array; state: ObjectState } | null | 'replaced'> {
  const r = await store.get(name);
  if (!r) return null;
  // Handled here: a read given up may still end with the client's error.
  const ended = Promise.resolve(r.error).catch((err: unknown) => err);
  const reader = r.data.getReader();
  const parts: Uint8Array[] = [];
  let lastChunk = Date.now();
  let pending = reader.read();
  try {
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const tick = new Promise<'tick'>((ok) => (timer = setTimeout(() => ok('tick'), 1000)));
      let got: Awaited<typeof pending> | 'tick';
      try {
        got = await Promise.race([pending, tick]);
      } catch (err) {
        // A digest mismatch: chunks of two revisions, the old ones purged mid-read.
        if (/digest/i.test(String(err))) return 'replaced';
        throw err;
      } finally {
        clearTimeout(timer);
      }
      if (got === 'tick') {
        const now = await store.info(name);
        if (!now || now.deleted || now.revision !== r.info.revision) return 'replaced';
        if (Date.now() - lastChunk > stallSeconds * 1000) throw new Error(`no chunk of ${name} arrived for ${stallSeconds} s`);
        continue;
      }
      if (got.done) break;
      parts.push(got.value);
      lastChunk = Date.now();
      pending = reader.read();
    }
  } finally {
    // Stops the client's consumer of the chunks when the read was given up (a no-op after the last chunk).
    await reader.cancel().catch(() => {});
  }
  const error = await ended;
  if (error) throw error;
  return { data: concatBytes(...parts), state: { revision: r.info.revision, metadata: r.info.metadata ?? {} } };
}

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
