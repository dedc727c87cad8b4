/**
 * Builds the built-in game: assembles games/runner/runner.asm and writes assets/runner.nes (which
 * `VecEnv` and `Trainer` load when no ROM is given).
 * `npm run build:game`; `--check` compares with the committed files instead of writing them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { AsmError } from '../src/asm/index.js';
import { buildRunnerRom, RUNNER_ROM_RELATIVE_PATH } from '../src/games/runner.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outputs = (bytes: Uint8Array): [string, Uint8Array][] => [[RUNNER_ROM_RELATIVE_PATH, bytes]];
try {
  const { bytes } = buildRunnerRom(root);
  for (const [relative, content] of outputs(bytes)) {
    const path = join(root, relative);
    if (process.argv.includes('--check')) {
      let committed = new Uint8Array(0);
      try {
        committed = new Uint8Array(readFileSync(path));
      } catch {
        // missing: reported as out of date
      }
      const same = committed.length === content.length && committed.every((b, i) => b === content[i]);
      console.log(same ? `${relative} is up to date` : `${relative} differs from its source: run npm run build:game`);
      if (!same) process.exitCode = 1;
    } else {
      writeFileSync(path, content);
      console.log(`wrote ${relative} (${content.length} bytes)`);
    }
  }
} catch (err) {
  console.error(err instanceof AsmError ? err.message : err);
  process.exitCode = 1;
}
