/**
 * `mario-rl export-web` end to end: a short Trainer run on the built-in game (baseline network,
 * 42×42 frames), the site written from its checkpoint, served by a plain static server on
 * 127.0.0.1 (no COOP/COEP headers) and played in Debian's Chromium driven by playwright-core.
 *
 * - The page plays: status 'playing', frames counting, no console error, no request leaving
 *   127.0.0.1, and the canvas in a screenshot is not blank.
 * - Parity: for the first steps of the page's life, the Node policy (the Trainer's greedy `act`)
 *   chooses the page's action for the page's observation, and the native env stepped with the
 *   page's actions yields the page's rewards, episode ends and observations byte for byte
 *   (jsnes through JsnesCore + the TS preprocessing vs our core + the native preprocessing).
 * - Keys: Space pauses (frames stop), N steps once, R resets, F changes the speed, K switches to
 *   the keyboard.
 * - Super Mario Bros. (with MARIO_ROM): no ROM in the site, the page asks for the user's file,
 *   refuses another game's ROM with the env's message and plays with the right one.
 * Chromium comes from scripts/install-chromium.sh; without it the browser part skips and says why.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { checkpointRunConfig } from '../../src/cli/checkpoint-config.js';
import { exportWebCommand } from '../../src/cli/export-web.js';
import { VecEnv } from '../../src/env/vec-env.js';
import { vecEnvOptions } from '../../src/train/env-options.js';
import { Trainer } from '../../src/train/trainer.js';
import { bundleWebPage } from '../../scripts/build-web.js';
import { inkOf } from '../png.js';
import { run, tiny, withConfig } from '../train/trainer-helpers.js';
import { serveStatic, type StaticServer } from './static-server.js';

const root = resolve(import.meta.dirname, '../..');
const check = spawnSync('bash', [join(root, 'scripts/install-chromium.sh'), '--check'], { encoding: 'utf8' });
const chromiumPath = check.status === 0 ? check.stdout.trim() : '';
if (!chromiumPath) console.warn(`[export-web browser test] skipped: ${check.stderr.trim() || 'scripts/install-chromium.sh --check failed'}`);

/** Agent steps compared between the page and Node. */
const PARITY_STEPS = 120;

/**
 * Ink of the page's canvas: the most of up to five screenshots 150 ms apart (stopping at the first
 * above `enough`). At ?speed=max a single screenshot can land on a frame with little drawn on it
 * (2,502 pixels of ink in about one run of three here, e.g. between episodes), not a blank canvas.
 */
async function screenInk(page: import('playwright-core').Page, enough = 5000): Promise<{ ink: number; colours: number }> {
  let best = { ink: -1, colours: 0 };
  for (let shot = 0; shot < 5 && best.ink <= enough; shot++) {
    if (shot > 0) await new Promise((r) => setTimeout(r, 150));
    const next = inkOf(await page.locator('#screen').screenshot());
    if (next.ink > best.ink) best = next;
  }
  return best;
}

let dir = '';
let checkpoint = '';

