/**
 * The options of the two sides of a distributed run, one field table each (rows shared where they
 * mean the same): the learner's (`new Trainer(config, { distributed })`, `mario-rl learner`) and
 * the actor's (`new Actor(options)`, `mario-rl actor`). Neither is part of the run's JSON config:
 * the broker URL may carry credentials, and config.json and checkpoints must never hold them.
 */
import { type FieldSpec, int, num, validateFields } from '../fields.js';
import { type BrokerAddress, parseBrokerUrl } from './broker-url.js';

/** Options shared by both sides. */
export interface BrokerSideOptions {
  /** NATS URL of the broker (`nats://[USER:PASS@|TOKEN@]HOST:PORT[?ca=|cert=|key=|creds=|nkey=FILE]`, `tls://…`). Required. */
  broker: string;
  /** Prefix of the stream, consumer and object store names: runs sharing a broker need different namespaces. Default 'mario-rl'. */
  namespace: string;
  /** Seconds a broker call keeps retrying while the broker is unreachable (a restart) before the process fails. Default 120. */
  retrySeconds: number;
}

/** The learner's options (`TrainerOptions.distributed`). */
export interface LearnerSideOptions extends BrokerSideOptions {
  /**
   * Largest policy lag (learner updates between the weights that acted and the update that learns)
   * of a fragment the learner trains on; older fragments are dropped and counted
   * (`distributed/fragments_dropped_stale`). PPO's clipped ratio corrects the lag it allows. Default 4.
   */
  maxPolicyLag: number;
  /** Byte limit of the fragments stream; when it is full, actors wait (flow control). Default 1 GiB. */
  streamMaxBytes: number;
}

/** The actor's options (`new Actor(options)`). */
export interface ActorSideOptions extends BrokerSideOptions {
  /** Lanes this actor steps; must divide the run's numEnvs. Default 0: the run's numEnvs. */
  lanes: number;
  /** Threads stepping the lanes. Default 0: min(lanes, cores). */
  threads: number;
  /**
   * Steps per fragment; must divide the run's numSteps. Default 0: numSteps, halved until a
   * fragment fits the broker's max_payload.
   */
  fragmentSteps: number;
  /**
   * Seconds without a word from the learner (its `status` heartbeat, every 2 s while it runs)
   * after which the actor exits with code 3: the learner was killed or cut off from the broker. The
   * same bound applies to waiting for a learner to join. A learner resumed within it keeps its
   * actors. 0: wait forever. Default 300.
   */
  learnerTimeout: number;
}

const NAMESPACE = /^[A-Za-z0-9_-]{1,64}$/;

const BROKER_FIELDS: { readonly [K in keyof BrokerSideOptions]: FieldSpec<BrokerSideOptions[K]> } = {
  broker: { type: 'string', nonEmpty: true, default: '', doc: 'NATS URL of the broker (nats://[USER:PASS@]HOST:PORT, tls://…)' },
  namespace: { type: 'string', nonEmpty: true, default: 'mario-rl', doc: 'prefix of the stream and object store names' },
  retrySeconds: { ...num(1, 86_400), default: 120, doc: 'seconds a broker call is retried while the broker is unreachable' },
};

/** The learner's field table. */
export const LEARNER_FIELDS: { readonly [K in keyof LearnerSideOptions]: FieldSpec<LearnerSideOptions[K]> } = {
  ...BROKER_FIELDS,
  maxPolicyLag: { ...int(0, 1_000_000), default: 4, doc: 'oldest policy lag (updates) of a fragment trained on; older ones are dropped and counted' },
  streamMaxBytes: { ...int(1 << 20, Number.MAX_SAFE_INTEGER), default: 2 ** 30, doc: 'byte limit of the fragments stream (full: actors wait)' },
};

/** The actor's field table. */
export const ACTOR_FIELDS: { readonly [K in keyof ActorSideOptions]: FieldSpec<ActorSideOptions[K]> } = {
  ...BROKER_FIELDS,
  lanes: { ...int(0, 65_536), default: 0, doc: "lanes this actor steps (0: the run's numEnvs); must divide numEnvs" },
  threads: { ...int(0, 256), default: 0, doc: 'threads stepping the lanes (0: min(lanes, cores))' },
  fragmentSteps: { ...int(0, 1_000_000), default: 0, doc: 'steps per fragment (0: numSteps, halved until it fits max_payload); must divide numSteps' },
  learnerTimeout: {
    ...num(0, 86_400 * 365),
    default: 300,
    doc: 'seconds without a heartbeat from the learner (or none to join) before the actor exits with code 3 (0: wait forever)',
  },
};

/** Validated options with the broker address parsed. */
export type Resolved<T> = T & { address: BrokerAddress };

function resolve<T extends BrokerSideOptions>(table: { readonly [K in keyof T]: FieldSpec<T[K]> }, options: unknown, prefix: string): Resolved<T> {
  const o = validateFields(table, options, prefix);
  if (o.broker === '') throw new TypeError(`Expected a NATS URL such as nats://127.0.0.1:4222 for ${prefix}.broker but received nothing`);
  if (!NAMESPACE.test(o.namespace))
    throw new RangeError(`Expected letters, digits, '-' or '_' (1 to 64) for ${prefix}.namespace but received '${o.namespace}'`);
  return { ...o, address: parseBrokerUrl(o.broker, `${prefix}.broker`) };
}

/** Validates the learner's options (errors name `distributed.<field>`). */
export function learnerOptions(options: unknown): Resolved<LearnerSideOptions> {
  return resolve(LEARNER_FIELDS, options, 'distributed');
}

/** Validates the actor's options (errors name `actor.<field>`). */
export function actorOptions(options: unknown): Resolved<ActorSideOptions> {
  return resolve(ACTOR_FIELDS, options, 'actor');
}
