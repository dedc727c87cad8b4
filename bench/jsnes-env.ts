/**
 * The jsnes backend against native: VecEnv agent steps per CPU-second on the jsnes backend and on
 * the native one with one worker thread (the baseline), timed in turns (measureInTurns) on the
 * process's CPU clock rather than the wall clock, so the ratio holds on a shared, loaded machine
 * where a niced process gets a varying share of the cores. Built-in game, and SMB1 1-1 when
 * MARIO_ROM is set; 16 lanes, frame skip 4, 84x84 gray x4 and RAM observations, random actions.
 *
 *   npm run bench:jsnes-env            (BENCH_SECONDS per row, default 4)
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

import { VecEnv, type VecEnvOptions } from '../src/index.js';
import { measureInTurns, type ThroughputSubject } from '../src/util/throughput.js';

const seconds = Number(process.env.BENCH_SECONDS || 4);
const numEnvs = 16;
/** Process CPU time in milliseconds (all threads: the native row's worker included). */
const cpuClock = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function subject(options: Omit<VecEnvOptions, 'numEnvs'>, envs: VecEnv[]): ThroughputSubject {
  const env = new VecEnv({ numThreads: 1, frameSkip: 4, seed: 1, ...options, numEnvs });
  envs.push(env);
  env.reset();
  const actions = new Int32Array(numEnvs);
  let s = 1;
  return {
    step: () => {
      for (let i = 0; i < numEnvs; i++) actions[i] = (s = (s * 1103515245 + 12345) >>> 0) % env.numActions;
      env.step(actions);
    },
    itemsPerStep: numEnvs,
  };
}

const games: { name: string; options: Omit<VecEnvOptions, 'numEnvs'> }[] = [{ name: 'built-in game', options: { game: 'runner', stages: ['1'] } }];
if (process.env.MARIO_ROM) games.push({ name: 'SMB1 1-1', options: { rom: readFileSync(process.env.MARIO_ROM), stages: ['1-1'] } });
else console.log('(SMB1 rows skipped: set MARIO_ROM)');

console.log(`jsnes vs native VecEnv: ${numEnvs} lanes, frame skip 4, random actions, ${seconds} CPU-s per row in turns; load ${loadavg()[0]!.toFixed(1)}`);
console.log('| game | obs | native, 1 thread (baseline) steps/CPU-s | jsnes steps/CPU-s | jsnes slower by |\n|---|---|---:|---:|---:|');
for (const game of games) {
  for (const obs of [{ width: 84, height: 84, stack: 4, grayscale: true }, 'ram'] as const) {
    const envs: VecEnv[] = [];
    try {
      const subjects = (['native', 'jsnes'] as const).map((backend) => subject({ ...game.options, backend, obs }, envs));
      const [native, jsnes] = measureInTurns(subjects, { seconds, now: cpuClock });
      const label = typeof obs === 'string' ? 'RAM' : '84x84 gray x4';
      console.log(`| ${game.name} | ${label} | ${native!.toFixed(0)} | ${jsnes!.toFixed(1)} | ${(native! / jsnes!).toFixed(0)}x |`);
    } finally {
      for (const env of envs) env.close();
    }
  }
}
