/**
 * What one weights version costs on the broker path: the learner's put and one actor's read of W
 * bytes (default runner-ram's parameters, 2.37 MB), `--versions` times, against a local nats-server
 * (JetStream, file storage, max_payload 1 MiB as a default server), in three ways, in turns:
 *
 *   object store, JS SHA-256   Broker.putObject/getObject with the client's default digest: how the
 *                              weights travelled before 2026-12-07 (the baseline)
 *   object store, native       the same with the client's setSha256Backend('native') (node:crypto)
 *   weights stream             Broker.putWeights/getWeights: chunks at max_payload and a manifest,
 *                              SHA-256 from node:crypto (src/distributed/weights.ts)
 *
 * It prints CPU-ms per version of this process (which does both sides: put and read) and of
 * nats-server (from /proc, where there is one); wall-clock ms for reference only (on a shared
 * machine only the CPU times compare).
 *
 * Run: node --import tsx bench/weights-transport.ts [--versions 20] [--bytes 2368592] [--rounds 2]
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

import { setSha256Backend } from '@nats-io/obj';

import { Broker } from '../src/distributed/broker.js';
import { parseBrokerUrl } from '../src/distributed/broker-url.js';
import { findNatsServer, NatsServer } from '../tests/distributed/nats-server.js';

if (process.argv.includes('--help')) {
  console.log('node --import tsx bench/weights-transport.ts [--versions 20] [--bytes 2368592] [--rounds 2]');
  process.exit(0);
}
function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}
const versions = Number(flag('versions', '20'));
const bytes = Number(flag('bytes', '2368592'));
const rounds = Number(flag('rounds', '2'));

/** CPU seconds (user + system) of a live process, from /proc; NaN without it. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // USER_HZ
  } catch {
    return Number.NaN;
  }
}

type Way = 'object store, JS SHA-256' | 'object store, native' | 'weights stream';

async function measure(server: NatsServer, way: Way, round: number): Promise<string> {
  setSha256Backend(way === 'object store, JS SHA-256' ? 'js' : 'native');
  const options = { namespace: `bench-${round}-${way.replace(/[^a-z]/g, '')}`, retrySeconds: 30, name: 'bench', log: () => {} };
  const learner = await Broker.connect(parseBrokerUrl(server.url), options);
  const actor = await Broker.connect(parseBrokerUrl(server.url), options);
  const data = new Uint8Array(bytes).map((_, i) => (i * 2654435761) >>> 24);
  const put = (v: number) =>
    way === 'weights stream' ? learner.putWeights(data, { version: String(v) }) : learner.putObject('config', data, { version: String(v) });
  const read = async () => (way === 'weights stream' ? actor.getWeights() : actor.getObject('config'));
  try {
    await put(-1); // stream / store created, connections warm
    await read();
    const cpu0 = process.cpuUsage();
    const server0 = cpuSeconds(server.pid);
    const t0 = performance.now();
    for (let v = 0; v < versions; v++) {
      await put(v);
      const got = await read();
      if (got?.data.length !== bytes || got.state.metadata.version !== String(v)) throw new Error(`${way}: read back the wrong version`);
    }
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const serverCpu = cpuSeconds(server.pid) - server0;
    const per = (ms: number) => (ms / versions).toFixed(1);
    return `  ${way.padEnd(26)} client ${per((cpu.user + cpu.system) / 1000)} CPU-ms/version, nats-server ${Number.isFinite(serverCpu) ? per(serverCpu * 1000) : '?'} CPU-ms/version (wall ${per(wall)} ms)`;
  } finally {
    await learner.close();
    await actor.close();
  }
}

const found = findNatsServer();
if ('missing' in found) {
  console.error(`bench/weights-transport.ts: ${found.missing}`);
  process.exit(1);
}
const server = await NatsServer.start(found.path, { maxPayload: 1024 * 1024 });
try {
  console.log(`weights transport: ${versions} versions of ${bytes} bytes, put + one read each, ${rounds} round(s) in turns; load ${loadavg()[0]!.toFixed(2)}`);
  for (let k = 0; k < rounds; k++) {
    for (const way of ['object store, JS SHA-256', 'object store, native', 'weights stream'] as const) console.log(await measure(server, way, k));
  }
  console.log(`load ${loadavg()[0]!.toFixed(2)}`);
} finally {
  await server.dispose();
}
