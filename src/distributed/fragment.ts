/**
 * A rollout fragment: what an actor sends the learner, `steps` steps of `lanes` lanes collected
 * with one policy version, and its wire format (one JetStream message).
 *
 *   "MRF" format byte ('1') | u32 header bytes | header JSON (padded to 4) | f32/i32 arrays | u8 arrays
 *
 * The format byte is FRAGMENT_FORMAT (src/distributed/protocol.ts): a learner reading a fragment of
 * another format (an actor of another mario-rl version) gets a {@link FragmentFormatError} and drops
 * it, counted, instead of misreading it.
 * Rows are time-major, as the Trainer's rollout storage: row `i = t · lanes + n` is step t of lane n
 * (R = steps · lanes rows). The learner runs GAE over each fragment on its own (the fragment's last
 * step bootstraps from `nextValues`), so fragments of any length fill its batch.
 */
import { expectedMessage } from '../validate.js';
import { FRAGMENT_FORMAT } from './protocol.js';

/** An episode that ended inside a fragment (the learner's episode window and metrics). */
export interface FragmentEpisode {
  lane: number;
  /** Step of the fragment (0-based) at which it ended. */
  step: number;
  return: number;
  length: number;
  maxX: number;
  flag: boolean;
}

/** A decoded fragment; arrays are [R] unless marked. */
export interface Fragment {
  /** The learner run the actor took its config from. */
  runId: string;
  /** The actor process (a fresh id each start: a restarted actor is a new one). */
  actorId: string;
  /** 0, 1, 2, … per actor: with actorId, the fragment's identity (duplicates are dropped by it). */
  seq: number;
  /** Version (learner update count) of the weights that acted. */
  policyVersion: number;
  /**
   * Bytes of weights this actor has read from the broker so far in this run (every version it
   * downloaded, counted when the read finished): the learner keeps the newest figure per actor, so
   * the broker's weights traffic to actors shows in its metrics beside the fragments'. 0 from actors
   * that predate the field.
   */
  weightsBytes: number;
  /**
   * Fragments this actor has held back so far in this run to wait for newer weights (its own were
   * too old for a fragment to arrive within the learner's maxPolicyLag: src/train/actor.ts,
   * `pace`): the learner keeps the newest figure per actor (`distributed/actor_waits_for_weights`).
   * 0 from actors that predate the field.
   */
  weightsWaits: number;
  lanes: number;
  steps: number;
  /** Bytes of one observation. */
  obsBytes: number;
  episodes: FragmentEpisode[];
  /** [R, obsBytes] observations the actions were taken on. */
  obs: Uint8Array;
  actions: Int32Array;
  /** log π_behaviour(a|s). */
  logProbs: Float32Array;
  /** V_behaviour(s). */
  values: Float32Array;
  /** Rewards × env.rewardScale. */
  rewards: Float32Array;
  /** V(final obs) where the episode was truncated, else 0. */
  finalValues: Float32Array;
  /** [lanes] V(s) after the last step. */
  nextValues: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
}

/** The header fields of a fragment (everything but the arrays). */
export type FragmentHeader = Pick<
  Fragment,
  'runId' | 'actorId' | 'seq' | 'policyVersion' | 'weightsBytes' | 'weightsWaits' | 'lanes' | 'steps' | 'obsBytes' | 'episodes'
>;

const MAGIC = [0x4d, 0x52, 0x46, FRAGMENT_FORMAT]; // "MRF1"

/** A message that is a fragment, but of another format than this install's (another mario-rl version wrote it). */
export class FragmentFormatError extends RangeError {
  /** The format byte it carries. */
  readonly format: number;
  constructor(format: number) {
    super(
      `Expected fragment format ${formatName(FRAGMENT_FORMAT)} (this mario-rl's) for fragment but received format ${formatName(format)} (from an actor of another mario-rl version)`,
    );
    this.name = 'FragmentFormatError';
    this.format = format;
  }
}

/** A format byte as it reads in messages: '1' for "MRF1", else its hex value. */
export const formatName = (format: number) =>
  format >= 0x21 && format < 0x7f ? `'${String.fromCharCode(format)}'` : `0x${format.toString(16).padStart(2, '0')}`;

