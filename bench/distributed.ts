/**
 * A distributed run's overhead on one machine: agent steps/s of `mario-rl learner` + 2
 * `mario-rl actor`s (separate processes, a local nats-server with JetStream) against the
 * single-process `mario-rl train` at the same lanes and config (the baseline, measured in the same
 * run, in turns: single, distributed, single, distributed…), and the broker's bytes per agent step.
 * Both run the Trainer's defaults otherwise, overlap included (the single process collects the next
 * rollout while it trains, as the actors do while the learner trains).
 * Rates are from metrics.jsonl's `time/elapsed_s`, between the end of the first update (graph
 * builds, actors joining) and the last.
 *
 * Run: node --import tsx bench/distributed.ts [--updates 10] [--lanes 8] [--steps 32]
 *      [--setup ram|pixels] [--rounds 1] [--compare DIR]
 * `--compare DIR` adds a third arm in each round: the distributed run from another checkout's
 * sources (DIR/src/cli/index.ts, e.g. main before a change), for before/after in the same minutes.
 * `--setup ram` is the built-in game from RAM with the mlp network (runner-ram), the cheapest
 * learner, where the transport's share is largest; `pixels` 42×42 gray frames, baseline network.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { findNatsServer, NatsServer } from '../tests/distributed/nats-server.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}
const updates = Number(flag('updates', '10'));
const lanes = Number(flag('lanes', '8')); // per actor; the single process steps 2 × lanes
const steps = Number(flag('steps', '32'));
const setup = flag('setup', 'ram');
const rounds = Number(flag('rounds', '1'));
const compare = flag('compare', '');
const root = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'mario-rl-bench-distributed-'));

const setupFlags = setup === 'ram' ? ['--preset', 'runner-ram'] : ['--preset', 'runner-pixels', '--env.width', '42', '--env.height', '42', '--threads', '2'];
const common = [
  ...setupFlags,
  '--ppo.num-envs',
  String(2 * lanes),
  '--ppo.num-steps',
  String(steps),
  '--total-steps',
  String(2 * lanes * steps * updates),
  '--log.heartbeat-seconds',
  '0',
  '--log.tensorboard',
  'false',
  '--log.progress',
  'off',
  '--hints.enabled',
  'false',
  '--checkpoint.interval',
  '0',
  '--device',
  'cpu',
  '--seed',
  '1',
];

function run(args: string[], at = root): Promise<string> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(at, 'src/cli/index.ts'), ...args], { cwd: at, env: { ...process.env, MARIO_ROM: '' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => (code === 0 ? ok(out) : fail(new Error(`mario-rl ${args[0]} exited with ${code}:\n${out.slice(-3000)}`))));
  });
}

type Row = Record<string, number>;
const readRows = (runDir: string): Row[] =>
  readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Row);

/** Agent steps/s between the first row and the last. */
function rate(rows: Row[]): number {
  const first = rows[0]!;
  const last = rows.at(-1)!;
  return (last.global_step! - first.global_step!) / (last['time/elapsed_s']! - first['time/elapsed_s']!);
}

async function single(k: number): Promise<number> {
  const runDir = join(dir, `single-${k}`);
  await run(['train', ...common, '--run-dir', runDir]);
  return rate(readRows(runDir));
}

async function distributed(server: NatsServer, k: number, at = root): Promise<{ sps: number; bytesPerStep: number; lag: number; stale: number }> {
  const name = `${at === root ? 'distributed' : 'compare'}-${k}`;
  const runDir = join(dir, name);
  const broker = ['--broker', server.url, '--namespace', name];
  const learner = run(['learner', ...broker, ...common, '--run-dir', runDir], at);
  const actors = [0, 1].map(() => run(['actor', ...broker, '--lanes', String(lanes), '--threads', '1'], at));
  await Promise.all([learner, ...actors]);
  const rows = readRows(runDir);
  const last = rows.at(-1)!;
  return {
    sps: rate(rows),
    bytesPerStep: last['distributed/bytes_per_agent_step']!,
    lag: rows.reduce((s, r) => s + r['distributed/policy_lag_mean']!, 0) / rows.length,
    stale: last['distributed/fragments_dropped_stale']!,
  };
}

const found = findNatsServer();
if ('missing' in found) {
  console.error(`bench/distributed.ts: ${found.missing}`);
  process.exit(1);
}
const server = await NatsServer.start(found.path);
try {
  console.log(
    `distributed: ${setup} setup, PPO, ${2 * lanes} lanes (2 actors × ${lanes}) × ${steps} steps, ${updates} updates (the first not measured), ` +
      `${rounds} round(s) in turns; load ${loadavg()[0]!.toFixed(2)}`,
  );
  const singles: number[] = [];
  const dists: Awaited<ReturnType<typeof distributed>>[] = [];
  const compared: number[] = [];
  for (let k = 0; k < rounds; k++) {
    singles.push(await single(k));
    console.log(`  single process       ${singles.at(-1)!.toFixed(0)} agent steps/s`);
    dists.push(await distributed(server, k));
    const d = dists.at(-1)!;
    console.log(
      `  learner + 2 actors   ${d.sps.toFixed(0)} agent steps/s, ${d.bytesPerStep.toFixed(0)} bytes/agent step through the broker, mean policy lag ${d.lag.toFixed(2)}, ${d.stale} stale fragments`,
    );
    if (compare) {
      const c = await distributed(server, k, resolve(compare));
      compared.push(c.sps);
      console.log(`  (${compare}) l + 2 a ${c.sps.toFixed(0)} agent steps/s, mean policy lag ${c.lag.toFixed(2)}, ${c.stale} stale fragments`);
    }
  }
  const s = singles.reduce((a, b) => a + b, 0) / rounds;
  const d = dists.reduce((a, b) => a + b.sps, 0) / rounds;
  if (compare) {
    const c = compared.reduce((a, b) => a + b, 0) / rounds;
    console.log(
      `ratio ${compare}'s distributed/single ${(c / s).toFixed(3)} (overhead ${((1 - c / s) * 100).toFixed(1)}%); this checkout's over it ${(d / c).toFixed(3)}`,
    );
  }
  console.log(
    `ratio distributed/single ${(d / s).toFixed(3)} (overhead ${((1 - d / s) * 100).toFixed(1)}%); broker ${((dists[0]!.bytesPerStep * d) / 1e6).toFixed(2)} MB/s at that rate; load ${loadavg()[0]!.toFixed(2)}`,
  );
} finally {
  await server.dispose();
  rmSync(dir, { recursive: true, force: true });
}
