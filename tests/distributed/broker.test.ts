/**
 * The Broker against a real nats-server (JetStream, 127.0.0.1, a free port): fragments stored once
 * per id, consumed in order, weights versions and objects with metadata, a server restart survived
 * (logged), a server that stays away failing a call after retrySeconds with a clear error, and
 * reads of weights and objects replaced while they are read.
 *
 * Skips, saying why, only without a nats-server (bash scripts/install-nats.sh installs it).
 */
import { afterAll, describe, expect, it } from 'vitest';

import { bytesEqual } from '../../src/bytes.js';
import { Broker } from '../../src/distributed/broker.js';
import { parseBrokerUrl } from '../../src/distributed/broker-url.js';
import { findNatsServer, NatsServer } from './nats-server.js';

const found = findNatsServer();
if ('missing' in found) console.warn(`[skip] tests/distributed/broker.test.ts: ${found.missing}`);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe.skipIf('missing' in found)('Broker on a real nats-server', () => {
  let server: NatsServer | undefined;
  afterAll(async () => server?.dispose());

  it('stores a fragment once per id, survives a server restart, and gives up after retrySeconds when the server stays away', async () => {
    server = await NatsServer.start((found as { path: string }).path, { auth: { user: 'u', password: 'secret-pw' } });
    const lines: string[] = [];
    const options = { namespace: 'test', retrySeconds: 60, name: 'test', log: (m: string) => lines.push(m) };
    const broker = await Broker.connect(parseBrokerUrl(server.url), options);
    const impatient = await Broker.connect(parseBrokerUrl(server.url), { ...options, retrySeconds: 2 });
    try {
      await broker.ensureStream(1 << 24);
      await broker.openConsumer(1);
      const first = await broker.publishFragment(new Uint8Array([1, 2, 3]), 'actor-0');
      const again = await broker.publishFragment(new Uint8Array([1, 2, 3]), 'actor-0');
      expect(again).toEqual({ seq: first!.seq, duplicate: true });

      expect(await broker.weightsState()).toBeNull();
      expect(await broker.getWeights()).toBeNull();
      await broker.putWeights(new Uint8Array(300_000).fill(7), { version: '3', runId: 'r' });
      const weights = await broker.getWeights();
      expect([weights!.data.length, weights!.data[299_999], weights!.state.metadata.version]).toEqual([300_000, 7, '3']);
      await broker.putObject('config', new TextEncoder().encode('{}'), { runId: 'r' });

      // The broker restarts (same store): a publish during the outage completes once it is back.
      await server.stop();
      const back = sleep(1500).then(() => server!.start());
      const second = await broker.publishFragment(new Uint8Array([4]), 'actor-1');
      await back;
      expect(second).toEqual({ seq: first!.seq + 1, duplicate: false });
      const m1 = await broker.nextFragment(5000);
      const m2 = await broker.nextFragment(5000);
      m1!.ack();
      m2!.ack();
      expect([m1!.seq, [...m1!.data], m2!.seq, [...m2!.data]]).toEqual([first!.seq, [1, 2, 3], second!.seq, [4]]);
      expect((await broker.weightsState())!.metadata.version).toBe('3');
      expect((await broker.getWeights())!.data.length).toBe(300_000);
      expect((await broker.objectState('config'))!.metadata.runId).toBe('r');
      expect(lines.some((l) => l.startsWith('broker: disconnected from nats://u:***@127.0.0.1:'))).toBe(true);
      expect(lines.join('\n')).not.toContain('secret-pw');

      // Away for good: a call fails after retrySeconds, naming what failed and the redacted URL.
      await server.stop();
      await expect(impatient.streamState()).rejects.toThrow(/broker: reading the fragments stream \(nats:\/\/u:\*\*\*@127\.0\.0\.1:\d+\) failed for 2 s/);
    } finally {
      await impatient.close().catch(() => {});
      await broker.close().catch(() => {});
    }
  }, 300_000);

  it('reads an object that is replaced while it is read (its old chunks purged) without waiting forever', async () => {
    const own = await NatsServer.start((found as { path: string }).path);
    const options = { namespace: 'replaced', retrySeconds: 30, name: 'test', log: () => {} };
    const writer = await Broker.connect(parseBrokerUrl(own.url), options);
    const reader = await Broker.connect(parseBrokerUrl(own.url), options);
    let writing = true;
    let puts = 0;
    // Weights-sized objects (5 chunks of 128 KiB) put back to back, each filled with its own number.
    const put = (v: number) => writer.putObject('config', new Uint8Array(600_000).fill(v % 256), { version: String(v) });
    await put(puts++);
    const writes = (async () => {
      while (writing) await put(puts++);
    })();
    try {
      const start = Date.now();
      let reads = 0;
      while (reads < 10 || Date.now() - start < 4000) {
        // Before the fix a read whose chunks were purged never ended; 20 s is far beyond any read here.
        const deadline = sleep(20_000).then(() => 'stuck' as const);
        const got = await Promise.race([reader.getObject('config'), deadline]);
        if (got === 'stuck') throw new Error(`read ${reads} did not end in 20 s (${puts} puts so far)`);
        // Whole and of one revision: its bytes are the number its metadata says.
        const v = Number(got!.state.metadata.version);
        expect([got!.data.length, got!.data[0], got!.data[599_999]]).toEqual([600_000, v % 256, v % 256]);
        reads++;
      }
      expect(puts).toBeGreaterThan(reads / 4); // the object really was replaced during the reads
    } finally {
      writing = false;
      await writes;
      await writer.close();
      await reader.close();
      await own.dispose();
    }
  }, 120_000);

  it('reads whole weights versions, chunked below max_payload and checked, while newer ones replace them', async () => {
    // max_payload 256 KiB: a 600 kB version is 3 chunks (each under it) and a manifest.
    const own = await NatsServer.start((found as { path: string }).path, { maxPayload: 256 * 1024 });
    const options = { namespace: 'weights', retrySeconds: 30, name: 'test', log: () => {} };
    const writer = await Broker.connect(parseBrokerUrl(own.url), options);
    const reader = await Broker.connect(parseBrokerUrl(own.url), options);
    let writing = true;
    let puts = 0;
    // Each version filled with its own number but for its last byte, so a mix of two versions or a lost chunk shows.
    const bytes = (v: number) => {
      const b = new Uint8Array(600_000).fill(v % 256);
      b[599_999] = (v + 1) % 256;
      return b;
    };
    const put = (v: number) => writer.putWeights(bytes(v), { version: String(v) });
    await put(puts++);
    const writes = (async () => {
      while (writing) await put(puts++);
    })();
    try {
      const start = Date.now();
      const versions = new Set<number>();
      let reads = 0;
      while (reads < 10 || Date.now() - start < 4000) {
        const deadline = sleep(20_000).then(() => 'stuck' as const);
        const got = await Promise.race([reader.getWeights(), deadline]);
        if (got === 'stuck') throw new Error(`read ${reads} did not end in 20 s (${puts} puts so far)`);
        const v = Number(got!.state.metadata.version);
        // Whole and of one version (a deep toEqual of 600 kB is too slow for a loop).
        expect([got!.data.length, got!.data[0], got!.data[599_998], got!.data[599_999]]).toEqual([600_000, v % 256, v % 256, (v + 1) % 256]);
        expect(bytesEqual(got!.data, bytes(v))).toBe(true);
        versions.add(v);
        reads++;
      }
      expect(versions.size).toBeGreaterThan(1); // the weights really were replaced during the reads
      // The manifest says the newest version: none older than one already read.
      const state = await reader.weightsState();
      expect(Number(state!.metadata.version)).toBeGreaterThanOrEqual(Math.max(...versions));
    } finally {
      writing = false;
      await writes;
      await writer.close();
      await reader.close();
      await own.dispose();
    }
  }, 120_000);
});
