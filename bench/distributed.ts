/**
 * A distributed run's overhead on one machine: agent steps/s of `mario-rl learner` + 2
 * `mario-rl actor`s (separate processes, a local nats-server with JetStream) against the
 * single-process `mario-rl train` at the same lanes and config (the baseline, measured in the same
 * run, in turns: single, distributed, single, distributed…), and the broker's bytes per agent step:
 * fragments (actors → learner) and weights (learner → each actor, after every update).
 * Both run the Trainer's defaults otherwise, overlap included (the single process collects the next
 * rollout while it trains, as the actors do while the learner trains).
 * Rates are from metrics.jsonl's `time/elapsed_s`, between the end of the first update (graph
 * builds, actors joining) and the last. Over the same window (where /proc is, i.e. Linux) it reads
 * each process's CPU time (user + system, all threads: the learner's, each actor's, nats-server's,
 * the single process's), and prints CPU-µs per agent step and the cores busy on average: where the
 * distributed arm's extra work goes, and whether the machine's cores or the pipeline bound it.
 *
 * Run: node --import tsx bench/distributed.ts [--updates 10] [--lanes 8] [--steps 32]
 *      [--setup ram|pixels] [--rounds 1] [--compare DIR] [--cpu-prof DIR]
 * `--compare DIR` adds a third arm in each round: the distributed run from another checkout's
 * sources (DIR/src/cli/index.ts, e.g. main before a change), for before/after in the same minutes.
 * `--cpu-prof DIR` writes a V8 CPU profile (`node --cpu-prof`) of each process of this checkout's
 * distributed arm into DIR (learner, actors; open in Chrome DevTools or read the .cpuprofile JSON).
 * `--setup ram` is the built-in game from RAM with the mlp network (runner-ram), the cheapest
 * learner, where the transport's share is largest; `pixels` 42×42 gray frames, baseline network.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { findNatsServer, NatsServer } from '../tests/distributed/nats-server.js';

if (process.argv.includes('--help')) {
  console.log(
    'node --import tsx bench/distributed.ts [--updates 10] [--lanes 8] [--steps 32] [--setup ram|pixels] [--rounds 1] [--compare DIR] [--cpu-prof DIR]\n' +
      '  single process vs learner + 2 actors (each --lanes; the single process steps 2 × lanes), in turns, --rounds times;\n' +
      "  --compare DIR adds another checkout's learner + 2 actors (e.g. main before a change) to each round;\n" +
      "  --cpu-prof DIR writes a CPU profile of this checkout's learner and actors into DIR",
  );
  process.exit(0);
}

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
const cpuProf = flag('cpu-prof', '');
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

/** A `mario-rl` process: its child (for its pid) and its end (rejects with its output on a non-zero exit). */
function run(args: string[], at = root, nodeArgs: string[] = []): { child: ChildProcess; done: Promise<string> } {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(at, 'src/cli/index.ts'), ...args], {
    cwd: at,
    env: { ...process.env, MARIO_ROM: '' },
  });
  const done = new Promise<string>((ok, fail) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => (code === 0 ? ok(out) : fail(new Error(`mario-rl ${args[0]} exited with ${code}:\n${out.slice(-3000)}`))));
  });
  return { child, done };
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

const hasProc = existsSync('/proc/self/stat');
const clockTicks = 100; // USER_HZ, 100 on every Linux we run on (`getconf CLK_TCK`)
/** CPU seconds (user + system, all threads) a live process has used so far; NaN once it is gone. */
function cpuSeconds(pid: number): number {
  try {
    // fields after "(comm) ": state is field 3, utime 14, stime 15 (proc(5))
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / clockTicks;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds each process used between the first metrics row and the last (empty without /proc). */
type CpuUse = Record<string, number>;

/**
 * Waits for `done`, reading the processes' CPU time each time metrics.jsonl gains a row: the
 * samples at the first row and at the last one bound the window the rate is measured over.
 */
async function sampleCpu(pids: Record<string, number>, runDir: string, done: Promise<unknown>): Promise<CpuUse> {
  if (!hasProc) return (await done, {});
  const file = join(runDir, 'metrics.jsonl');
  const atRows = new Map<number, Record<string, number>>();
  let finished = false;
  const end = done.finally(() => (finished = true));
  while (!finished) {
    const rows = existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l.trim() !== '').length
      : 0;
    if (rows > 0 && !atRows.has(rows)) atRows.set(rows, Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)])));
    await new Promise((r) => setTimeout(r, 20));
  }
  await end;
  const rows = readRows(runDir).length;
  const first = atRows.get(1);
  const last = atRows.get(rows);
  // The last row is written just before the process exits: a sample can miss it, then the window is unknown.
  if (!first || !last) return {};
  return Object.fromEntries(Object.keys(pids).map((k) => [k, last[k]! - first[k]!]));
}

