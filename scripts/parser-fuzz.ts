/**
 * `npm run fuzz:parsers -- [--iterations 20000] [--seed 1] [--targets checkpoint,safetensors,...]`:
 * the parser fuzzer of scripts/parser-fuzz-lib.ts (checkpoint files, safetensors, config JSON,
 * save states through Nes.loadState and VecEnv.setStartStates). Prints one line per target;
 * exit 1 on any finding. Crafted save states need the test addon (`npm run build:native`).
 */
import { UsageError, intFlag, parseFlags } from '../src/cli/flags.js';
import { loadTestAddon } from '../tests/native-test-addon.js';
import { PARSER_TARGETS, type ParserTarget, fuzzParsers } from './parser-fuzz-lib.js';

const USAGE = `usage: npm run fuzz:parsers -- [--iterations N (20000)] [--seed S (1)] [--targets ${PARSER_TARGETS.join(',')}]`;
let iterations: number;
let seed: number;
let targets: ParserTarget[];
try {
  const f = parseFlags(process.argv.slice(2), { iterations: {}, seed: {}, targets: {}, help: { boolean: true, short: 'h' } });
  if (f.help) {
    console.log(USAGE);
    process.exit(0);
  }
  iterations = intFlag(f.iterations ?? '20000', 'iterations', 1, 1e9);
  seed = intFlag(f.seed ?? '1', 'seed', 0, 2 ** 31);
  targets = (f.targets ?? PARSER_TARGETS.join(',')).split(',') as ParserTarget[];
  for (const t of targets) if (!PARSER_TARGETS.includes(t)) throw new UsageError(`--targets must list some of ${PARSER_TARGETS.join(', ')} but has '${t}'`);
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  console.error(`${err.message}\n${USAGE}`);
  process.exit(2);
}
let sealState: ((s: Uint8Array) => void) | undefined;
try {
  sealState = loadTestAddon().nesSealState;
} catch (err) {
  console.warn(`parser-fuzz: no test addon (${(err as Error).message.split('\n')[0]}); save states get byte mutations only`);
}
const t0 = performance.now();
const stats = fuzzParsers({ seed, iterations, targets, sealState });
let findings = 0;
for (const [name, s] of Object.entries(stats)) {
  findings += s.findings;
  console.log(`${name}: ${s.inputs} inputs, ${s.accepted} accepted, ${s.rejected} rejected with a clear error, ${s.findings} findings`);
  for (const e of s.examples) console.log(`  ${e}`);
}
console.log(`parser-fuzz: seed ${seed}, ${((performance.now() - t0) / 1000).toFixed(0)} s, ${findings ? `${findings} FINDINGS` : 'no findings'}`);
process.exit(findings ? 1 : 0);
