/**
 * The report in a real browser: a short built-in-game run (eval probes with GIFs, a curriculum),
 * `mario-rl report` on it, and Debian's Chromium driven by playwright-core opening the file from
 * disk with the network off. No console error, no request leaves the page, every chart is drawn
 * and its area in the screenshot is not blank (pixels of more than the background colour), and the
 * x-axis switch to wall time redraws. Chromium comes from `scripts/install-chromium.sh` (npm run setup
 * installs it); without it the test skips and says why.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { reportCommand } from '../../src/cli/report.js';
import { Trainer } from '../../src/train/trainer.js';
import { tinyStages } from '../train/trainer-helpers.js';
import { inkOf } from '../png.js';

const root = resolve(import.meta.dirname, '../..');
const check = spawnSync('bash', [join(root, 'scripts/install-chromium.sh'), '--check'], { encoding: 'utf8' });
const chromiumPath = check.status === 0 ? check.stdout.trim() : '';
if (!chromiumPath) console.warn(`[report browser test] skipped: ${check.stderr.trim() || 'scripts/install-chromium.sh --check failed'}`);

describe.skipIf(!chromiumPath)('the report in Chromium', () => {
  let dir = '';
  let html = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mario-rl-report-browser-'));
    const runDir = join(dir, 'tiny');
    const t = new Trainer(
      tinyStages(runDir, {
        checkpoint: { interval: 4, keep: 1 },
        eval: { episodes: 2, interval: 2, numEnvs: 2, record: true },
        curriculum: { stages: '1-1,1-2', flagRate: 0.5, consecutive: 1 },
        log: { heartbeatSeconds: 1 },
      }),
      { handleSignals: false, onWarning: () => {} },
    );
    try {
      await t.train({ totalSteps: 4 * 128 });
    } finally {
      await t.close();
    }
    expect(readdirSync(join(runDir, 'media')).length).toBeGreaterThan(0);
    html = join(dir, 'report.html');
    vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const code = await reportCommand.run([runDir, '--out', html]);
    vi.restoreAllMocks();
    expect(code).toBe(0);
  }, 120_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens from disk with the network off: no console errors, every chart drawn and not blank', async () => {
    const { chromium } = await import('playwright-core');
    // As root, Chromium needs --no-sandbox; the background-networking flags keep it from calling out at start.
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const context = await browser.newContext({ offline: true, viewport: { width: 1400, height: 1000 } });
      const outside: string[] = [];
      await context.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith('file:')) return route.continue();
        outside.push(url);
        return route.abort();
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      await page.goto(pathToFileURL(html).href);
      await page.waitForSelector('body[data-charts-drawn]');
      const drawn = Number(await page.getAttribute('body', 'data-charts-drawn'));
      const charts = await page.locator('.chart').count();
      expect(drawn).toBe(charts);
      expect(charts).toBeGreaterThanOrEqual(10);
      for (const id of ['return', 'max-x', 'losses', 'entropy', 'sps', 'eval-flag-rate']) {
        const shot = await page.locator(`#chart-${id} canvas`).screenshot();
        const { ink, colours } = inkOf(shot);
        expect(ink, `ink in #chart-${id}`).toBeGreaterThan(1000);
        expect(colours, `colours in #chart-${id}`).toBeGreaterThan(3);
      }
      // GIFs decoded (a broken data URI has naturalWidth 0).
      const widths = await page.$$eval('.media img', (imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth));
      expect(widths.length).toBeGreaterThan(0);
      expect(widths.every((w) => w > 0)).toBe(true);
      // The wall-time axis redraws every chart that has the time (the eval curve has none: it says so).
      await page.selectOption('#x-axis', 'time');
      await expect.poll(() => page.locator('#chart-return .u-legend th').first().textContent()).toContain('wall time');
      expect(await page.locator('#chart-eval-flag-rate').textContent()).toContain('no values against wall time');
      expect(errors).toEqual([]);
      expect(outside).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
