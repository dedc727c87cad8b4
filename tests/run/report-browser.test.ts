/**
 * The report in a real browser: a short built-in-game run (eval probes with GIFs, a curriculum),
 * `mario-rl report` on it, and Debian's Chromium driven by playwright-core opening the file from
 * disk with the network off. No console error, no request leaves the page, every chart is drawn
 * and its area in the screenshot is not blank (pixels of more than the background colour), and the
 * x-axis switch to wall time redraws. Chromium comes from `scripts/install-chromium.sh` (.ci/run
 * installs it); without it the test skips and says why.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inflateSync } from 'node:zlib';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { reportCommand } from '../../src/cli/report.js';
import { Trainer } from '../../src/train/trainer.js';
import { tinyStages } from '../train/trainer-helpers.js';

const root = resolve(import.meta.dirname, '../..');
const check = spawnSync('bash', [join(root, 'scripts/install-chromium.sh'), '--check'], { encoding: 'utf8' });
const chromiumPath = check.status === 0 ? check.stdout.trim() : '';
if (!chromiumPath) console.warn(`[report browser test] skipped: ${check.stderr.trim() || 'scripts/install-chromium.sh --check failed'}`);

/** Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium's screenshots are) to RGBA. */
function decodePng(png: Buffer): { width: number; height: number; rgba: Uint8Array } {
  let pos = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (pos < png.length) {
    const len = png.readUInt32BE(pos);
    const type = png.toString('latin1', pos + 4, pos + 8);
    const data = png.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[12] !== 0) throw new Error(`unexpected PNG: bit depth ${data[8]}, interlace ${data[12]}`);
      channels = data[9] === 6 ? 4 : data[9] === 2 ? 3 : 0;
      if (!channels) throw new Error(`unexpected PNG colour type ${data[9]}`);
    } else if (type === 'IDAT') idat.push(data);
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= channels ? out[y * stride + x - channels]! : 0;
      const b = y ? out[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y ? out[(y - 1) * stride + x - channels]! : 0;
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter]!;
      out[y * stride + x] = (v + pred) & 0xff;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    for (let k = 0; k < 3; k++) rgba[i * 4 + k] = out[i * channels + k]!;
    rgba[i * 4 + 3] = channels === 4 ? out[i * channels + 3]! : 255;
  }
  return { width, height, rgba };
}

/** Pixels whose colour is not the most common one (the background), and how many colours there are. */
function inkOf(png: Buffer): { ink: number; colours: number } {
  const { rgba } = decodePng(png);
  const counts = new Map<number, number>();
  for (let i = 0; i < rgba.length; i += 4) {
    const key = (rgba[i]! << 16) | (rgba[i + 1]! << 8) | rgba[i + 2]!;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const background = Math.max(...counts.values());
  return { ink: rgba.length / 4 - background, colours: counts.size };
}

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
