/**
 * `mario-rl export-graph`: writes a train-step graph as ONNX for outside checks. With --grads the
 * graph also outputs the raw gradients `grad.<param>`. Input and output names: docs/graphs.md.
 */
import { writeFileSync } from 'node:fs';

import { toModel } from '../graph/onnx-writer.js';
import { buildTrainStepGraph, trainSpec } from '../runtime/train-graph.js';
import { UsageError, choiceFlag, intFlag, parseFlags } from './flags.js';

const USAGE = `usage: mario-rl export-graph --model nature|baseline|mlp --algo ppo|a2c|dqn --batch B --out FILE.onnx
                             [--grads] [--actions N]

  --model    network: nature (Nature-CNN), baseline (4×Conv32 3×3 s2 + 512) on 4×84×84 frames,
             or mlp (2 × dense 256) on the 2 KiB RAM
  --algo     loss: ppo, a2c or dqn (dqn uses the dueling head)
  --batch    minibatch size B
  --out      where to write the model
  --grads    also output the raw gradients grad.<param>
  --actions  number of actions (default 7)

Inputs (parameters, optimizer state, lr, step, batch) and outputs are listed in docs/graphs.md.`;

/** The subcommand. */
export const exportGraphCommand = {
  summary: 'write a train-step graph (optionally with gradients) as ONNX',
  run(args: string[]): number {
    let flags: Record<string, string>;
    try {
      flags = parseFlags(args, { model: {}, algo: {}, batch: {}, out: {}, grads: { boolean: true }, actions: {}, help: { boolean: true, short: 'h' } });
      if (flags.help) {
        console.log(USAGE);
        return 0;
      }
      for (const k of ['model', 'algo', 'batch', 'out']) if (flags[k] === undefined) throw new UsageError(`missing --${k}`);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      console.error(`mario-rl export-graph: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    let model: 'nature' | 'baseline' | 'mlp', algo: 'ppo' | 'a2c' | 'dqn', batch: number, actions: number;
    try {
      model = choiceFlag(flags.model!, 'model', ['nature', 'baseline', 'mlp'] as const);
      algo = choiceFlag(flags.algo!, 'algo', ['ppo', 'a2c', 'dqn'] as const);
      batch = intFlag(flags.batch!, 'batch', 1, 65536);
      actions = intFlag(flags.actions ?? '7', 'actions', 1, 4096);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      console.error(`mario-rl export-graph: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    const spec = trainSpec({ algo, model: { network: model, actions, ...(model === 'mlp' ? { obsShape: [1, 1, 2048] } : {}) } });
    // Parameters are graph inputs, so no values are stored in the file.
    const graph = buildTrainStepGraph(spec, { batch, grads: flags.grads === 'true' });
    const bytes = toModel(graph);
    writeFileSync(flags.out!, bytes);
    const inputs = [...graph.params.map((p) => p.name), ...graph.inputs.map((i) => i.name)];
    console.log(`wrote ${flags.out} (${(bytes.length / 1024).toFixed(0)} KiB): ${inputs.length} inputs, ${graph.outputs.length} outputs`);
    return 0;
  },
};
