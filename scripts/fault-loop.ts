/**
 * `npm run fault-loop -- [--kills 50] [--algo ppo|dqn|both] [--out fault-out]`: kills a training
 * run with SIGKILL `--kills` times per algorithm (every third kill aimed at a checkpoint write,
 * widened to `--widen-ms`), resumes it with `--resume latest` each time, finishes it, and checks
 * what scripts/fault-loop-lib.ts describes (a loss of at most one checkpoint interval per kill,
 * metrics continuing from the checkpoint, the final metrics identical to an uninterrupted run).
 * Prints one line per kill and a summary; appends each kill's check to OUT/fault-loop-<algo>.jsonl as
 * it happens (a run cut off midway leaves its evidence) and writes OUT/fault-loop.json at the end;
 * exit 1 on any failure.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { UsageError, choiceFlag, intFlag, parseFlags } from '../src/cli/flags.js';
import { FAULT_SIZES, type FaultAlgo, type FaultLoopResult, runFaultLoop } from './fault-loop-lib.js';

const USAGE =
  'usage: npm run fault-loop -- [--kills N (50)] [--algo ppo|dqn|both (both)] [--seed S (1)] [--widen-ms MS (300)] [--max-delay-ms MS (1000)] [--out DIR (fault-out)]';
let o: { kills: number; algo: FaultAlgo | 'both'; seed: number; widenMs: number; maxDelayMs: number; out: string };
try {
  const f = parseFlags(process.argv.slice(2), {
    kills: {},
    algo: {},
    seed: {},
    'widen-ms': {},
    'max-delay-ms': {},
    out: {},
    help: { boolean: true, short: 'h' },
  });
  if (f.help) {
    console.log(USAGE);
    process.exit(0);
  }
  o = {
    kills: intFlag(f.kills ?? '50', 'kills', 1, 10_000),
    algo: choiceFlag(f.algo ?? 'both', 'algo', ['ppo', 'dqn', 'both'] as const),
    seed: intFlag(f.seed ?? '1', 'seed', 0, 2 ** 31),
    widenMs: intFlag(f['widen-ms'] ?? '300', 'widen-ms', 1, 60_000),
    maxDelayMs: intFlag(f['max-delay-ms'] ?? '1000', 'max-delay-ms', 0, 600_000),
    out: resolve(f.out ?? 'fault-out'),
  };
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  console.error(`${err.message}\n${USAGE}`);
  process.exit(2);
}
mkdirSync(o.out, { recursive: true });
const results: FaultLoopResult[] = [];
for (const algo of o.algo === 'both' ? (['ppo', 'dqn'] as const) : [o.algo]) {
  // Enough steps that the kills land before the end: about one checkpoint interval per kill.
  const { stepsPerRow, rowsPerCheckpoint } = FAULT_SIZES[algo];
  const totalSteps = (o.kills + 4) * stepsPerRow * rowsPerCheckpoint;
  const r = await runFaultLoop({
    algo,
    dir: o.out,
    kills: o.kills,
    totalSteps,
    seed: o.seed,
    widenMs: o.widenMs,
    maxDelayMs: o.maxDelayMs,
    aimEvery: 3,
    log: (line) => console.log(line),
    progressFile: join(o.out, `fault-loop-${algo}.jsonl`),
  });
  results.push(r);
  const aimed = r.kills.filter((k) => k.moment === 'checkpoint-write').length;
  console.log(
    `${algo}: ${r.kills.length} kills (${aimed} during a checkpoint write), ${r.freshStarts} fresh starts before a first checkpoint, ` +
      `max progress lost ${r.maxLostSteps} steps (bound ${r.boundSteps}), ${r.rowsChecked} rows of the killed children checked against the uninterrupted run, ` +
      `final ${r.rows} metrics rows ${r.identicalToReference ? 'identical to' : 'DIFFERENT from'} it, final latest.ckpt ` +
      `${r.checkpointIdenticalToReference ? 'identical to' : 'DIFFERENT from'} it (${r.checkpointSections.join(', ')}), ${r.failures.length} failures, ${(r.seconds / 60).toFixed(1)} min`,
  );
}
writeFileSync(join(o.out, 'fault-loop.json'), `${JSON.stringify(results, null, 2)}\n`);
const failed = results.flatMap((r) => r.failures.map((f) => `${r.algo}: ${f}`));
for (const f of failed) console.error(`fault-loop: FAIL: ${f}`);
process.exit(failed.length ? 1 : 0);
