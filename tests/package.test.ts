/**
 * Packaging: the tarball `npm pack` makes installs into an empty project with no compiler on
 * PATH (nothing is built or downloaded at install time) and the addon loads from its prebuilt
 * binary, through both ESM and CJS. Also guards that no copyrighted game image ever ships.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../src/native.js';

const root = packageRoot();
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
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    tarball = join(work, JSON.parse(out)[0].filename);
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
  }, 120_000);

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
    const install = spawnSync(join(bin, 'npm'), ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], {
      cwd: project,
      env: hiddenEnv(),
      encoding: 'utf8',
    });
    expect(install.status, `npm install failed:\n${install.stdout}\n${install.stderr}`).toBe(0);
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
});