/** "CPU 412 µs/agent step (learner 150, actor 120 + 118, nats-server 24), 1.52 cores busy", from one run's window. */
function cpuLine(use: CpuUse, rows: Row[]): string {
  const names = Object.keys(use);
  if (names.length === 0 || names.some((k) => !Number.isFinite(use[k])))
    return hasProc ? 'CPU not sampled (a sample missed the window)' : 'CPU not sampled (no /proc)';
  const first = rows[0]!;
  const last = rows.at(-1)!;
  const steps = last.global_step! - first.global_step!;
  const seconds = last['time/elapsed_s']! - first['time/elapsed_s']!;
  const total = names.reduce((s, k) => s + use[k]!, 0);
  const us = (k: string) => ((use[k]! / steps) * 1e6).toFixed(0);
  const parts = names.length > 1 ? ` (${names.map((k) => `${k} ${us(k)}`).join(', ')})` : '';
  return `CPU ${((total / steps) * 1e6).toFixed(0)} µs/agent step${parts}, ${(total / seconds).toFixed(2)} cores busy`;
}

async function single(k: number): Promise<{ sps: number; cpu: string }> {
  const runDir = join(dir, `single-${k}`);
  const p = run(['train', ...common, '--run-dir', runDir]);
  const use = await sampleCpu({ train: p.child.pid! }, runDir, p.done);
  const rows = readRows(runDir);
  return { sps: rate(rows), cpu: cpuLine(use, rows) };
}

async function distributed(
  server: NatsServer,
  k: number,
  at = root,
): Promise<{ sps: number; bytesPerStep: number; weightsPerStep: number; lag: number; stale: number; waits: number; cpu: string }> {
  const name = `${at === root ? 'distributed' : 'compare'}-${k}`;
  const runDir = join(dir, name);
  const broker = ['--broker', server.url, '--namespace', name];
  const prof = cpuProf && at === root ? ['--cpu-prof', '--cpu-prof-dir', resolve(cpuProf)] : [];
  const learner = run(['learner', ...broker, ...common, '--run-dir', runDir], at, prof.length ? [...prof, '--cpu-prof-name', `learner-${k}.cpuprofile`] : []);
  const actors = [0, 1].map((i) =>
    run(['actor', ...broker, '--lanes', String(lanes), '--threads', '1'], at, prof.length ? [...prof, '--cpu-prof-name', `actor-${k}-${i}.cpuprofile`] : []),
  );
  const pids: Record<string, number> = { learner: learner.child.pid!, 'actor 1': actors[0]!.child.pid!, 'actor 2': actors[1]!.child.pid! };
  if (server.pid !== undefined) pids['nats-server'] = server.pid;
  const use = await sampleCpu(pids, runDir, Promise.all([learner.done, ...actors.map((a) => a.done)]));
  const rows = readRows(runDir);
  const last = rows.at(-1)!;
  return {
    sps: rate(rows),
    bytesPerStep: last['distributed/bytes_per_agent_step']!,
    weightsPerStep: last['distributed/weights_bytes_per_agent_step'] ?? Number.NaN, // NaN: a --compare checkout without the metric
    lag: rows.reduce((s, r) => s + r['distributed/policy_lag_mean']!, 0) / rows.length,
    stale: last['distributed/fragments_dropped_stale']!,
    waits: last['distributed/actor_waits_for_weights'] ?? Number.NaN, // NaN: a --compare checkout without the metric
    cpu: cpuLine(use, rows),
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
    const one = await single(k);
    singles.push(one.sps);
    console.log(`  single process       ${one.sps.toFixed(0)} agent steps/s; ${one.cpu}`);
    dists.push(await distributed(server, k));
    const d = dists.at(-1)!;
    console.log(
      `  learner + 2 actors   ${d.sps.toFixed(0)} agent steps/s, ${(d.bytesPerStep + d.weightsPerStep).toFixed(0)} bytes/agent step from the broker (fragments ${d.bytesPerStep.toFixed(0)} + weights ${d.weightsPerStep.toFixed(0)}), mean policy lag ${d.lag.toFixed(2)}, ${d.stale} stale fragments, ${d.waits} waits for weights`,
    );
    console.log(`                       ${d.cpu}`);
    if (compare) {
      const c = await distributed(server, k, resolve(compare));
      compared.push(c.sps);
      console.log(
        `  (${compare}) l + 2 a ${c.sps.toFixed(0)} agent steps/s, ${(c.bytesPerStep + c.weightsPerStep).toFixed(0)} bytes/agent step from the broker, mean policy lag ${c.lag.toFixed(2)}, ${c.stale} stale fragments`,
      );
      console.log(`                       ${c.cpu}`);
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
    `ratio distributed/single ${(d / s).toFixed(3)} (overhead ${((1 - d / s) * 100).toFixed(1)}%); broker ${(((dists.reduce((a, b) => a + b.bytesPerStep + b.weightsPerStep, 0) / rounds) * d) / 1e6).toFixed(2)} MB/s out at that rate; load ${loadavg()[0]!.toFixed(2)}`,
  );
} finally {
  await server.dispose();
  rmSync(dir, { recursive: true, force: true });
}
