/**
 * A PNG screenshot of a run's report, for the docs (docs/metrics.md shows one):
 *
 *   npx tsx scripts/report-screenshot.ts RUN [RUN…] --out docs/images/report.png [--width 1400]
 *
 * Writes the report (`mario-rl report`) to a temporary file, opens it in Chromium (Debian's, found
 * by scripts/install-chromium.sh --check) with the network off, and saves a full-page screenshot.
 * Reports that inline episode GIFs of a commercial game must not go into docs/: pass a run
 * without `RUN/media/` (or whose media are the built-in game's).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { chromium } from 'playwright-core';

import { reportCommand } from '../src/cli/report.js';

const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const widthAt = args.indexOf('--width');
if (outAt < 0 || !args[outAt + 1]) {
  console.error('usage: npx tsx scripts/report-screenshot.ts RUN [RUN…] --out FILE.png [--width PX]');
  process.exit(2);
}
const out = resolve(args[outAt + 1]!);
const width = widthAt >= 0 ? Number(args[widthAt + 1]) : 1400;
if (!Number.isInteger(width) || width < 400 || width > 4000) {
  console.error(`Expected an integer in [400, 4000] for --width but received ${args[widthAt + 1]}`);
  process.exit(2);
}
const flagged = new Set([outAt, outAt + 1, ...(widthAt >= 0 ? [widthAt, widthAt + 1] : [])]);
const runs = args.filter((_, i) => !flagged.has(i));
const check = spawnSync('bash', [resolve(import.meta.dirname, 'install-chromium.sh'), '--check'], { encoding: 'utf8' });
if (check.status !== 0) {
  console.error(`no Chromium: ${check.stderr.trim()}`);
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), 'mario-rl-report-shot-'));
try {
  const html = join(dir, 'report.html');
  const code = await reportCommand.run([...runs, '--out', html]);
  if (code !== 0) process.exit(code);
  const browser = await chromium.launch({ executablePath: check.stdout.trim(), args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
  try {
    const page = await (await browser.newContext({ offline: true, viewport: { width, height: 1000 } })).newPage();
    await page.goto(pathToFileURL(html).href);
    await page.waitForSelector('body[data-charts-drawn]');
    await page.screenshot({ path: out, fullPage: true });
    console.log(`wrote ${out}`);
  } finally {
    await browser.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
