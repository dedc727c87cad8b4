/**
 * `mario-rl search-states`: a Go-Explore-style search for start states past a stage's traps
 * (src/train/state-search.ts), written as a start-state file for
 * `mario-rl train --start-states.file F --start-states.keep-file true`.
 */
import { writeFileSync } from 'node:fs';

import { readRom } from '../train/env-options.js';
import { encodeStartStates } from '../train/start-states.js';
import { searchStartStates } from '../train/state-search.js';
import { parseStageList } from '../train/stages.js';
import { intFlag, outFileFlag, parseFlags, UsageError } from './flags.js';

const USAGE = `usage: mario-rl search-states --stage W-S --out FILE [--iterations N] [--min-x X] [--max-x X] [--cell-px P] [--segment-steps N] [--seed S] [--rom FILE]

Searches Super Mario Bros. stage W-S with the emulator's save states (Go-Explore's "return, then
explore"): an archive keeps one state per 32-px x cell where Mario stands on ground; each
iteration restores a cell (the frontier more often) and plays random buttons for up to 60 agent
steps, keeping the new cells it reaches. It stops at the stage's end (flagpole or axe). FILE gets the states of the
cells at x >= X and of the jumps that reached them, for
  mario-rl train … --start-states.share 0.3 --start-states.file FILE --start-states.keep-file true
so the agent practises each stretch of the stage from states it cannot reach yet.

options:
  --stage W-S       the stage, e.g. 1-3 (required)
  --out FILE        where to write the start-state file (required)
  --iterations N    iterations at most, 1…10000000 [default: 3000]
  --min-x X         keep cells from this x (px) on, 0…65535 [default: 0]
  --max-x X         keep cells up to this x (px), --min-x…65535 [default: 65535]
  --cell-px P       width of an archive cell in px, 1…4096 [default: 32]
  --segment-steps N longest random segment in agent steps, 1…10000 [default: 60]
  --seed S          seed of the random buttons, 0…4294967295 [default: 1]
  --rom FILE        the Super Mario Bros. ROM [default: $MARIO_ROM]
  -h, --help        print this help`;

/** The `search-states` subcommand. */
export const searchStatesCommand = {
  summary: 'search a Super Mario Bros. stage for start states past its traps (Go-Explore-style)',
  run(args: string[]): number {
    let flags: Record<string, string>;
    let options: { stage: string; out: string; iterations: number; minX: number; maxX: number; cellPx: number; segmentSteps: number; seed: number };
    try {
      flags = parseFlags(args, {
        stage: {},
        out: {},
        iterations: {},
        'min-x': {},
        'max-x': {},
        'cell-px': {},
        'segment-steps': {},
        seed: {},
        rom: {},
        help: { boolean: true, short: 'h' },
      });
      if (flags.help) {
        console.log(USAGE);
        return 0;
      }
      if (flags.stage === undefined) throw new UsageError('--stage is required (e.g. --stage 1-3)');
      if (flags.out === undefined) throw new UsageError('--out is required');
      const stages = parseStageList(flags.stage, 'smb1', '--stage');
      if (stages.names.length !== 1) throw new UsageError(`--stage takes one stage like 1-3 but is '${flags.stage}'`);
      options = {
        stage: stages.names[0]!,
        out: outFileFlag(flags.out, 'out'),
        iterations: flags.iterations === undefined ? 3000 : intFlag(flags.iterations, 'iterations', 1, 10_000_000),
        minX: flags['min-x'] === undefined ? 0 : intFlag(flags['min-x'], 'min-x', 0, 65_535),
        maxX: 65_535,
        cellPx: flags['cell-px'] === undefined ? 32 : intFlag(flags['cell-px'], 'cell-px', 1, 4096),
        segmentSteps: flags['segment-steps'] === undefined ? 60 : intFlag(flags['segment-steps'], 'segment-steps', 1, 10_000),
        seed: flags.seed === undefined ? 1 : intFlag(flags.seed, 'seed', 0, 2 ** 32 - 1),
      };
      if (flags['max-x'] !== undefined) options.maxX = intFlag(flags['max-x'], 'max-x', options.minX, 65_535);
    } catch (err) {
      if (!(err instanceof UsageError) && !(err instanceof RangeError)) throw err;
      console.error(`mario-rl search-states: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (!flags.rom && !process.env.MARIO_ROM) {
      console.error(`mario-rl search-states: needs a Super Mario Bros. ROM: pass --rom FILE or set MARIO_ROM\n\n${USAGE}`);
      return 2;
    }
    let rom: Uint8Array;
    try {
      rom = readRom(flags.rom ?? '', 'smb1');
    } catch (err) {
      console.error(`mario-rl search-states: ${(err as Error).message}`);
      return 2;
    }
    const result = searchStartStates({
      rom,
      stage: options.stage,
      iterations: options.iterations,
      minX: options.minX,
      maxX: options.maxX,
      cellPx: options.cellPx,
      segmentSteps: options.segmentSteps,
      seed: options.seed,
      onProgress: (p) => console.log(`iteration ${p.iteration}: ${p.cells} cells, max x ${p.maxX}`),
    });
    writeFileSync(options.out, encodeStartStates(new Map([[options.stage, result.states]])));
    const end = result.flagX !== null ? `reached the end at x ${result.flagX}` : `no end within ${result.iterations} iterations`;
    console.log(
      `${options.stage}: ${end}; ${result.cells} cells up to x ${result.maxX}; wrote ${result.states.length} states (cells at x ${options.minX}…${options.maxX}) to ${options.out}`,
    );
    return result.states.length > 0 ? 0 : 1;
  },
};
