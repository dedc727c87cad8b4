/**
 * `mario-rl learner` and `mario-rl actor`: the two sides of a distributed run over a NATS
 * JetStream broker (docs/distributed.md). Their broker flags come from the field tables of
 * src/distributed/options.ts (`maxPolicyLag` → `--max-policy-lag`), so flags, defaults and help
 * cannot drift from the library's options. `--broker` may be left out when $MARIO_RL_BROKER holds
 * the URL (a password on the command line is visible to every user of the machine in `ps`).
 */
import { type FieldSpec } from '../fields.js';
import { ACTOR_FIELDS, LEARNER_FIELDS } from '../distributed/options.js';
import { ShutdownController } from '../run/signals.js';
import { Actor } from '../train/actor.js';
import { type FlagSpec, parseKnownFlags, UsageError } from './flags.js';
import { trainCommand } from './train.js';

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The flags of a field table: one valued flag per field. */
function tableFlags(table: Readonly<Record<string, FieldSpec>>): Record<string, FlagSpec> {
  return Object.fromEntries(Object.keys(table).map((k) => [kebab(k), {}]));
}

/** Help lines of a field table's flags. */
function tableHelp(table: Readonly<Record<string, FieldSpec>>): string {
  const rows = Object.entries(table).map(([k, f]) => [
    `--${kebab(k)} ${f.type === 'string' ? 'S' : 'N'}`,
    `${f.doc}${k === 'broker' ? ' (or $MARIO_RL_BROKER)' : ` [default: ${String(f.default)}]`}`,
  ]);
  const width = Math.max(...rows.map(([a]) => a!.length));
  return rows.map(([a, b]) => `  ${a!.padEnd(width)}  ${b}`).join('\n');
}

/** The options object of parsed table flags (numbers converted; the table's validation does the rest). */
function tableValues(table: Readonly<Record<string, FieldSpec>>, flags: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(table)) {
    const v = flags[kebab(k)];
    if (v === undefined) continue;
    if (f.type === 'string') out[k] = v;
    else if (v.trim() === '' || !Number.isFinite(Number(v))) throw new UsageError(`--${kebab(k)} must be a number but is '${v}'`);
    else out[k] = Number(v);
  }
  out.broker ??= process.env.MARIO_RL_BROKER;
  if (out.broker === undefined || out.broker === '') throw new UsageError('--broker nats://HOST:PORT is required (or set MARIO_RL_BROKER)');
  return out;
}

const LEARNER_USAGE = `usage: mario-rl learner --broker nats://HOST:PORT [learner flags] [train flags]

The learner of a distributed run: trains (PPO or A2C) on rollout fragments that actors
(mario-rl actor --broker …, on this or other machines) publish to the broker, and publishes the run's
config and new weights for them. Every flag of mario-rl train applies (the run's config, run dir,
checkpoints, --resume); metrics.jsonl gains distributed/* columns. See docs/distributed.md.

learner flags:
${tableHelp(LEARNER_FIELDS)}`;

const ACTOR_USAGE = `usage: mario-rl actor --broker nats://HOST:PORT [--lanes N] [--threads T] [actor flags]

An actor of a distributed run: takes the run's config and weights from the learner through the
broker, steps its lanes and publishes rollout fragments until the learner finishes the run (or
SIGINT/SIGTERM). An smb1 run reads the ROM given by --rom, else $MARIO_ROM on this machine.

exit codes: 0 the run is done (or a signal stopped the actor); 2 bad flags; 3 the learner stopped
the run before its end, or was silent (or absent) for --learner-timeout seconds; 4 the learner
speaks another protocol (another mario-rl version: install the same version on every machine).

actor flags:
${tableHelp(ACTOR_FIELDS)}
  --rom FILE                 Super Mario Bros. ROM for an smb1 run (default: $MARIO_ROM)
  --verbose                  print a line per fragment published
  -h, --help                 print this help`;

