/** The pieces of a distributed run that need no broker: fragment wire format, broker URLs, options, pacing, fragment plans. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { parseBrokerUrl, redactBrokerUrl } from '../../src/distributed/broker-url.js';
import { isStreamFull, retry } from '../../src/distributed/broker.js';
import { decodeFragment, encodeFragment, FragmentFormatError, fragmentArrayBytes, newFragment, sliceLanes } from '../../src/distributed/fragment.js';
import { actorOptions, learnerOptions } from '../../src/distributed/options.js';
import { FRAGMENT_FORMAT, PROTOCOL, packageVersion, protocolMismatch } from '../../src/distributed/protocol.js';
import { assembleWeights, decodeManifest, encodeManifest, sha256Hex, splitChunks } from '../../src/distributed/weights.js';
import { pace, planFragments } from '../../src/train/actor.js';
import { validateConfig } from '../../src/train/config.js';
import { checkDistributedConfig, noteActorTotals, weightsRead, weightsWaits } from '../../src/train/distributed-learner.js';
import { Trainer } from '../../src/train/trainer.js';

const dir = mkdtempSync(join(tmpdir(), 'mario-rl-fragment-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fragment wire format', () => {
  const filled = () => {
    const f = newFragment({
      runId: 'run-1',
      actorId: 'actor-1',
      seq: 7,
      policyVersion: 3,
      weightsBytes: 4_737_184,
      weightsWaits: 2,
      lanes: 3,
      steps: 5,
      obsBytes: 11,
      episodes: [{ lane: 2, step: 4, return: 12.5, length: 40, maxX: 300, flag: true }],
    });
    let k = 1;
    for (const a of [f.obs, f.actions, f.logProbs, f.values, f.rewards, f.finalValues, f.nextValues, f.terminated, f.truncated]) {
      for (let i = 0; i < a.length; i++) a[i] = (k++ * 7) % 251;
    }
    f.logProbs[0] = -1.25;
    return f;
  };

  it('decodes what it encodes, arrays and header alike, with the documented size', () => {
    const f = filled();
    const bytes = encodeFragment(f);
    const g = decodeFragment(bytes);
    expect(g).toEqual(f);
    expect(bytes.length - fragmentArrayBytes(3, 5, 11)).toBeLessThan(400); // header JSON only
    // A view into a larger buffer at an odd offset (as a message may arrive) decodes the same.
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(decodeFragment(shifted.subarray(3))).toEqual(f);
  });

  it('decodes into views of the message where alignment allows, with the same values as the copies', () => {
    const f = filled();
    const bytes = encodeFragment(f);
    for (const offset of [0, 4, 3]) {
      const message = new Uint8Array(bytes.length + offset);
      message.set(bytes, offset);
      const g = decodeFragment(message.subarray(offset), { views: true });
      expect({ ...g }).toEqual({ ...f });
      // The byte arrays (observations first) are always views: the learner copies rows from the message once.
      expect(g.obs.buffer).toBe(message.buffer);
      expect(g.truncated.buffer).toBe(message.buffer);
      // The 4-byte arrays are views when the message starts 4-aligned (its header is padded to 4), else copies.
      expect(g.rewards.buffer === message.buffer).toBe(offset % 4 === 0);
      message[offset + bytes.length - 1] ^= 1; // the last truncated flag, in the message
      expect(g.truncated[g.truncated.length - 1]).toBe(f.truncated[f.truncated.length - 1]! ^ 1);
    }
  });

  it('cuts a fragment into lane slices that hold exactly its rows, so GAE per slice equals GAE on the whole', () => {
    const f = filled();
    const a = sliceLanes(f, 0, 2);
    const b = sliceLanes(f, 2, 3);
    expect([a.lanes, b.lanes, a.steps, b.steps]).toEqual([2, 1, 5, 5]);
    for (let t = 0; t < 5; t++) {
      for (let n = 0; n < 3; n++) {
        const part = n < 2 ? a : b;
        const i = t * part.lanes + (n < 2 ? n : n - 2);
        const j = t * 3 + n;
        expect([part.actions[i], part.rewards[i], part.terminated[i]]).toEqual([f.actions[j], f.rewards[j], f.terminated[j]]);
        expect(part.obs.subarray(i * 11, (i + 1) * 11)).toEqual(f.obs.subarray(j * 11, (j + 1) * 11));
      }
    }
    expect([...a.nextValues, ...b.nextValues]).toEqual([...f.nextValues]);
    expect(b.episodes).toEqual([{ lane: 0, step: 4, return: 12.5, length: 40, maxX: 300, flag: true }]);
    expect(a.episodes).toEqual([]);
    expect(() => sliceLanes(f, 2, 2)).toThrow('Expected 0 ≤ from < to ≤ 3 for sliceLanes but received [2, 2)');
  });

  it('rejects what is not a whole fragment, saying what is wrong', () => {
    const bytes = encodeFragment(filled());
    expect(() => decodeFragment(new Uint8Array([1, 2, 3]))).toThrow(/Expected a message starting with MRF for fragment/);
    expect(() => decodeFragment(bytes.subarray(0, bytes.length - 1))).toThrow(/Expected \d+ bytes for 3 lanes × 5 steps for fragment but received "\d+ bytes"/);
    const broken = bytes.slice();
    broken[9] = 0x7b; // '{' inside the JSON: unparsable
    broken[10] = 0x7b;
    expect(() => decodeFragment(broken)).toThrow(/Expected a JSON header for fragment/);
  });
});

describe('versions: learner and actors of different mario-rl versions refuse each other', () => {
  it('reads a fragment of another format byte as a FragmentFormatError naming both formats, not as garbage', () => {
    const f = newFragment({
      runId: 'r',
      actorId: 'a',
      seq: 0,
      policyVersion: 0,
      weightsBytes: 0,
      weightsWaits: 0,
      lanes: 1,
      steps: 2,
      obsBytes: 3,
      episodes: [],
    });
    const bytes = encodeFragment(f);
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe(`MRF${String.fromCharCode(FRAGMENT_FORMAT)}`);
    const other = bytes.slice();
    other[3] = 0x39; // "MRF9": a later format
    let err: unknown;
    try {
      decodeFragment(other);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FragmentFormatError);
    expect((err as FragmentFormatError).format).toBe(0x39);
    expect((err as Error).message).toBe(
      "Expected fragment format '1' (this mario-rl's) for fragment but received format '9' (from an actor of another mario-rl version)",
    );
    other[3] = 0x00;
    expect(() => decodeFragment(other)).toThrow(/received format 0x00 \(from an actor of another mario-rl version\)/);
  });

  it('lets an actor join a learner of its protocol only, naming both versions otherwise', () => {
    expect(packageVersion()).toMatch(/^\d+\.\d+\.\d+/);
    expect(protocolMismatch({ protocol: PROTOCOL, version: '9.9.9' }, 'run-1')).toBeNull();
    // No field: a learner from before it, which spoke revision 1.
    expect(protocolMismatch({}, 'run-1') === null).toBe(PROTOCOL === 1);
    expect(protocolMismatch({ protocol: PROTOCOL + 1, version: '9.9.9' }, 'run-1')).toBe(
      `Expected a learner speaking this actor's protocol (mario-rl ${packageVersion()}, protocol ${PROTOCOL}) for run run-1 but received one of mario-rl 9.9.9, protocol ${PROTOCOL + 1}: run the same mario-rl version on the learner and every actor; exiting`,
    );
  });
});

describe('weights bytes the actors read', () => {
  /** `bytes` with its JSON header edited (the arrays moved along, as an encoder of another version would lay them out). */
  const withHeader = (bytes: Uint8Array, edit: (h: Record<string, unknown>) => void): Uint8Array => {
    const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
    const h = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as Record<string, unknown>;
    edit(h);
    const json = new TextEncoder().encode(JSON.stringify(h));
    const arrays = bytes.subarray((8 + length + 3) & ~3);
    const out = new Uint8Array(((8 + json.length + 3) & ~3) + arrays.length);
    out.set(bytes.subarray(0, 4));
    new DataView(out.buffer).setUint32(4, json.length, true);
    out.set(json, 8);
    out.set(arrays, out.length - arrays.length);
    return out;
  };
  const fragment = () =>
    newFragment({
      runId: 'r',
      actorId: 'a',
      seq: 0,
      policyVersion: 0,
      weightsBytes: 2_368_592,
      weightsWaits: 3,
      lanes: 2,
      steps: 3,
      obsBytes: 5,
      episodes: [],
    });

  it('travel in the fragment header; a fragment from an actor without the field reads as 0, a bad value is named', () => {
    const bytes = encodeFragment(fragment());
    expect([decodeFragment(bytes).weightsBytes, decodeFragment(bytes).weightsWaits]).toEqual([2_368_592, 3]);
    expect(decodeFragment(withHeader(bytes, (h) => delete h.weightsBytes)).weightsBytes).toBe(0);
    expect(decodeFragment(withHeader(bytes, (h) => delete h.weightsBytes))).toEqual({ ...fragment(), weightsBytes: 0 });
    expect(decodeFragment(withHeader(bytes, (h) => delete h.weightsWaits))).toEqual({ ...fragment(), weightsWaits: 0 });
    expect(() => decodeFragment(withHeader(bytes, (h) => (h.weightsWaits = 'many')))).toThrow(
      'Expected an integer weightsWaits ≥ 0 for fragment but received "many"',
    );
    expect(() => decodeFragment(withHeader(bytes, (h) => (h.weightsBytes = -1)))).toThrow('Expected an integer weightsBytes ≥ 0 for fragment but received -1');
    expect(() => decodeFragment(withHeader(bytes, (h) => (h.weightsBytes = 1.5)))).toThrow(
      /Expected an integer weightsBytes ≥ 0 for fragment but received 1\.5/,
    );
  });

  it('add up per actor from the newest running total each actor sent, whatever order its fragments arrive in (as do its waits for weights)', () => {
    const ledger = { weightsRead: {} as Record<string, number>, weightsWaits: {} as Record<string, number> };
    const W = 2_368_592;
    for (const [actorId, weightsBytes, waits] of [
      ['a', W, 0],
      ['b', W, 1],
      ['a', 3 * W, 2],
      ['a', 2 * W, 1], // an older fragment of a's, redelivered after a newer one
      ['b', W, 1],
    ] as const)
      noteActorTotals(ledger, { actorId, weightsBytes, weightsWaits: waits });
    expect(ledger.weightsRead).toEqual({ a: 3 * W, b: W });
    expect(weightsRead(ledger)).toBe(4 * W);
    expect(ledger.weightsWaits).toEqual({ a: 2, b: 1 });
    expect(weightsWaits(ledger)).toBe(3);
  });
});

