/**
 * Builds the built-in game: assembles games/runner/runner.asm and writes assets/runner.nes.
 * `npm run build:game`; `--check` compares with the committed ROM instead of writing it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { AsmError } from '../src/asm/index.js';
import { buildRunnerRom, RUNNER_ROM_RELATIVE_PATH } from '../src/games/runner.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, RUNNER_ROM_RELATIVE_PATH);
try {
  const { bytes } = buildRunnerRom(root);
  if (process.argv.includes('--check')) {
    const committed = new Uint8Array(readFileSync(out));
    const same = committed.length === bytes.length && committed.every((b, i) => b === bytes[i]);
    console.log(same ? `${RUNNER_ROM_RELATIVE_PATH} is up to date` : `${RUNNER_ROM_RELATIVE_PATH} differs from its source: run npm run build:game`);
    process.exitCode = same ? 0 : 1;
  } else {
    writeFileSync(out, bytes);
    console.log(`wrote ${RUNNER_ROM_RELATIVE_PATH} (${bytes.length} bytes)`);
  }
} catch (err) {
  console.error(err instanceof AsmError ? err.message : err);
  process.exitCode = 1;
}
