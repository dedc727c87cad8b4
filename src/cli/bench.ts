/**
 * `mario-rl bench`: quick speed checks on this machine, each next to a baseline measured in the
 * same run (the machine may be shared: ratios hold where absolute numbers drift).
 *
 * - `env`: VecEnv on the built-in game (16 lanes, skip 4, 84×84 gray × 4), one thread vs
 *   all cores, and the jsnes backend (pure JavaScript, one thread); the native one-thread row is
 *   the baseline of the speed-up column (jsnes alone when the native addon does not load).
 * - `train`: the whole Trainer loop (acting + learning) for a config (default: the
 *   `runner-pixels` preset; `--preset` or config flags change it), overlap off (baseline) vs on.
 *
 * Before measuring it says when the machine is busy (load average vs cores), since every number
 * then comes out low. The full benches with external baselines (jsnes, Python numbers) are `npm run bench:*` in a
 * source checkout (docs/benchmarks.md).
 */
import { cpus, loadavg } from 'node:os';

import { resolveBackend, type BackendName } from '../backend/select.js';
import { VecEnv } from '../env/vec-env.js';
import { resolveConfig } from '../train/config.js';
import { measureTrainLoop } from './loop-bench.js';
import { measureInTurns, type ThroughputSubject } from '../util/throughput.js';
import { choiceFlag, intFlag, parseKnownFlags, UsageError } from './flags.js';

const USAGE = 'usage: mario-rl bench [--what env|train|all] [--seconds S] [--updates N] [--preset NAME] [config flags for train, e.g. --network baseline]';

/** One row of the env bench: a backend and its thread count. */
interface EnvBenchRow {
  backend: BackendName;
  numThreads: number;
}

/** Agent steps/s of VecEnvs of each row stepping random actions, measured in turns. */
function envStepsPerSecond(rows: readonly EnvBenchRow[], seconds: number): number[] {
  const numEnvs = 16;
  const envs: VecEnv[] = [];
  try {
    const subjects = rows.map(({ backend, numThreads }): ThroughputSubject => {
      const env = new VecEnv({
        backend,
        game: 'runner',
        numEnvs,
        numThreads,
        stages: ['1'],
        frameSkip: 4,
        obs: { width: 84, height: 84, stack: 4, grayscale: true },
        seed: 1,
      });
      envs.push(env);
      env.reset();
      const actions = new Int32Array(numEnvs);
      let s = 1;
      const step = () => {
        for (let i = 0; i < numEnvs; i++) actions[i] = (s = (s * 1103515245 + 12345) >>> 0) % env.numActions;
        env.step(actions);
      };
      return { step, itemsPerStep: numEnvs };
    });
    return measureInTurns(subjects, { seconds });
  } finally {
    for (const env of envs) env.close();
  }
}

/**
 * A note when other work shares the cores (1-minute load average ≥ half the cores): the absolute
 * numbers come out low and the all-cores row's speed-up understated. Undefined on an idle machine.
 */
export function busyMachineNote(load1: number, cores: number): string | undefined {
  if (!(load1 >= cores / 2)) return undefined;
  return (
    `note: this machine is busy (load average ${load1.toFixed(2)} over the last minute on ${cores} cores): ` +
    'other work shares the cores, so the numbers below come out low and the speed-up of more threads understated; rerun on an idle machine'
  );
}

/** The `bench` subcommand. */
export const benchCommand = {
  summary: 'measure env and training-loop speed on this machine (each next to a baseline from the same run)',
  async run(args: string[]): Promise<number> {
    let what = 'all';
    let seconds = 3;
    let updates = 4;
    let rest: string[];
    try {
      const parsed = parseKnownFlags(args, { what: {}, seconds: {}, updates: {}, help: { boolean: true, short: 'h' } });
      if (parsed.flags.help) {
        console.log(USAGE);
        return 0;
      }
      if (parsed.flags.what !== undefined) what = choiceFlag(parsed.flags.what, 'what', ['env', 'train', 'all'] as const);
      if (parsed.flags.seconds !== undefined) seconds = intFlag(parsed.flags.seconds, 'seconds', 1, 600);
      if (parsed.flags.updates !== undefined) updates = intFlag(parsed.flags.updates, 'updates', 1, 1000);
      rest = parsed.rest;
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      console.error(`mario-rl bench: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    let config;
    try {
      const hasPreset = rest.some((a) => a === '--preset' || a.startsWith('--preset='));
      const r = resolveConfig({ argv: rest, ...(hasPreset ? {} : { preset: 'runner-pixels' }) });
      if (r.rest.length) throw new TypeError(`unexpected argument '${r.rest[0]}'`);
      // Checked before any bench runs, not after the env table.
      if (r.config.algo === 'dqn' && what !== 'env') throw new TypeError("the training-loop bench runs PPO or A2C, not algo 'dqn'");
      config = r.config;
    } catch (err) {
      console.error(`mario-rl bench: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    const cores = cpus().length;
    const busy = busyMachineNote(loadavg()[0]!, cores);
    if (busy) console.log(busy);
    // The two training-loop runs start a Trainer each: say each warning (CPU fallback, speed) once.
    const warned = new Set<string>();
    const onWarning = (m: string) => {
      if (!warned.has(m)) console.warn(`mario-rl: ${m}`);
      warned.add(m);
    };
    if (what === 'env' || what === 'all') {
      console.log(`env: built-in game, 16 lanes, frame skip 4, 84x84 gray x4, random actions, ${seconds} s per row in turns (${cores} cores)`);
      // The native rows when the addon loads (resolveBackend warns once when it does not).
      const native = resolveBackend(undefined) === 'native';
      const rows: EnvBenchRow[] = native ? [{ backend: 'native', numThreads: 1 }] : [];
      if (native && cores > 1) rows.push({ backend: 'native', numThreads: cores });
      rows.push({ backend: 'jsnes', numThreads: 1 });
      const sps = envStepsPerSecond(rows, seconds);
      console.log('| backend | threads | agent steps/s | emulated frames/s | vs baseline |\n|---|---:|---:|---:|---:|');
      rows.forEach((row, i) => {
        const label = i === 0 ? `${row.numThreads} (baseline)` : String(row.numThreads);
        console.log(`| ${row.backend} | ${label} | ${sps[i]!.toFixed(0)} | ${(sps[i]! * 4).toFixed(0)} | ${(sps[i]! / sps[0]!).toFixed(2)}x |`);
      });
    }
    if (what === 'train' || what === 'all') {
      const obs = config.env.obs === 'ram' ? 'RAM' : `${config.env.width}x${config.env.height}`;
      console.log(
        `train: ${config.algo}, ${config.network} network, ${obs}, game ${config.env.game}, device ${config.device}, ${updates} measured updates after a warm-up`,
      );
      const off = await measureTrainLoop({ ...config, overlap: false }, updates, { onWarning });
      const on = await measureTrainLoop({ ...config, overlap: true }, updates, { onWarning });
      console.log('| overlap | agent steps/s | acting phase | learning phase | vs off |\n|---|---:|---:|---:|---:|');
      console.log(`| off (baseline) | ${off.sps.toFixed(0)} | ${off.envSps.toFixed(0)} | ${off.learnerSps.toFixed(0)} | 1.00x |`);
      console.log(`| on | ${on.sps.toFixed(0)} | ${on.envSps.toFixed(0)} | ${on.learnerSps.toFixed(0)} | ${(on.sps / off.sps).toFixed(2)}x |`);
    }
    return 0;
  },
};
