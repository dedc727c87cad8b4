import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { createSession } from '../../src/graph/session.js';
import { paramSpecs } from '../../src/models/networks.js';
import { toModel } from '../../src/graph/onnx-writer.js';
import { buildTrainStepGraph, trainSpec } from '../../src/runtime/train-graph.js';
import { nvidiaDriverPresent } from '../../src/runtime/device.js';
import { resolveConfig } from '../../src/train/config.js';
import { Trainer } from '../../src/train/trainer.js';

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
    const r = cli('export-graph', '--network', 'baseline', '--algo', 'ppo', '--grads', '--batch', '8', '--out', out);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const session = await createSession(new Uint8Array(readFileSync(out)), { intraOpNumThreads: 1 });
    const spec = trainSpec({ algo: 'ppo', model: { network: 'baseline', actions: 7 } });
    const names = paramSpecs(spec.model).map((p) => p.name);
    expect(session.inputNames).toEqual(
      expect.arrayContaining([
        ...names,
        ...names.flatMap((n) => [`${n}.m`, `${n}.v`]),
        'lr',
        'step',
        'ent_coef',
        'obs',
        'actions',
        'old_logprobs',
        'advantages',
        'returns',
        'old_values',
      ]),
    );
    expect(session.outputNames).toEqual(
      expect.arrayContaining(['loss', 'grad_norm', 'stat.approx_kl', 'stat.clip_fraction', ...names.map((n) => `grad.${n}`), ...names.map((n) => `new.${n}`)]),
    );
  });

  it('DQN graph takes target parameters and returns TD errors', async () => {
    const out = join(dir, 'dqn.onnx');
    expect(cli('export-graph', '--network=nature', '--algo=dqn', '--batch=4', `--out=${out}`).code).toBe(0);
    const session = await createSession(new Uint8Array(readFileSync(out)), { intraOpNumThreads: 1 });
    expect(session.inputNames).toEqual(expect.arrayContaining(['target.conv1.weight', 'next_obs', 'rewards', 'dones', 'discounts', 'weights']));
    expect(session.outputNames).toContain('td_errors');
    expect(session.inputNames).not.toContain('ent_coef');
    expect(session.outputNames.some((n) => n.startsWith('grad.'))).toBe(false);
  });

  it('exits with code 2 and a clear message on bad usage', () => {
    const cases: [string[], RegExp][] = [
      [
        ['--network', 'resnet', '--algo', 'ppo', '--batch', '4', '--out', 'x'],
        /Expected one of 'nature', 'baseline', 'mlp', 'tiles', 'tiles-mlp' for network \(--network\) but received "resnet"/,
      ],
      [['--network', 'nature', '--algo', 'ppo', '--batch', '0', '--out', 'x'], /--batch must be an integer in \[1, 65536\] but is '0'/],
      [['--network', 'nature', '--algo', 'ppo', '--out', 'x'], /missing --batch/],
      [['--network', 'nature', '--algo', 'ppo', '--batch', '4', '--out', 'x', '--frobnicate'], /Unknown option --frobnicate/],
      [['--model', 'nature', '--batch', '4', '--out', 'x'], /--model is now --network/],
      [['--algo', 'sac', '--batch', '4', '--out', 'x'], /Expected one of 'ppo', 'a2c', 'dqn' for algo \(--algo\) but received "sac"/],
    ];
    for (const [args, msg] of cases) {
      const r = cli('export-graph', ...args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(msg);
      expect(r.err).toContain('usage: mario-rl export-graph');
    }
  });
});

describe('mario-rl export-graph builds the loss train trains', () => {
  it("writes the same graph as the Trainer's train spec for the same config, clip and value clip included", () => {
    const out = join(dir, 'same.onnx');
    const flags = [
      '--algo',
      'ppo',
      '--network',
      'baseline',
      '--env.width',
      '42',
      '--env.height',
      '42',
      '--ppo.clip-value-loss',
      '--ppo.value-clip-coef',
      '0.5',
      '--ppo.clip-coef',
      '0.15',
    ];
    expect(cli('export-graph', ...flags, '--batch', '8', '--out', out).code).toBe(0);
    const trainer = new Trainer(resolveConfig({ argv: flags }).config, { handleSignals: false });
    const expected = toModel(buildTrainStepGraph(trainer.trainSpec, { batch: 8 }));
    expect(Buffer.from(readFileSync(out)).equals(Buffer.from(expected))).toBe(true);
    // The defaults are train's too: PPO without value clipping, clip 0.2.
    expect(trainer.trainSpec.ppo).toMatchObject({ clipCoef: 0.15, clipValueLoss: true, valueClipCoef: 0.5 });
    expect(new Trainer({}, { handleSignals: false }).trainSpec.ppo).toMatchObject({ clipCoef: 0.2, clipValueLoss: false });
  });
});

describe('mario-rl doctor', () => {
  it('prints its usage for --help and exits 0', () => {
    const r = cli('doctor', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('usage: mario-rl doctor');
  });

  it.skipIf(!nvidiaDriverPresent())('reports the ORT version, the CUDA provider state and what to do', () => {
    const r = cli('doctor');
    expect(r.code).toBe(0);
    expect(r.out).toContain('onnxruntime-node: 1.29.0 (pinned: 1.29.0)');
    expect(r.out).toMatch(/CUDA (provider files|execution provider)/);
    expect(r.out).toMatch(/GPU: /);
    expect(r.out).toMatch(/What to do:|All set/);
  });

  it.skipIf(process.platform !== 'linux' || nvidiaDriverPresent())(
    'says "no NVIDIA driver: CPU only" in one line without a driver, with no failures or downloads to suggest',
    () => {
      const r = cli('doctor');
      expect(r.code).toBe(0);
      expect(r.out).toContain('onnxruntime-node: 1.29.0 (pinned: 1.29.0)');
      expect(r.out).toContain('[ -- ] GPU: no NVIDIA driver: CPU only');
      expect(r.out).not.toContain('FAIL');
      expect(r.out).not.toMatch(/CUDA provider|asus4|LD_LIBRARY_PATH/);
    },
  );

  it('exits 2 on an unknown option', () => {
    expect(cli('doctor', '--verbose').code).toBe(2);
  });
});
