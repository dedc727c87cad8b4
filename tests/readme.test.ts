/**
 * The README's "From code" snippet runs as written: it is taken from README.md, pointed at the
 * source instead of the package, given a short budget and temporary output paths, and run in a
 * child process (top-level await, as in a user's ESM file).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'mario-rl-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The first ```ts block after "From code". */
function snippet(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const from = readme.indexOf('From code');
  const m = /```ts\n([\s\S]*?)```/.exec(readme.slice(from));
  expect(from >= 0 && m, 'README has a "From code" ts block').toBeTruthy();
  return m![1]!;
}

/** Replaces `from` (which must occur exactly once, so README edits fail here loudly) with `to`. */
function swap(code: string, from: string, to: string): string {
  expect(code.split(from).length - 1, `README snippet contains ${from} once`).toBe(1);
  return code.replace(from, to);
}

describe('README "From code"', () => {
  it('trains, evaluates, acts on env observations, saves a PNG frame and a GIF', () => {
    let code = snippet();
    code = swap(code, "from 'mario-rl'", `from ${JSON.stringify(join(root, 'src/index.ts'))}`);
    code = swap(code, "runDir: 'runs/demo'", `runDir: ${JSON.stringify(join(dir, 'run'))}`);
    code = swap(code, 'trainer.train({ maxWallTime: 600 })', 'trainer.train({ totalSteps: 2048, maxWallTime: 600 })');
    code = swap(code, 'evaluate({ episodes: 20 })', 'evaluate({ episodes: 2 })');
    code = swap(code, "'frame.png'", JSON.stringify(join(dir, 'frame.png')));
    code = swap(code, "'episode.gif'", JSON.stringify(join(dir, 'episode.gif')));
    const file = join(dir, 'snippet.mts');
    writeFileSync(file, code);
    const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, encoding: 'utf8', env: { ...process.env, MARIO_ROM: '' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^2048 agent steps: flag in \d+% of 20 episodes$/m);
    expect(r.stdout).toMatch(/^1024 \d+(\.\d+)? \d/m); // an update row: step, return, flag rate
    const png = readFileSync(join(dir, 'frame.png'));
    expect(Array.from(png.subarray(0, 4))).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(readFileSync(join(dir, 'episode.gif')).subarray(0, 6).toString()).toBe('GIF89a');
    expect(existsSync(join(dir, 'run', 'checkpoints', 'latest.ckpt'))).toBe(true);
  });
});