describe('weights on the wire', () => {
  const weights = Uint8Array.from({ length: 2500 }, (_, i) => (i * 31) % 256);
  const manifest = (data: Uint8Array, chunks: number[]) => ({ bytes: data.length, sha256: sha256Hex(data), chunks, metadata: { version: '7', runId: 'r' } });

  it('cuts the weights into chunks of at most the given size (views, no copies) and puts them together, checked', () => {
    const chunks = splitChunks(weights, 1000);
    expect(chunks.map((c) => c.length)).toEqual([1000, 1000, 500]);
    expect(chunks[1]!.buffer).toBe(weights.buffer);
    expect(splitChunks(new Uint8Array(0), 1000).map((c) => c.length)).toEqual([0]);
    expect(() => splitChunks(weights, 0)).toThrow('Expected a positive integer for chunkBytes but received 0');
    const m = decodeManifest(encodeManifest(manifest(weights, [4, 5, 6])));
    expect(m).toEqual(manifest(weights, [4, 5, 6]));
    expect(assembleWeights(m, chunks)).toEqual(weights);
    // node:crypto's SHA-256, the standard one.
    expect(sha256Hex(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('refuses weights that do not match their manifest, and manifests that are not one, saying what is wrong', () => {
    const m = manifest(weights, [4, 5, 6]);
    const chunks = splitChunks(weights, 1000);
    const corrupt = chunks.map((c) => c.slice());
    corrupt[2]![10]! ^= 1;
    expect(() => assembleWeights(m, corrupt)).toThrow(
      /^Expected SHA-256 [0-9a-f]{64} for weights version 7 but received [0-9a-f]{64}: corrupted on the broker$/,
    );
    expect(() => assembleWeights(m, chunks.slice(0, 2))).toThrow('Expected 3 chunks of 2500 bytes for weights version 7 but received "2 chunks of 2000 bytes"');
    const bad = (edit: Record<string, unknown>) => decodeManifest(new TextEncoder().encode(JSON.stringify({ ...m, ...edit })));
    expect(() => decodeManifest(new Uint8Array([0x7b]))).toThrow('Expected JSON for weights manifest but received "unparsable JSON"');
    expect(() => bad({ sha256: 'abc' })).toThrow('Expected a hex sha256 for weights manifest but received "abc"');
    expect(() => bad({ chunks: [] })).toThrow(/Expected a non-empty array of stream sequences for chunks for weights manifest/);
    expect(() => bad({ bytes: -1 })).toThrow('Expected an integer bytes ≥ 0 for weights manifest but received -1');
    expect(() => bad({ metadata: { version: 7 } })).toThrow(/Expected string metadata for weights manifest/);
  });
});

describe('broker URLs', () => {
  it('parses user/password, token and TLS files, and never shows a secret in the redacted form', () => {
    const a = parseBrokerUrl('nats://alice:s3cret@broker.example:4333');
    expect(a).toMatchObject({ server: 'broker.example:4333', user: 'alice', pass: 's3cret', redacted: 'nats://alice:***@broker.example:4333' });
    const t = parseBrokerUrl('nats://tok3n@10.0.0.2');
    expect(t).toMatchObject({ server: '10.0.0.2:4222', token: 'tok3n', redacted: 'nats://***@10.0.0.2:4222'.replace(':4222', '') });
    expect(t.redacted).not.toContain('tok3n');
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, 'not really a certificate');
    const tls = parseBrokerUrl(`tls://h:1?ca=${ca}`);
    expect(tls.tls).toEqual({ caFile: ca });
    expect(tls.redacted).toBe('tls://h:1?ca=***');
    expect(redactBrokerUrl('nats://u:p@h:1?creds=/x/y.creds')).toBe('nats://u:***@h:1?creds=***');
  });

  it('names the option on bad URLs without echoing them', () => {
    expect(() => parseBrokerUrl('http://u:pw@h:1', 'broker')).toThrow('Expected a nats:// or tls:// URL for broker but received a http:// URL');
    expect(() => parseBrokerUrl('nats://u:pw@h:1/x', 'broker')).toThrow("Expected no path in the URL for broker but received '/x'");
    expect(() => parseBrokerUrl('nats://h:1?tls=1', 'broker')).toThrow(/only ca, cert, key, creds, nkey as query parameters of broker but received 'tls'/);
    expect(() => parseBrokerUrl(`nats://h:1?creds=${join(dir, 'missing.creds')}`, 'broker')).toThrow(
      /Expected a readable file for broker \?creds= but received .*missing\.creds' \(ENOENT\)/,
    );
    expect(() => parseBrokerUrl(`tls://h:1?cert=${join(dir, 'ca.pem')}`, 'b')).toThrow(
      'Expected both cert= and key= (mutual TLS) or neither for b but received only cert',
    );
    for (const bad of ['nats://user:hunter2@', 'hunter2 nonsense']) {
      try {
        parseBrokerUrl(bad, 'broker');
      } catch (err) {
        expect((err as Error).message).not.toContain('hunter2');
      }
    }
  });
});

describe('options and config checks', () => {
  it('fills defaults and names the field on bad values', () => {
    expect(learnerOptions({ broker: 'nats://127.0.0.1:4222' })).toMatchObject({ namespace: 'mario-rl', maxPolicyLag: 4, retrySeconds: 120 });
    expect(actorOptions({ broker: 'nats://127.0.0.1:4222', lanes: 4 })).toMatchObject({ lanes: 4, threads: 0, fragmentSteps: 0 });
    expect(() => learnerOptions({})).toThrow('Expected a NATS URL such as nats://127.0.0.1:4222 for distributed.broker but received nothing');
    expect(() => learnerOptions({ broker: 'nats://h:1', maxPolicyLag: -1 })).toThrow(/distributed\.maxPolicyLag/);
    expect(() => actorOptions({ broker: 'nats://h:1', namespace: 'a.b' })).toThrow(
      "Expected letters, digits, '-' or '_' (1 to 64) for actor.namespace but received 'a.b'",
    );
    expect(() => actorOptions({ broker: 'nats://h:1', lanse: 2 })).toThrow(/lanse/);
  });

  it('refuses what a distributed run does not support yet, naming the field', () => {
    expect(() => checkDistributedConfig(validateConfig({ algo: 'dqn', env: { grayscale: true } }))).toThrow(
      "Expected 'ppo' or 'a2c' for algo with distributed",
    );
    expect(() => checkDistributedConfig(validateConfig({ env: { shapingAnnealSteps: 1000 } }))).toThrow(/env\.shapingAnnealSteps with distributed/);
    expect(() => checkDistributedConfig(validateConfig({ explore: { bonus: 0.5 } }))).toThrow(/explore\.bonus with distributed/);
    expect(() => new Trainer({ algo: 'a2c', device: 'cpu' }, { distributed: { broker: 'nats://h:1', streamMaxBytes: 10 } })).toThrow(
      /distributed\.streamMaxBytes/,
    );
  });
});

describe('actor pacing and fragment plans', () => {
  // Batches of 64 rows, fragments of 16: 4 fragments per batch.
  const at = (own: number, newest: number, pending: number, maxPolicyLag: number) =>
    pace({ own, newest, pending, fragmentRows: 16, batchRows: 64, maxPolicyLag });

  it('lets an actor with the newest weights run at most maxPolicyLag batches ahead of the learner (one at least)', () => {
    expect(at(5, 5, 0, 4)).toBe('collect');
    expect(at(5, 5, 15, 4)).toBe('collect');
    expect(at(5, 5, 16, 4)).toBe('wait-for-learner');
    expect(at(5, 5, 3, 0)).toBe('collect');
    expect(at(5, 5, 4, 0)).toBe('wait-for-learner');
  });

  it('holds an actor whose weights are too old for its fragment to arrive within maxPolicyLag until it has newer ones', () => {
    // Lag of a fragment started now ≈ (newest − own) + batches ahead of it; it must stay below the bound.
    expect(at(2, 5, 0, 4)).toBe('collect'); // 3 behind, nothing ahead: lag 3 (+ the update during collection)
    expect(at(1, 5, 0, 4)).toBe('wait-for-weights'); // 4 behind: at the bound before it is even collected
    expect(at(3, 5, 4, 4)).toBe('collect'); // 2 behind + 1 batch ahead
    expect(at(3, 5, 8, 4)).toBe('wait-for-weights'); // 2 behind + 2 batches ahead
    expect(at(5, 5, 8, 4)).toBe('collect'); // the same queue with the newest weights
    expect(at(0, 12, 0, 1_000_000)).toBe('collect'); // a bound this large never holds an actor back
    // Newer than the newest: the learner was resumed from an older checkpoint; the fragment would be dropped as discarded_policy.
    expect(at(7, 5, 0, 4)).toBe('wait-for-weights');
    // Too much ahead wins: newer weights would not help.
    expect(at(1, 5, 16, 4)).toBe('wait-for-learner');
  });

  it('picks the longest fragment that divides numSteps and fits the broker, and names the flag otherwise', () => {
    const c = validateConfig({ env: { game: 'runner', obs: 'ram' }, network: 'mlp', ppo: { numEnvs: 8, numSteps: 32 } });
    expect(planFragments(c, { lanes: 0, fragmentSteps: 0 }, 8 << 20)).toEqual({ lanes: 8, steps: 32 });
    // RAM observations (2048 bytes): 8 lanes × 32 steps are 530 kB, more than 512 KiB less the header room; 16 steps fit.
    expect(planFragments(c, { lanes: 0, fragmentSteps: 0 }, 1 << 19)).toEqual({ lanes: 8, steps: 16 });
    expect(planFragments(c, { lanes: 2, fragmentSteps: 8 }, 1 << 20)).toEqual({ lanes: 2, steps: 8 });
    expect(() => planFragments(c, { lanes: 3, fragmentSteps: 0 }, 1 << 20)).toThrow(
      "Expected a divisor of the run's numEnvs (8) for actor.lanes but received 3",
    );
    expect(() => planFragments(c, { lanes: 2, fragmentSteps: 5 }, 1 << 20)).toThrow(
      "Expected a divisor of the run's numSteps (32) for actor.fragmentSteps but received 5",
    );
    expect(() => planFragments(c, { lanes: 8, fragmentSteps: 32 }, 1 << 19)).toThrow(
      /at most 524288 bytes \(the broker's max_payload\) for actor.lanes × actor.fragmentSteps/,
    );
  });
});

describe('broker retries', () => {
  it('retries until it works, logging each failure, and gives up after its time naming what failed', async () => {
    const lines: string[] = [];
    let calls = 0;
    const ok = await retry(
      'reading x',
      async () => {
        if (++calls < 3) throw new Error('connection refused');
        return 42;
      },
      10,
      (m) => lines.push(m),
    );
    expect(ok).toBe(42);
    expect(lines.filter((l) => l.includes('reading x failed (connection refused)'))).toHaveLength(2);
    expect(lines.at(-1)).toMatch(/reading x succeeded after 3 attempts/);
    await expect(
      retry(
        'reading y',
        () => Promise.reject(new Error('timeout')),
        1,
        () => {},
      ),
    ).rejects.toThrow(/broker: reading y failed for 1 s \(\d+ attempts\): timeout/);
    expect(isStreamFull(new Error('maximum bytes exceeded'))).toBe(true);
    await expect(
      retry(
        'publishing',
        () => Promise.reject(new Error('maximum bytes exceeded')),
        10,
        () => {},
      ),
    ).rejects.toThrow('maximum bytes exceeded');
  });
});

describe('mario-rl actor and learner flags', () => {
  it('says what is wrong with the broker flags, with exit code 2, before connecting', () => {
    const root = join(import.meta.dirname, '../..');
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/index.ts'), ...args], {
        encoding: 'utf8',
        cwd: root,
        env: { ...process.env, MARIO_RL_BROKER: '' },
      });
    const none = cli('actor');
    expect([none.status, none.stderr]).toEqual([2, expect.stringContaining('--broker nats://HOST:PORT is required (or set MARIO_RL_BROKER)')]);
    const lanes = cli('actor', '--broker', 'nats://127.0.0.1:1', '--lanes', 'four');
    expect([lanes.status, lanes.stderr]).toEqual([2, expect.stringContaining("--lanes must be a number but is 'four'")]);
    const secret = cli('learner', '--broker', 'http://u:hunter2@h:1', '--preset', 'runner-ram');
    expect([secret.status, secret.stderr]).toEqual([
      2,
      expect.stringContaining('Expected a nats:// or tls:// URL for distributed.broker but received a http:// URL'),
    ]);
    expect(secret.stderr).not.toContain('hunter2');
  }, 120_000);
});