/** Runs the CLI command, returning its exit code and what it printed. */
async function exportWeb(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  try {
    return { code: await exportWebCommand.run(args), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mario-rl-export-web-'));
  const runDir = join(dir, 'run');
  await run(
    withConfig(tiny(runDir), {
      env: { maxEpisodeSteps: 200 },
      ppo: { epochs: 1 },
      checkpoint: { interval: 2, keep: 1 },
      log: { tensorboard: false, progress: 'off' },
    }),
    128,
  );
  checkpoint = join(runDir, 'checkpoints', 'latest.ckpt');
  await bundleWebPage();
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('mario-rl export-web', () => {
  it('writes the static site: page, script, WASM runtime, policy and the built-in ROM', async () => {
    const site = join(dir, 'site');
    const r = await exportWeb(['--checkpoint', checkpoint, '--out', site]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('baseline policy (step 128) on runner stage 1');
    expect(readdirSync(site).sort()).toEqual(['game.nes', 'index.html', 'ort-wasm-simd-threaded.wasm', 'player.js', 'policy.onnx']);
  });

  it('refuses bad usage with a message naming the flag (exit 2)', async () => {
    const site = join(dir, 'site'); // written by the test above: not empty
    const cases: [string[], RegExp][] = [
      [['--out', join(dir, 'x')], /--checkpoint is required/],
      [['--checkpoint', checkpoint], /--out is required/],
      [['--checkpoint', join(dir, 'missing.ckpt'), '--out', join(dir, 'y')], /missing\.ckpt/],
      [['--checkpoint', checkpoint, '--out', site], /Expected an empty or new folder for --out .*--overwrite/],
      [['--checkpoint', checkpoint, '--out', join(site, 'index.html')], /Expected a folder for --out/],
      [
        ['--checkpoint', checkpoint, '--out', join(dir, 'z'), '--env.obs', 'ram', '--network', 'mlp'],
        /Expected env\.obs 'pixels' for export-web but received 'ram'/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await exportWeb(args);
      expect([r.code, r.err], args.join(' ')).toEqual([2, expect.stringMatching(message)]);
    }
    expect(existsSync(join(dir, 'z'))).toBe(false);
    expect((await exportWeb(['--checkpoint', checkpoint, '--out', site, '--overwrite'])).code).toBe(0);
  });
});

describe.skipIf(!chromiumPath)('the exported page in Chromium', () => {
  let server: StaticServer;
  let browser: import('playwright-core').Browser;
  let page: import('playwright-core').Page;
  const errors: string[] = [];
  const outside: string[] = [];

  beforeAll(async () => {
    const site = join(dir, 'site-browser');
    expect((await exportWeb(['--checkpoint', checkpoint, '--out', site])).code).toBe(0);
    server = await serveStatic(site);
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(server.url)) return route.continue();
      outside.push(url);
      return route.abort();
    });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    await page.goto(`${server.url}?speed=max`);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const dataset = () => page.evaluate(() => ({ ...document.body.dataset }));

  it('plays: status, frames and return on body.dataset, a canvas that is not blank', async () => {
    await page.waitForFunction(() => document.body.dataset.status === 'playing' && Number(document.body.dataset.frames) > 600, undefined, { timeout: 60_000 });
    const d = await dataset();
    expect(d.status).toBe('playing');
    expect(Number(d.episodeReturn)).not.toBeNaN();
    expect(Number(d.episode)).toBeGreaterThanOrEqual(1);
    const { ink, colours } = await screenInk(page);
    expect(ink).toBeGreaterThan(5000);
    expect(colours).toBeGreaterThan(4);
    expect(errors).toEqual([]);
    expect(outside).toEqual([]);
    expect(server.requests).not.toContain('/favicon.ico');
    // Served without COOP/COEP headers: no SharedArrayBuffer, so the WASM runtime runs single-threaded.
    expect(await page.evaluate(() => [crossOriginIsolated, typeof SharedArrayBuffer])).toEqual([false, 'undefined']);
  }, 90_000);

  it("chooses the Node policy's greedy actions, on the native env's observations and rewards", async () => {
    await page.waitForFunction((n) => (window.marioRl?.trace.length ?? 0) >= n, PARITY_STEPS, { timeout: 60_000 });
    const trace = await page.evaluate((n) => {
      const toBase64 = (b: Uint8Array) => btoa(Array.from(b, (v) => String.fromCharCode(v)).join(''));
      return window.marioRl!.trace.slice(0, n).map((r) => ({ obs: toBase64(r.obs), action: r.action, reward: r.reward, done: r.done }));
    }, PARITY_STEPS);
    const obs = trace.map((r) => new Uint8Array(Buffer.from(r.obs, 'base64')));
    const pageActions = trace.map((r) => r.action);

    // The Node policy on the page's observations.
    const { config } = checkpointRunConfig(checkpoint, ['--device', 'cpu', '--threads', '1']);
    const trainer = new Trainer(config, { handleSignals: false, onWarning: () => {} });
    try {
      await trainer.load(checkpoint);
      const batch = new Uint8Array(obs.length * obs[0]!.length);
      obs.forEach((o, i) => batch.set(o, i * o.length));
      expect([...(await trainer.act(batch))]).toEqual(pageActions);
    } finally {
      await trainer.close();
    }
    // Both outcomes of a step occur, so the comparison covers episode ends and resets.
    expect(trace.some((r) => r.done)).toBe(true);

    // The native env stepped with the page's actions sees what the page saw: same rewards,
    // episode ends and observations, byte for byte (reset observations included).
    const env = new VecEnv({ ...vecEnvOptions(config, 1, 0), numThreads: 1 });
    const same = (native: Uint8Array, seen: Uint8Array) => Buffer.from(native).equals(Buffer.from(seen));
    try {
      expect(same(env.reset().obs, obs[0]!), 'reset observation').toBe(true);
      for (let i = 0; i + 1 < trace.length; i++) {
        const s = env.step([pageActions[i]!]);
        expect([s.reward[0], s.terminated[0]! | s.truncated[0]!], `step ${i}: reward, done`).toEqual([trace[i]!.reward, trace[i]!.done ? 1 : 0]);
        expect(same(s.obs, obs[i + 1]!), `step ${i}: observation`).toBe(true);
      }
    } finally {
      env.close();
    }
  }, 120_000);

  it('keys: Space pauses and resumes, N steps once, R resets, F changes the speed, K the control', async () => {
    await page.keyboard.press(' ');
    await page.waitForFunction(() => document.body.dataset.status === 'paused');
    const frames = Number((await dataset()).frames);
    await page.waitForTimeout(300);
    expect(Number((await dataset()).frames)).toBe(frames);
    await page.keyboard.press('n');
    await page.waitForFunction((f) => Number(document.body.dataset.frames) > f, frames);
    const afterStep = await dataset();
    await page.waitForTimeout(300);
    expect((await dataset()).frames).toBe(afterStep.frames);
    await page.keyboard.press('r');
    await page.waitForFunction((e) => Number(document.body.dataset.episode) > e && document.body.dataset.step === '0', Number(afterStep.episode));
    expect((await dataset()).speed).toBe('max');
    await page.keyboard.press('f');
    await page.waitForFunction(() => document.body.dataset.speed === '1');
    await page.keyboard.press('k');
    await page.waitForFunction(() => document.body.dataset.control === 'keyboard');
    await page.keyboard.press(' ');
    await page.waitForFunction(() => document.body.dataset.status === 'playing');
    await page.waitForFunction((f) => Number(document.body.dataset.frames) > f + 60, Number(afterStep.frames));
    expect(errors).toEqual([]);
  }, 60_000);
});

const marioRom = process.env.MARIO_ROM;
if (!marioRom) console.warn('[export-web browser test] Super Mario Bros. page skipped: set MARIO_ROM to a local SMB ROM');

describe.skipIf(!chromiumPath || !marioRom)('an exported Super Mario Bros. page in Chromium', () => {
  it("writes no ROM, asks for the user's, refuses another game's and plays with SMB's", async () => {
    const runDir = join(dir, 'smb-run');
    await run(
      withConfig(tiny(runDir), {
        env: { game: 'smb1', rom: marioRom!, maxEpisodeSteps: 100 },
        ppo: { epochs: 1 },
        log: { tensorboard: false, progress: 'off' },
      }),
      64,
    );
    const site = join(dir, 'smb-site');
    const r = await exportWeb(['--checkpoint', join(runDir, 'checkpoints', 'latest.ckpt'), '--out', site]);
    expect([r.code, r.out]).toEqual([0, expect.stringContaining('on smb1 1-1')]);
    expect(readdirSync(site).sort()).toEqual(['index.html', 'ort-wasm-simd-threaded.wasm', 'player.js', 'policy.onnx']);
    const server = await serveStatic(site);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}?speed=max`);
      await page.waitForFunction(() => document.body.dataset.status === 'waiting for a ROM file');
      await page.setInputFiles('#rom-file', join(dir, 'site', 'game.nes')); // the built-in game's ROM: not SMB
      await page.waitForFunction(() => /Expected .* for rom/.test(document.getElementById('rom-error')?.textContent ?? ''));
      await page.setInputFiles('#rom-file', marioRom!);
      await page.waitForFunction(() => document.body.dataset.status === 'playing' && Number(document.body.dataset.frames) > 200, undefined, {
        timeout: 60_000,
      });
      const { ink } = await screenInk(page);
      expect(ink).toBeGreaterThan(5000);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await server.close();
    }
  }, 180_000);
});
