/**
 * The run scripts/fault-loop-lib.ts kills: `node --import tsx scripts/fault-child.ts --algo ppo|dqn
 * --run-dir DIR --total-steps N [--widen-ms MS] [--resume]`. Trains faultConfig(algo) (resuming
 * from `latest` with --resume, else starting over with overwrite) and prints one line per event
 * (CHILD_EVENTS) on stdout. With --widen-ms each checkpoint write pauses that long between the
 * written temp file and its rename, printing `WRITING <temp>` first, so a kill can be aimed there.
 */
import { type MetricsRow } from '../src/run/metrics.js';
import { Trainer } from '../src/train/trainer.js';
import { type FaultAlgo, faultConfig } from './fault-loop-lib.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const algo = arg('algo') as FaultAlgo;
const runDir = arg('run-dir')!;
const totalSteps = Number(arg('total-steps'));
const widenMs = Number(arg('widen-ms') ?? 0);
const resume = process.argv.includes('--resume');
const say = (line: string): void => void process.stdout.write(`${line}\n`);
const pause = new Int32Array(new SharedArrayBuffer(4));

const trainer = new Trainer(faultConfig(algo, runDir, resume ? 'latest' : 'none'), {
  handleSignals: false,
  onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
  callbacks: [{ name: 'fault-events', onTrainStart: (ctx) => say(`START ${ctx.globalStep}`) }],
  checkpointHooks: {
    beforeRename: (temp) => {
      if (widenMs <= 0) return;
      say(`WRITING ${temp}`);
      Atomics.wait(pause, 0, 0, widenMs); // a synchronous pause: the write is in progress
    },
  },
});
trainer.on('update', (row: MetricsRow) => say(`ROW ${String(row.global_step)}`));
trainer.on('checkpoint', (info: { globalStep: number }) => say(`CKPT ${info.globalStep}`));
const summary = await trainer.train({ totalSteps, ...(resume ? {} : { overwrite: true }) });
await trainer.close();
say(`DONE ${summary.globalStep}`);
