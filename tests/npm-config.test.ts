/**
 * npm configuration of the source tree: npm commands run without config warnings (a project
 * `.npmrc` key npm does not know makes npm 11 warn on every command), and installs stay
 * offline-safe: onnxruntime-node's CUDA download is denied in package.json (`allowScripts`, npm
 * 11.19+) and skipped by `npm run setup`'s ONNXRUNTIME_NODE_INSTALL=skip (older npm).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string>; allowScripts?: Record<string, boolean> };

describe('npm configuration', () => {
  it('npm commands in the project print no warnings', () => {
    const r = spawnSync('npm', ['pkg', 'get', 'name'], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/Unknown (project|user|global) config/);
    expect(r.stderr).not.toContain('npm warn');
  });

  it('installs skip the CUDA provider download with any npm', () => {
    expect(existsSync(join(root, '.npmrc')) && /onnxruntime-node-install/.test(readFileSync(join(root, '.npmrc'), 'utf8'))).toBe(false);
    expect(pkg.allowScripts?.['onnxruntime-node']).toBe(false);
    expect(pkg.scripts.setup).toMatch(/^ONNXRUNTIME_NODE_INSTALL=skip npm install /);
  });
});