/** Allocates the arrays of a fragment of `lanes` × `steps` (the actor fills them in place, fragment after fragment). */
export function newFragment(header: FragmentHeader): Fragment {
  const R = header.lanes * header.steps;
  return {
    ...header,
    obs: new Uint8Array(R * header.obsBytes),
    actions: new Int32Array(R),
    logProbs: new Float32Array(R),
    values: new Float32Array(R),
    rewards: new Float32Array(R),
    finalValues: new Float32Array(R),
    nextValues: new Float32Array(header.lanes),
    terminated: new Uint8Array(R),
    truncated: new Uint8Array(R),
  };
}

/**
 * Lanes [from, to) of `f` as a fragment of their own (copies; episodes renumbered), for a learner
 * whose batch has room for only some of a fragment's lanes: GAE runs per lane, so a lane slice is
 * a fragment like any other.
 */
export function sliceLanes(f: Fragment, from: number, to: number): Fragment {
  if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from < to && to <= f.lanes))
    throw new RangeError(`Expected 0 ≤ from < to ≤ ${f.lanes} for sliceLanes but received [${from}, ${to})`);
  const lanes = to - from;
  const out = newFragment({ ...f, lanes, episodes: f.episodes.filter((e) => e.lane >= from && e.lane < to).map((e) => ({ ...e, lane: e.lane - from })) });
  for (let t = 0; t < f.steps; t++) {
    const src = t * f.lanes + from;
    const dst = t * lanes;
    out.obs.set(f.obs.subarray(src * f.obsBytes, (src + lanes) * f.obsBytes), dst * f.obsBytes);
    for (const k of ['actions', 'logProbs', 'values', 'rewards', 'finalValues', 'terminated', 'truncated'] as const) {
      (out[k] as Float32Array).set((f[k] as Float32Array).subarray(src, src + lanes), dst);
    }
  }
  out.nextValues.set(f.nextValues.subarray(from, to));
  return out;
}

/** Wire bytes of a fragment with `lanes` × `steps` rows (without the JSON header): what the broker must carry. */
export function fragmentArrayBytes(lanes: number, steps: number, obsBytes: number): number {
  const R = lanes * steps;
  return R * (obsBytes + 4 * 5 + 2) + 4 * lanes;
}

/** Encodes a fragment into one message. */
export function encodeFragment(f: Fragment): Uint8Array {
  const header: FragmentHeader = {
    runId: f.runId,
    actorId: f.actorId,
    seq: f.seq,
    policyVersion: f.policyVersion,
    weightsBytes: f.weightsBytes,
    weightsWaits: f.weightsWaits,
    lanes: f.lanes,
    steps: f.steps,
    obsBytes: f.obsBytes,
    episodes: f.episodes,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerEnd = align4(8 + json.length);
  const out = new Uint8Array(headerEnd + fragmentArrayBytes(f.lanes, f.steps, f.obsBytes));
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, json.length, true);
  out.set(json, 8);
  let at = headerEnd;
  for (const a of [f.actions, f.logProbs, f.values, f.rewards, f.finalValues, f.nextValues, f.obs, f.terminated, f.truncated]) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += a.byteLength;
  }
  return out;
}

/**
 * Decodes a message into a fragment; throws a {@link FragmentFormatError} for a fragment of another
 * format, a RangeError naming what is wrong for anything else it cannot read. By default the arrays
 * are copies, so the message buffer may be reused; with `views` they are views of `bytes` wherever
 * the alignment allows (always the byte arrays, observations included; the 4-byte ones when `bytes`
 * starts 4-aligned), so a reader that copies the rows on anyway (the learner, into its batch) does
 * not allocate and copy a fragment's worth of observations per message first. The message must then
 * outlive the fragment unchanged.
 */
