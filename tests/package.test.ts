/**
 * Packaging: the tarball `npm pack` makes installs into an empty project with no compiler on
 * PATH (nothing is built or downloaded at install time) and the addon loads from its prebuilt
 * binary, through both ESM and CJS. Also guards that no copyrighted game image ever ships.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { inspectBinary, packageRoot, PREBUILT_PLATFORMS } from '../src/native.js';

const root = packageRoot();
const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(0);
const prebuilt = join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'mario_rl.node');
const ready = existsSync(join(root, 'dist', 'index.js')) && existsSync(prebuilt);
if (!ready) console.warn('[package test] skipped: run `npm run build` first (needs dist/ and prebuilds/)');

describe.skipIf(!ready)('npm package', () => {
  let work: string;
  let tarball: string;
  let project: string;
  let bin: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'mario-rl-pack-'));
    const packed = Date.now();
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    tarball = join(work, JSON.parse(out)[0].filename);
    console.log(`[package test] npm pack: ${seconds(packed)} s`);
    // A PATH holding only sh, node and npm: no cc, c++, g++, make, cmake, python.
    bin = join(work, 'bin');
    mkdirSync(bin);
    symlinkSync('/bin/sh', join(bin, 'sh'));
    symlinkSync(process.execPath, join(bin, 'node'));
    const npmCli = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
    writeFileSync(join(bin, 'npm'), `#!/bin/sh\nexec "${process.execPath}" "${npmCli}" "$@"\n`, { mode: 0o755 });
    project = join(work, 'consumer');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  }, 300_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const hiddenEnv = () => ({
    ...process.env,
    PATH: bin,
    ONNXRUNTIME_NODE_INSTALL: 'skip',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
  });

  it('ships the prebuilt binary and no game image', () => {
    const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
    expect(listing).toContain(`package/prebuilds/${process.platform}-${process.arch}/mario_rl.node`);
    expect(listing).toContain('package/dist/index.js');
    expect(listing).toContain('package/dist/index.cjs');
    expect(listing).toContain('package/dist/index.d.ts');
    // export-web copies the bundled page from here (scripts/build-web.ts, run by build:ts).
    expect(listing).toContain('package/dist/web/player.js');
    // A root binding.gyp would make npm run `node-gyp rebuild` on install (it is dev-only).
    expect(listing).not.toContain('package/binding.gyp');
    // Test hooks stay home: neither the test addon (build/Release/mario_rl_test.node) nor its sources ship.
    expect(listing.filter((f) => f.includes('mario_rl_test') || f.startsWith('package/native/test_binding/'))).toEqual([]);
    // No copyrighted image: compare every shipped file's hash with the local-only game images.
    const games = join(root, '..', 'shared', 'roms', 'games');
    const forbidden = existsSync(games)
      ? readdirSync(games).map((f) =>
          createHash('sha1')
            .update(readFileSync(join(games, f)))
            .digest('hex'),
        )
      : [];
    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    execFileSync('tar', ['-xzf', tarball, '-C', unpacked]);
    // Every platform's binary built here (`npm run build:prebuilds` builds them all) ships in its
    // own folder, and is a binary for that folder's architecture.
    const built = PREBUILT_PLATFORMS.filter((p) => existsSync(join(root, 'prebuilds', p, 'mario_rl.node')));
    expect(built).toContain(`${process.platform}-${process.arch}`);
    for (const platform of built) {
      expect(listing).toContain(`package/prebuilds/${platform}/mario_rl.node`);
      expect(inspectBinary(join(unpacked, 'package', 'prebuilds', platform, 'mario_rl.node')).kind).toBe(`ELF for ${platform.split('-')[1]}`);
    }
    // With both binaries (and CUDA kernels in the x64 one) the tarball is about 3 MB.
    expect(statSync(tarball).size).toBeLessThan(8 * 1024 * 1024);
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
    for (const file of walk(unpacked)) {
      const sha = createHash('sha1').update(readFileSync(file)).digest('hex');
      expect(forbidden, `${file} is a copyrighted game image`).not.toContain(sha);
    }
  });

  it('installs with no compiler on PATH and loads through ESM and CJS', () => {
    // The compilers really are hidden from the install.
    for (const tool of ['cc', 'c++', 'g++', 'make', 'cmake']) {
      expect(spawnSync(tool, ['--version'], { env: hiddenEnv() }).error, tool).toBeDefined();
    }
    const installed = Date.now();
    const install = spawnSync(join(bin, 'npm'), ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], {
      cwd: project,
      env: hiddenEnv(),
      encoding: 'utf8',
    });
    expect(install.status, `npm install failed:\n${install.stdout}\n${install.stderr}`).toBe(0);
    console.log(`[package test] npm install of the tarball: ${seconds(installed)} s`);
    expect(existsSync(join(project, 'node_modules', 'mario-rl', 'build'))).toBe(false);

    const esm = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', "import { buildInfo } from 'mario-rl'; console.log(JSON.stringify(buildInfo()));"],
      { cwd: project, env: hiddenEnv(), encoding: 'utf8' },
    );
    expect(JSON.parse(esm).napiVersion).toBeGreaterThanOrEqual(8);
    const cjs = execFileSync(process.execPath, ['-e', "const m = require('mario-rl'); console.log(typeof m.buildInfo().version);"], {
      cwd: project,
      env: hiddenEnv(),
      encoding: 'utf8',
    });
    expect(cjs.trim()).toBe('string');
  }, 240_000);

  // Where no prebuilt binary loads (another platform), the package falls back to jsnes: one
  // warning, then the same API, through ESM and CJS, and the Trainer trains the 20k agent
  // steps (MARIO_RL_PACKAGE_STEPS changes the count). The training dominates, and jsnes pays for
  // every emulated frame (it always draws; ≈ 1 ms a frame): so the CLI's CPU default (runner-ram:
  // PPO, mlp on RAM, 32 lanes × 32 steps) with one frame per agent step and one epoch, 20k frames
  // instead of the preset's 164k. Measured 2026-12-07 on the 2-core VM at nice 19, load 12-25:
  // docs/install.md, the paragraph on this test.
  // Whole rollouts of 32 lanes × 32 steps: 20 of them, 20,480 steps (the Trainer stops at the
  // last whole rollout within its total).
  const steps = Number(process.env.MARIO_RL_PACKAGE_STEPS || 20_480);
  const trained = Math.floor(steps / 1024) * 1024;
  it(`without the prebuilt binary, falls back to jsnes through ESM and CJS and trains ${steps} steps on the built-in game`, () => {
    rmSync(join(project, 'node_modules', 'mario-rl', 'prebuilds'), { recursive: true, force: true });
    const env = { ...hiddenEnv(), MARIO_RL_BACKEND: '' };
    const imported = Date.now();
    const probe =
      "const e = new m.VecEnv({ numEnvs: 1, game: 'runner', obs: 'tiles' }); e.reset(); const r = e.step([1]); " +
      'const n = new m.Nes(m.loadRunnerRom()); console.log(JSON.stringify({ env: e.backend, nes: n.backend, x: r.info.xPos[0] }));';
    const esm = spawnSync(process.execPath, ['--input-type=module', '-e', `import * as m from 'mario-rl'; ${probe}`], { cwd: project, env, encoding: 'utf8' });
    expect(esm.status, esm.stderr).toBe(0);
    expect(JSON.parse(esm.stdout)).toMatchObject({ env: 'jsnes', nes: 'jsnes' });
    expect(JSON.parse(esm.stdout).x).toBeGreaterThan(0);
    const warnings = esm.stderr.split('\n').filter((l) => l.includes('the native addon did not load'));
    expect(warnings, esm.stderr).toHaveLength(1);
    expect(warnings[0]).toMatch(/jsnes backend.*slower/);
    const cjs = spawnSync(process.execPath, ['-e', `const m = require('mario-rl'); ${probe}`], { cwd: project, env, encoding: 'utf8' });
    expect(cjs.status, cjs.stderr).toBe(0);
    expect(JSON.parse(cjs.stdout)).toMatchObject({ env: 'jsnes', nes: 'jsnes' });

    console.log(`[package test] jsnes fallback: ESM and CJS imports and probes: ${seconds(imported)} s`);

    const runDir = join(work, 'jsnes-run');
    const started = Date.now();
    const train = spawnSync(
      process.execPath,
      [
        join(project, 'node_modules', 'mario-rl', 'dist', 'cli.js'),
        'train',
        ...['--preset', 'runner-ram', '--env.frame-skip', '1', '--ppo.epochs', '1', '--log.tensorboard', 'false'],
        ...['--total-steps', String(steps), '--run-dir', runDir],
      ],
      { cwd: project, env, encoding: 'utf8' },
    );
    expect(train.status, `${train.stdout}\n${train.stderr}`).toBe(0);
    const rows = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number>);
    expect(trained).toBeGreaterThan(0);
    expect(rows.at(-1)!['global_step'] ?? rows.at(-1)!['globalStep']).toBe(trained);
    // A real training on jsnes: the fallback said so, episodes ended, every update has finite losses.
    expect(train.stderr.split('\n').filter((l) => l.includes('the native addon did not load'))).toHaveLength(1);
    expect(rows.at(-1)!['charts/episodes']).toBeGreaterThan(0);
    for (const row of rows) expect(Number.isFinite(row['losses/value_loss']), `update ${row['update']}`).toBe(true);
    console.log(`[package test] jsnes fallback: ${steps} agent steps trained in ${seconds(started)} s`);
  }, 900_000);
});
