import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { createSession } from '../../src/graph/session.js';
import { paramSpecs } from '../../src/models/networks.js';
import { trainSpec } from '../../src/runtime/train-graph.js';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'mario-rl-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/index.ts'), ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('mario-rl export-graph', () => {
  it('writes a graph with grad.<param> outputs and the documented inputs', async () => {
    const out = join(dir, 'ppo.onnx');
    const r = cli('export-graph', '--model', 'baseline', '--algo', 'ppo', '--grads', '--batch', '8', '--out', out);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const session = await createSession(new Uint8Array(readFileSync(out)), { intraOpNumThreads: 1 });
    const spec = trainSpec({ algo: 'ppo', model: { network: 'baseline', actions: 7 } });
    const names = paramSpecs(spec.model).map((p) => p.name);
    expect(session.inputNames).toEqual(expect.arrayContaining([...names, ...names.flatMap((n) => [`${n}.m`, `${n}.v`]), 'lr', 'step', 'obs', 'actions', 'old_logprobs', 'advantages', 'returns', 'old_values']));
    expect(session.outputNames).toEqual(expect.arrayContaining(['loss', 'grad_norm', 'stat.approx_kl', 'stat.clip_fraction', ...names.map((n) => `grad.${n}`), ...names.map((n) => `new.${n}`)]));
  });

  it('DQN graph takes target parameters and returns TD errors', async () => {
    const out = join(dir, 'dqn.onnx');
    expect(cli('export-graph', '--model=nature', '--algo=dqn', '--batch=4', `--out=${out}`).code).toBe(0);
    const session = await createSession(new Uint8Array(readFileSync(out)), { intraOpNumThreads: 1 });
    expect(session.inputNames).toEqual(expect.arrayContaining(['target.conv1.weight', 'next_obs', 'rewards', 'dones', 'discounts', 'weights']));
    expect(session.outputNames).toContain('td_errors');
    expect(session.outputNames.some((n) => n.startsWith('grad.'))).toBe(false);
  });

  it('exits with code 2 and a clear message on bad usage', () => {
    const cases: [string[], RegExp][] = [
      [['--model', 'resnet', '--algo', 'ppo', '--batch', '4', '--out', 'x'], /--model must be one of nature, baseline, mlp but is 'resnet'/],
      [['--model', 'nature', '--algo', 'ppo', '--batch', '0', '--out', 'x'], /--batch must be an integer in \[1, 65536\] but is '0'/],
      [['--model', 'nature', '--algo', 'ppo', '--out', 'x'], /missing --batch/],
      [['--model', 'nature', '--algo', 'ppo', '--batch', '4', '--out', 'x', '--frobnicate'], /unknown flag --frobnicate/],
      [['--model'], /flag --model needs a value/],
    ];
    for (const [args, msg] of cases) {
      const r = cli('export-graph', ...args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(msg);
      expect(r.err).toContain('usage: mario-rl export-graph');
    }
  });
});

describe('mario-rl doctor', () => {
  it('reports the ORT version, the CUDA provider state and what to do', () => {
    const r = cli('doctor');
    expect(r.code).toBe(0);
    expect(r.out).toContain('onnxruntime-node: 1.29.0 (pinned: 1.29.0)');
    expect(r.out).toMatch(/CUDA (provider files|execution provider)/);
    expect(r.out).toMatch(/GPU: /);
    expect(r.out).toMatch(/What to do:|All set/);
    expect(cli('doctor', '--verbose').code).toBe(2);
  });
});
