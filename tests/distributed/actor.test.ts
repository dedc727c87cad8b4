/**
 * An Actor leaves when its learner does (src/distributed/run-status.ts): against a real nats-server
 * and a stand-in learner (a Broker storing the run's status, config and weights as the learner
 * does), the actor returns 'done' when the run is done, 'learner-stopped' (with the reason) when
 * the learner stopped early, and 'learner-gone' when the learner's heartbeat stops (a killed
 * learner: before, the actor waited for it forever) or no learner comes; `mario-rl actor` exits
 * with 3 for the last. And an actor whose weights are too old for its next fragment to arrive
 * within the learner's maxPolicyLag waits for the newest before collecting it (src/train/actor.ts,
 * `pace`), instead of collecting a fragment the learner would drop as stale. An actor whose
 * learner speaks another protocol (another mario-rl version) refuses to join, naming both versions,
 * publishes nothing and exits with 4.
 *
 * Skips, saying why, only without a nats-server (bash scripts/install-nats.sh installs it).
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Broker } from '../../src/distributed/broker.js';
import { parseBrokerUrl } from '../../src/distributed/broker-url.js';
import { packageVersion, PROTOCOL } from '../../src/distributed/protocol.js';
import { Learner } from '../../src/runtime/learner.js';
import { Actor, type ActorSummary } from '../../src/train/actor.js';
import { validateConfig } from '../../src/train/config.js';
import { type RunAnnouncement } from '../../src/train/distributed-learner.js';
import { trainSpecFor } from '../../src/train/env-options.js';
import { presetConfig } from '../../src/train/presets.js';
import { findNatsServer, NatsServer } from './nats-server.js';

const found = findNatsServer();
if ('missing' in found) console.warn(`[skip] tests/distributed/actor.test.ts: ${found.missing}`);

const root = resolve(import.meta.dirname, '../..');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The learner's side of the protocol, by hand: status, config and weights (their size in bytes), as trainDistributed stores them. */
async function standInLearner(url: string, namespace: string, runId: string): Promise<{ broker: Broker; weights: Uint8Array; weightsBytes: number }> {
  const broker = await Broker.connect(parseBrokerUrl(url), { namespace, retrySeconds: 30, name: 'stand-in learner', log: () => {} });
  await broker.ensureStream(1 << 26);
  const preset = presetConfig('runner-ram');
  const config = validateConfig({ ...preset, ppo: { ...preset.ppo, numEnvs: 4, numSteps: 8 }, device: 'cpu' });
  const learner = await Learner.create({ train: trainSpecFor(config), seed: 1, device: 'cpu', threads: 1 });
  try {
    await broker.putObject('status', new TextEncoder().encode('running'), { runId, state: 'running', update: '0' });
    const announcement: RunAnnouncement = { runId, config, maxPolicyLag: 2 };
    await broker.putObject('config', new TextEncoder().encode(JSON.stringify(announcement)), { runId });
    const weights = learner.toSafetensors();
    await broker.putWeights(weights, { version: '0', runId, streamSeq: '0' });
    return { broker, weights, weightsBytes: weights.length };
  } finally {
    await learner.close();
  }
}

