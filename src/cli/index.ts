#!/usr/bin/env node
/**
 * The `mario-rl` command. Subcommands register in `COMMANDS`; each validates its own flags and
 * prints usage on error. Exit codes: 0 ok, 1 runtime failure, 2 bad usage.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { resolveBackend } from '../backend/select.js';
import { loadNative, packageRoot } from '../native.js';
import { benchCommand } from './bench.js';
import { actorCommand, learnerCommand } from './distributed.js';
import { doctorCommand } from './doctor.js';
import { exportGraphCommand } from './export-graph.js';
import { exportMetricsCommand } from './export-metrics.js';
import { exportWebCommand } from './export-web.js';
import { playCommand } from './play.js';
import { reportCommand } from './report.js';
import { searchStatesCommand } from './search-states.js';
import { evalCommand } from './eval.js';
import { trainCommand } from './train.js';

type Command = { summary: string; run: (args: string[]) => Promise<number> | number };

const VERSION_USAGE = 'usage: mario-rl version (or mario-rl --version, mario-rl -v)\n\nPrints the package version and what the native binary was built with.';

const COMMANDS: Record<string, Command> = {
  version: {
    summary: 'print the package and native binary versions (also --version, -v)',
    run: (args) => {
      if (args.length === 1 && (args[0] === '-h' || args[0] === '--help')) {
        console.log(VERSION_USAGE);
        return 0;
      }
      if (args.length) {
        console.error(`mario-rl version: unexpected argument '${args[0]}'\n\n${VERSION_USAGE}`);
        return 2;
      }
      if (resolveBackend(undefined) === 'jsnes') {
        const version = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
        console.log(`mario-rl ${version} (backend: jsnes, pure JavaScript; the native addon is not in use)`);
        return 0;
      }
      const info = loadNative().buildInfo();
      console.log(`mario-rl ${info.version} (native: ${info.compiler}, N-API ${info.napiVersion}, CUDA kernels ${info.cuda ? 'yes' : 'no'})`);
      return 0;
    },
  },
  train: trainCommand,
  learner: learnerCommand,
  actor: actorCommand,
  eval: evalCommand,
  play: playCommand,
  'search-states': searchStatesCommand,
  bench: benchCommand,
  doctor: doctorCommand,
  report: reportCommand,
  'export-metrics': exportMetricsCommand,
  'export-graph': exportGraphCommand,
  'export-web': exportWebCommand,
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    "usage: mario-rl <command> [options]   (mario-rl <command> -h: the command's options)",
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'options:',
    '  -h, --help     print this help',
    '  -v, --version  print the versions (as mario-rl version)',
  ].join('\n');
}

/** Runs the CLI with `argv` (the arguments after `mario-rl`); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [first, ...more] = argv;
  if (!first || first === '--help' || first === '-h' || first === 'help') {
    console.log(usage());
    return first ? 0 : 2;
  }
  const [name, rest] = first === '--version' || first === '-v' ? ['version', more] : [first, more];
  const command = COMMANDS[name];
  if (!command) {
    console.error(`mario-rl: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    console.error(`mario-rl ${name}: ${(err as Error).message}`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