export function decodeFragment(bytes: Uint8Array, options: { views?: boolean } = {}): Fragment {
  const bad = (what: string, received: unknown) => new RangeError(expectedMessage(what, 'fragment', received));
  if (bytes.length < 8 || MAGIC.slice(0, 3).some((b, i) => bytes[i] !== b)) throw bad('a message starting with MRF', `${bytes.length} bytes without it`);
  if (bytes[3] !== FRAGMENT_FORMAT) throw new FragmentFormatError(bytes[3]!);
  const h = readHeader(bytes, bad);
  const start = align4(8 + new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true));
  const size = fragmentArrayBytes(h.lanes, h.steps, h.obsBytes);
  if (bytes.length !== start + size) throw bad(`${start + size} bytes for ${h.lanes} lanes × ${h.steps} steps`, `${bytes.length} bytes`);
  if (!options.views) {
    const f = newFragment(h);
    let at = bytes.byteOffset + start;
    for (const a of [f.actions, f.logProbs, f.values, f.rewards, f.finalValues, f.nextValues, f.obs, f.terminated, f.truncated]) {
      new Uint8Array(a.buffer, a.byteOffset, a.byteLength).set(new Uint8Array(bytes.buffer, at, a.byteLength));
      at += a.byteLength;
    }
    return f;
  }
  const R = h.lanes * h.steps;
  let at = bytes.byteOffset + start;
  const aligned = at % 4 === 0; // stays so: every 4-byte array comes before the byte arrays
  const bytesAt = (n: number) => {
    const out = new Uint8Array(bytes.buffer, at, n);
    at += n;
    return out;
  };
  const words = <T extends Int32Array | Float32Array>(Type: { new (b: ArrayBufferLike, o: number, n: number): T; new (n: number): T }, n: number): T => {
    const out = aligned ? new Type(bytes.buffer, at, n) : new Type(n);
    if (!aligned) new Uint8Array(out.buffer).set(new Uint8Array(bytes.buffer, at, 4 * n));
    at += 4 * n;
    return out;
  };
  // In the order of the wire format (encodeFragment).
  const actions = words(Int32Array, R);
  const logProbs = words(Float32Array, R);
  const values = words(Float32Array, R);
  const rewards = words(Float32Array, R);
  const finalValues = words(Float32Array, R);
  const nextValues = words(Float32Array, h.lanes);
  const obs = bytesAt(R * h.obsBytes);
  const terminated = bytesAt(R);
  const truncated = bytesAt(R);
  return { ...h, obs, actions, logProbs, values, rewards, finalValues, nextValues, terminated, truncated };
}

/** The header of a message that starts with the magic, checked; throws through `bad`. */
function readHeader(bytes: Uint8Array, bad: (what: string, received: unknown) => RangeError): FragmentHeader {
  const jsonLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (8 + jsonLength > bytes.length) throw bad(`a header of at most ${bytes.length - 8} bytes`, jsonLength);
  let h: FragmentHeader;
  try {
    h = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + jsonLength))) as FragmentHeader;
  } catch {
    throw bad('a JSON header', 'unparsable JSON');
  }
  const positive = (k: 'lanes' | 'steps' | 'obsBytes') => Number.isInteger(h[k]) && h[k] > 0 && h[k] < 2 ** 31;
  if (typeof h !== 'object' || h === null || typeof h.runId !== 'string' || typeof h.actorId !== 'string') throw bad('runId and actorId strings', h);
  if (!Number.isInteger(h.seq) || h.seq < 0 || !Number.isInteger(h.policyVersion) || h.policyVersion < 0) throw bad('integer seq and policyVersion ≥ 0', h.seq);
  const weightsBytes: unknown = (h as Partial<FragmentHeader>).weightsBytes ?? 0; // 0: an actor from before the field
  if (!Number.isSafeInteger(weightsBytes) || (weightsBytes as number) < 0) throw bad('an integer weightsBytes ≥ 0', weightsBytes);
  h.weightsBytes = weightsBytes as number;
  const weightsWaits: unknown = (h as Partial<FragmentHeader>).weightsWaits ?? 0; // 0: an actor from before the field
  if (!Number.isSafeInteger(weightsWaits) || (weightsWaits as number) < 0) throw bad('an integer weightsWaits ≥ 0', weightsWaits);
  h.weightsWaits = weightsWaits as number;
  if (!positive('lanes') || !positive('steps') || !positive('obsBytes'))
    throw bad('positive integer lanes, steps and obsBytes', `${h.lanes}, ${h.steps}, ${h.obsBytes}`);
  if (!Array.isArray(h.episodes)) throw bad('an episodes array', typeof h.episodes);
  return h;
}

const align4 = (n: number) => (n + 3) & ~3;