describe.skipIf('missing' in found)('an actor leaves when its learner does', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await NatsServer.start((found as { path: string }).path);
  });
  afterAll(async () => server?.dispose());

  /** Runs an actor for the stand-in learner of `namespace`; `then` plays the learner once the actor published a fragment. */
  async function actFor(
    namespace: string,
    then: (learner: Broker) => Promise<void>,
  ): Promise<{ summary: ActorSummary; lines: string[]; seconds: number; weightsBytes: number; reported: number[] }> {
    const { broker: learner, weightsBytes } = await standInLearner(server.url, namespace, `run-${namespace}`);
    // Its heartbeat, as a learner at work: a new revision of `status` every second until `then`.
    let beats = 0;
    const heartbeat = setInterval(() => {
      void learner.putObject('status', new TextEncoder().encode('running'), { runId: `run-${namespace}`, state: 'running', update: String(beats++) });
    }, 1000);
    const lines: string[] = [];
    let published = 0;
    const reported: number[] = []; // each fragment's weightsBytes
    const actor = new Actor(
      { broker: server.url, namespace, lanes: 2, threads: 1, learnerTimeout: 4, retrySeconds: 30 },
      {
        log: (m) => lines.push(m),
        onFragment: (f) => {
          published++;
          reported.push(f.weightsBytes);
        },
      },
    );
    const t0 = Date.now();
    const running = actor.run();
    try {
      while (published === 0) {
        if (Date.now() - t0 > 120_000) throw new Error(`no fragment in 120 s:\n${lines.join('\n')}`);
        await sleep(100);
      }
      clearInterval(heartbeat);
      await sleep(200); // a heartbeat in flight lands before what `then` stores
      await then(learner);
      // Bounded however it ends: before the fix a silent learner kept the actor waiting forever.
      const summary = await Promise.race([running, sleep(120_000).then(() => Promise.reject(new Error(`the actor did not leave:\n${lines.join('\n')}`)))]);
      return { summary, lines, seconds: (Date.now() - t0) / 1000, weightsBytes, reported };
    } finally {
      clearInterval(heartbeat);
      actor.stop();
      await running.catch(() => {});
      await learner.close();
    }
  }

  it('returns done when the learner finishes the run', async () => {
    const { summary, lines, weightsBytes, reported } = await actFor('done', (l) =>
      l.putObject('status', new TextEncoder().encode('done'), { runId: 'run-done', state: 'done', update: '3' }),
    );
    expect(summary.stopReason).toBe('done');
    expect(summary.fragments).toBeGreaterThan(0);
    expect(lines.join('\n')).toContain('the learner finished run run-done');
    // The one weights version the stand-in stored was read once, before the first fragment: every
    // fragment says so (the learner's distributed/weights_bytes), and so does the summary.
    expect(weightsBytes).toBeGreaterThan(1e6);
    expect(reported).toEqual(Array.from({ length: summary.fragments }, () => weightsBytes));
    expect(summary.weightsBytes).toBe(weightsBytes);
  }, 300_000);

  it('returns learner-stopped, with the learner reason, when it stops before the end', async () => {
    const { summary } = await actFor('stopped', (l) =>
      l.putObject('status', new TextEncoder().encode('stopped'), { runId: 'run-stopped', state: 'stopped', update: '3', reason: 'SIGINT' }),
    );
    expect(summary.stopReason).toBe('learner-stopped');
    expect(summary.stopMessage).toMatch(/the learner stopped run run-stopped before its end \(SIGINT\)/);
  }, 300_000);

  it('returns learner-gone once the heartbeat stops for learnerTimeout (a killed learner)', async () => {
    // The stand-in never beats again after its first status: as a learner killed with kill -9.
    let silentFrom = 0;
    const { summary } = await actFor('silent', async () => {
      silentFrom = Date.now();
    });
    const waited = (Date.now() - silentFrom) / 1000;
    expect(summary.stopReason).toBe('learner-gone');
    expect(summary.stopMessage).toMatch(
      /no heartbeat from the learner of run run-silent for \d+ s \(actor\.learnerTimeout 4 s\): it was killed or lost the broker; exiting/,
    );
    expect(waited).toBeLessThan(60); // the 4 s timeout, checked every 2 s, on a slow machine
  }, 300_000);

  it('mario-rl actor exits with 3 when no learner comes within --learner-timeout', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'src/cli/index.ts'), 'actor', '--broker', server.url, '--namespace', 'nobody', '--learner-timeout', '2'],
      { cwd: root },
    );
    let out = '';
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((ok) => child.once('exit', ok));
    expect(code, out).toBe(3);
    expect(out).toMatch(/no learner at work on nats:\/\/127\.0\.0\.1:\d+ \(namespace nobody\) within 2 s \(actor\.learnerTimeout\); exiting/);
    expect(out).toContain('mario-rl actor: the learner is gone: 0 fragments');
  }, 120_000);

  it('mario-rl actor refuses a learner of another protocol, naming both versions, publishes nothing and exits with 4', async () => {
    const namespace = 'future';
    const runId = 'run-future';
    const learner = await Broker.connect(parseBrokerUrl(server.url), { namespace, retrySeconds: 30, name: 'stand-in learner', log: () => {} });
    try {
      await learner.ensureStream(1 << 26);
      // A learner of a later revision at work: its status and its announcement, as trainDistributed stores them.
      const preset = presetConfig('runner-ram');
      const config = validateConfig({ ...preset, ppo: { ...preset.ppo, numEnvs: 4, numSteps: 8 }, device: 'cpu' });
      const announcement: RunAnnouncement = { protocol: PROTOCOL + 1, version: '9.0.0', runId, config, maxPolicyLag: 2 };
      await learner.putObject('status', new TextEncoder().encode('running'), { runId, state: 'running', update: '0' });
      await learner.putObject('config', new TextEncoder().encode(JSON.stringify(announcement)), { runId });
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(root, 'src/cli/index.ts'), 'actor', '--broker', server.url, '--namespace', namespace, '--learner-timeout', '60'],
        { cwd: root },
      );
      let out = '';
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((ok) => child.once('exit', ok));
      expect(code, out).toBe(4);
      expect(out).toContain(
        `Expected a learner speaking this actor's protocol (mario-rl ${packageVersion()}, protocol ${PROTOCOL}) for run ${runId} but received one of mario-rl 9.0.0, protocol ${PROTOCOL + 1}`,
      );
      expect(out).toContain('mario-rl actor: the learner runs another mario-rl protocol: 0 fragments');
      expect(out).not.toMatch(/joined run/);
      expect((await learner.streamState()).lastSeq).toBe(0); // not a fragment published
    } finally {
      await learner.close();
    }
  }, 120_000);

  it('holds back a fragment that its too-old weights would make stale until it has read the newest, and counts the wait', async () => {
    const runId = 'run-behind';
    // The stand-in: maxPolicyLag 2, batches of 4 lanes × 8 steps; this actor's fragments are 2 lanes × 8 steps, 2 per batch.
    const { broker: learner, weights } = await standInLearner(server.url, 'behind', runId);
    let beats = 0;
    const heartbeat = setInterval(() => {
      void learner.putObject('status', new TextEncoder().encode('running'), { runId, state: 'running', update: String(beats++) });
    }, 1000);
    const lines: string[] = [];
    const fragments: { policyVersion: number; weightsWaits: number; streamSeq: number }[] = [];
    const actor = new Actor(
      { broker: server.url, namespace: 'behind', lanes: 2, threads: 1, learnerTimeout: 60, retrySeconds: 30 },
      {
        log: (m) => lines.push(m),
        onFragment: (f) => fragments.push(f),
      },
    );
    const running = actor.run();
    const until = async (what: string, done: () => boolean) => {
      const t0 = Date.now();
      while (!done()) {
        if (Date.now() - t0 > 120_000) throw new Error(`${what} not in 120 s:\n${lines.join('\n')}`);
        await sleep(50);
      }
    };
    try {
      // The learner has committed nothing (streamSeq 0): two batches ahead, 4 fragments, is as far as the lag bound lets the actor go.
      await until('4 fragments', () => fragments.length >= 4);
      await sleep(1500);
      expect(fragments.length).toBe(4);
      // The learner took the four and is 3 updates on: a fragment acted with version 0 would now have lag 3 > 2 and be dropped.
      // (Before the actor paced itself by its weights' age it collected one at once, reading version 3 meanwhile.)
      await learner.putWeights(weights, { version: '3', runId, streamSeq: String(fragments[3]!.streamSeq) });
      await until('2 more fragments', () => fragments.length >= 6);
      actor.stop();
      const summary = await running;
      expect(fragments.slice(0, 4).map((f) => f.policyVersion)).toEqual([0, 0, 0, 0]);
      // Every fragment after the new version acted with it: none would be dropped as stale.
      expect(fragments.slice(4).map((f) => f.policyVersion)).toEqual(fragments.slice(4).map(() => 3));
      expect(fragments.slice(0, 4).map((f) => f.weightsWaits)).toEqual([0, 0, 0, 0]);
      expect(fragments[4]!.weightsWaits).toBe(1); // the learner's distributed/actor_waits_for_weights takes it from here
      expect(summary.weightsWaits).toBe(fragments.at(-1)!.weightsWaits);
    } finally {
      clearInterval(heartbeat);
      actor.stop();
      await running.catch(() => {});
      await learner.close();
    }
  }, 300_000);
});
