/**
 * `mario-rl export-graph`: writes the train-step graph of a run's config as ONNX for outside
 * checks. It takes the same config flags as `mario-rl train` (`--algo`, `--network`, `--env.*`,
 * `--ppo.*`, `--config`, `--preset`) and builds the graph from the same train spec the Trainer's
 * learner uses, so the exported loss is the trained loss. With --grads the graph also outputs the
 * raw gradients `grad.<param>`. Input and output names: docs/graphs.md.
 */
import { writeFileSync } from 'node:fs';

import { toModel } from '../graph/onnx-writer.js';
import { buildTrainStepGraph } from '../runtime/train-graph.js';
import { resolveConfig, configHelp } from '../train/config.js';
import { trainSpecFor } from '../train/env-options.js';
import { UsageError, intFlag, parseKnownFlags } from './flags.js';

const USAGE = `usage: mario-rl export-graph --batch B --out FILE.onnx [--grads] [config flags of train: --algo ppo|a2c|dqn --network nature|baseline|mlp --env.* --ppo.* … --config FILE --preset NAME]

  --batch    minibatch size B
  --out      where to write the model
  --grads    also output the raw gradients grad.<param>

The network's input shape and action count follow the env flags (default 4×84×84 gray frames,
7 'simple' actions; --env.obs ram for the mlp network); the loss settings follow --ppo.*, --a2c.*
or --dqn.*, with the same defaults as mario-rl train. Inputs (parameters, optimizer state, lr,
step, PPO/A2C ent_coef, batch) and outputs are listed in docs/graphs.md.`;

/** The subcommand. */
export const exportGraphCommand = {
  summary: 'write the train-step graph of a config (optionally with gradients) as ONNX',
  run(args: string[]): number {
    if (args.includes('--help') || args.includes('-h')) {
      console.log(`${USAGE}\n\nconfig options:\n${configHelp()}`);
      return 0;
    }
    let flags: Record<string, string>;
    let rest: string[];
    let batch: number;
    try {
      ({ flags, rest } = parseKnownFlags(args, { batch: {}, out: {}, grads: { boolean: true }, model: {}, actions: {} }));
      if (flags.model !== undefined) throw new UsageError(`--model is now --network (the name mario-rl train uses): pass --network ${flags.model}`);
      if (flags.actions !== undefined)
        throw new UsageError('--actions is now the action set of the env: pass --env.actions right-only|simple|complex (5, 7 or 12 actions)');
      for (const k of ['batch', 'out']) if (flags[k] === undefined) throw new UsageError(`missing --${k}`);
      batch = intFlag(flags.batch!, 'batch', 1, 65536);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      console.error(`mario-rl export-graph: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    let spec;
    try {
      const { config, rest: unused } = resolveConfig({ argv: rest });
      if (unused.length) throw new UsageError(`unexpected argument '${unused[0]}'`);
      spec = trainSpecFor(config);
    } catch (err) {
      console.error(`mario-rl export-graph: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    // Parameters are graph inputs, so no values are stored in the file.
    const graph = buildTrainStepGraph(spec, { batch, grads: flags.grads === 'true' });
    const bytes = toModel(graph);
    writeFileSync(flags.out!, bytes);
    const inputs = [...graph.params.map((p) => p.name), ...graph.inputs.map((i) => i.name)];
    console.log(
      `wrote ${flags.out} (${(bytes.length / 1024).toFixed(0)} KiB): ${spec.algo} loss, ${spec.model.network} network, ${inputs.length} inputs, ${graph.outputs.length} outputs`,
    );
    return 0;
  },
};
