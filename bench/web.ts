/**
 * bench:web — the exported page's speed in headless Chromium: emulated frames per second with
 * the policy choosing every action (jsnes + the TS preprocessing + onnxruntime-web on WASM,
 * single-threaded), on the built-in game with the baseline network at 42×42, at speed `max`
 * (as fast as the page goes) and at 1× (paced to 60 frames/s). Baseline in the same run: jsnes
 * alone (JsnesCore, palette-index frames, as the page uses it) on the same game in this Node
 * process: the emulator's own ceiling on this machine.
 *
 *   npm run bench:web [-- --seconds 10] [--checkpoint CKPT] [--screenshot FILE.png]
 *
 * Without --checkpoint it trains a tiny one first (128 steps: the policy need not be good, the
 * network is the size that counts). --screenshot saves the page for docs/web.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

import { chromium } from 'playwright-core';

import { exportWebCommand } from '../src/cli/export-web.js';
import { loadRunnerRom } from '../src/games/runner.js';
import { Trainer } from '../src/train/trainer.js';
import { JsnesCore } from '../src/backend/jsnes-core.js';
import { bundleWebPage } from '../scripts/build-web.js';
import { serveStatic } from '../tests/web/static-server.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const seconds = Number(flag('seconds') ?? 10);
if (!Number.isFinite(seconds) || seconds < 2 || seconds > 120) {
  console.error(`Expected a number of seconds in [2, 120] for --seconds but received ${flag('seconds')}`);
  process.exit(2);
}
const root = resolve(import.meta.dirname, '..');
const check = spawnSync('bash', [join(root, 'scripts/install-chromium.sh'), '--check'], { encoding: 'utf8' });
if (check.status !== 0) {
  console.error(`no Chromium: ${check.stderr.trim()}`);
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'mario-rl-bench-web-'));
try {
  let checkpoint = flag('checkpoint');
  if (!checkpoint) {
    const runDir = join(dir, 'run');
    const t = new Trainer(
      {
        network: 'baseline',
        device: 'cpu',
        threads: 1,
        overlap: false,
        runDir,
        seed: 3,
        env: { width: 42, height: 42, maxEpisodeSteps: 400 },
        ppo: { numEnvs: 2, numSteps: 32, epochs: 1, minibatches: 2 },
        log: { heartbeatSeconds: 0, tensorboard: false, progress: 'off' },
      },
      { handleSignals: false, onWarning: () => {} },
    );
    try {
      await t.train({ totalSteps: 128 });
    } finally {
      await t.close();
    }
    checkpoint = join(runDir, 'checkpoints', 'latest.ckpt');
  }
  await bundleWebPage();
  const site = join(dir, 'site');
  if (exportWebCommand.run(['--checkpoint', checkpoint, '--out', site]) !== 0) process.exit(1);

  // Baseline: jsnes alone, frames/s on the same game.
  const rom = loadRunnerRom();
  const core = new JsnesCore(rom, 0, 0);
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < seconds * 1000) core.stepFrame(n++ % 90 < 70 ? 0x82 : 0x83, true);
  const jsnesFps = n / ((performance.now() - t0) / 1000);

  const server = await serveStatic(site);
  const browser = await chromium.launch({ executablePath: check.stdout.trim(), args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
  try {
    const measure = async (speed: string) => {
      const page = await browser.newPage({ viewport: { width: 1000, height: 720 } });
      await page.goto(`${server.url}?speed=${speed}`);
      await page.waitForFunction(() => document.body.dataset.status === 'playing' && Number(document.body.dataset.frames) > 300, undefined, {
        timeout: 120_000,
      });
      const frames = async () => Number(await page.evaluate(() => document.body.dataset.frames));
      const [f0, s0] = [await frames(), performance.now()];
      await page.waitForTimeout(seconds * 1000);
      const fps = ((await frames()) - f0) / ((performance.now() - s0) / 1000);
      return { page, fps };
    };
    const max = await measure('max');
    await max.page.close();
    const paced = await measure('1');
    const shot = flag('screenshot');
    if (shot) {
      await paced.page.screenshot({ path: resolve(shot) });
      console.log(`wrote ${resolve(shot)}`);
    }
    const row = (what: string, fps: number) => `| ${what} | ${fps.toFixed(0)} | ${(fps / jsnesFps).toFixed(2)}× |`;
    console.log(`\nexport-web page, built-in game stage 1, baseline network 42×42, ${seconds} s per row\n`);
    console.log('| what | frames/s | vs jsnes alone |');
    console.log('|---|---|---|');
    console.log(row('jsnes alone in Node (baseline)', jsnesFps));
    console.log(row('page, speed max: emulation + preprocessing + policy', max.fps));
    console.log(row('page, speed 1× (paced to 60)', paced.fps));
    console.log(`\npage at max speed: ${(max.fps / 60).toFixed(2)}× real time (target ≥ 1×: 60 frames/s)`);
  } finally {
    await browser.close();
    await server.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