/** The `learner` subcommand: `mario-rl train` with a broker. */
export const learnerCommand = {
  summary: 'train as the learner of a distributed run (actors on other machines, over NATS)',
  async run(argv: string[]): Promise<number> {
    if (argv.includes('--help') || argv.includes('-h')) return trainCommand.run(['--help'], { name: 'learner', usage: LEARNER_USAGE });
    let distributed: Record<string, unknown>;
    let rest: string[];
    try {
      const parsed = parseKnownFlags(argv, tableFlags(LEARNER_FIELDS));
      distributed = tableValues(LEARNER_FIELDS, parsed.flags);
      rest = parsed.rest;
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      console.error(`mario-rl learner: ${err.message}\n\n${LEARNER_USAGE}`);
      return 2;
    }
    return trainCommand.run(rest, { name: 'learner', usage: LEARNER_USAGE, trainerOptions: { distributed: distributed as { broker: string } } });
  },
};

/** The `actor` subcommand. */
export const actorCommand = {
  summary: 'act for a distributed run: step envs, publish rollout fragments to the learner',
  async run(argv: string[]): Promise<number> {
    if (argv.includes('--help') || argv.includes('-h')) {
      console.log(ACTOR_USAGE);
      return 0;
    }
    let actor: Actor;
    let verbose: boolean;
    try {
      const { flags, rest } = parseKnownFlags(argv, { ...tableFlags(ACTOR_FIELDS), rom: {}, verbose: { boolean: true } });
      if (rest.length) throw new UsageError(`unexpected argument '${rest[0]}'`);
      verbose = flags.verbose === 'true';
      let rom: Uint8Array | undefined;
      if (flags.rom !== undefined) {
        const { readFileSync } = await import('node:fs');
        try {
          rom = readFileSync(flags.rom);
        } catch (err) {
          throw new UsageError(`Expected a readable ROM file for --rom but received '${flags.rom}' (${(err as NodeJS.ErrnoException).code})`);
        }
      }
      actor = new Actor(tableValues(ACTOR_FIELDS, flags) as { broker: string }, {
        ...(rom ? { rom } : {}),
        onFragment: (f) => {
          if (verbose)
            console.log(
              `fragment ${f.actorId} ${f.seq} version ${f.policyVersion} bytes ${f.bytes} weights ${f.weightsBytes} waits ${f.weightsWaits} stream ${f.streamSeq}`,
            );
        },
      });
    } catch (err) {
      if (!(err instanceof UsageError) && !(err instanceof RangeError) && !(err instanceof TypeError)) throw err;
      console.error(`mario-rl actor: ${(err as Error).message}\n\n${ACTOR_USAGE}`);
      return 2;
    }
    const shutdown = new ShutdownController({
      mode: 'abandon-update',
      onRequest: () => process.stderr.write('mario-rl actor: stopping (the fragment in progress is not sent); press Ctrl+C again to quit at once\n'),
    });
    shutdown.install();
    shutdown.abortSignal.addEventListener('abort', () => actor.stop());
    const t0 = performance.now();
    try {
      const s = await actor.run();
      const seconds = (performance.now() - t0) / 1000;
      const said = {
        done: 'the run is done',
        stopped: 'stopped',
        'learner-stopped': 'the learner stopped the run',
        'learner-gone': 'the learner is gone',
        incompatible: 'the learner runs another mario-rl protocol',
      }[s.stopReason];
      console.error(
        `mario-rl actor: ${said}: ${s.fragments} fragments, ${s.agentSteps} agent steps ` +
          `(${(s.agentSteps / Math.max(seconds, 1e-9)).toFixed(0)} steps/s), ${(s.bytes / 1e6).toFixed(1)} MB published, ${(s.weightsBytes / 1e6).toFixed(1)} MB of weights read, ${s.weightsWaits} waits for newer weights`,
      );
      // 3: the run did not end here; a supervisor may start the actor again for the learner's resume.
      // 4: starting this actor again is futile until the learner or the actor is upgraded.
      if (s.stopReason === 'incompatible') return 4;
      return s.stopReason === 'learner-stopped' || s.stopReason === 'learner-gone' ? 3 : 0;
    } finally {
      shutdown.dispose();
    }
  },
};
