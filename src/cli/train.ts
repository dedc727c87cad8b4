/**
 * `mario-rl train`. Every config field is a flag (`--ppo.clip-coef 0.1`, see
 * `--help`), `--config file.json` loads a file first. With no setup chosen, a machine without a
 * usable GPU trains the `runner-ram` preset ({@link chooseDefaultSetup}) and says so. Without a ROM
 * the run uses the built-in game and says how to train on Super Mario Bros. instead. Progress: a
 * line at once saying what the first rollout collects, then a bar on a TTY, plain lines otherwise
 * (`--log.progress`).
 */
import { cudaBlocker, NO_NVIDIA_DRIVER } from '../runtime/device.js';
import { configHelp, type DerivedSizes, parseConfigFlags, resolveConfig, type TrainerConfig } from '../train/config.js';
import { Trainer, type TrainerOptions } from '../train/trainer.js';
import { ProgressDisplay } from './progress.js';

const SMB_HINT =
  "mario-rl: training on the built-in game 'runner' (no ROM needed). For Super Mario Bros. 1-1 pass your own ROM: " +
  '`mario-rl train --preset smb-1-1 --env.rom path/to/smb.nes` (or set MARIO_ROM and pass --env.game smb1).';

/** The preset `mario-rl train` picks on a machine without a usable GPU when nothing chooses the setup. */
export const CPU_DEFAULT_PRESET = 'runner-ram';

/**
 * Fields that say how a run goes, not what is trained: given alone they leave the CLI's choice of
 * setup to it (`mario-rl train --run-dir runs/a --total-steps 200000` still gets the CPU default).
 */
function isRunField(path: string): boolean {
  return (
    ['runDir', 'resume', 'initFrom', 'seed', 'totalSteps', 'maxWallTime', 'device', 'threads', 'overlap'].includes(path) ||
    /^(log|checkpoint|earlyStop|hints)\./.test(path)
  );
}

/**
 * The CLI's choice of setup for `mario-rl train` when the user made none (no `--preset`, no
 * `--config`, no flag outside the run fields): on a machine where the CUDA provider cannot load
 * (`cudaReason`, from `cudaBlocker()`, or `--device cpu`) the {@link CPU_DEFAULT_PRESET} preset,
 * which learns in minutes there, and the line saying so; otherwise undefined (the library's
 * defaults, the 84×84 pixel setup, which needs a GPU to be quick). Library defaults stay as they are.
 */
export function chooseDefaultSetup(args: readonly string[], cudaReason: string | undefined): { preset: string; line: string } | undefined {
  let flags;
  try {
    flags = parseConfigFlags(args);
  } catch {
    return undefined; // parseRunConfig reports the error
  }
  if (flags.preset !== undefined || flags.configFile !== undefined) return undefined;
  if ([...flags.values.keys()].some((path) => !isRunField(path))) return undefined;
  const device = flags.values.get('device');
  if (device === 'cuda' || (device !== 'cpu' && cudaReason === undefined)) return undefined;
  const why =
    device === 'cpu' ? '--device cpu' : cudaReason === NO_NVIDIA_DRIVER ? 'no NVIDIA driver' : 'the CUDA provider is not set up (mario-rl doctor says why)';
  return {
    preset: CPU_DEFAULT_PRESET,
    line: `mario-rl: CPU only (${why}) and no --preset or --config: training --preset ${CPU_DEFAULT_PRESET} (the built-in game from RAM, mlp network; reaches the flag in minutes on 2 cores).`,
  };
}

/** What the run does before its first progress line, said at once (the first rollout can take a while). */
export function firstProgressLine(config: TrainerConfig, sizes: DerivedSizes): string {
  const inputs =
    config.env.obs === 'pixels' ? `${config.env.width}x${config.env.height} frames` : config.env.obs === 'ram' ? 'RAM' : `${config.env.obs} observations`;
  const what = `${config.algo}, ${config.network} network on ${inputs}, game ${config.env.game}`;
  if (config.algo === 'dqn') {
    const every = sizes.stepsPerUpdate * Math.max(1, Math.round(1000 / sizes.stepsPerUpdate));
    return `collecting experience (${what}): ${sizes.numEnvs} lanes, learning from agent step ${config.dqn.learningStarts.toLocaleString('en-US')}, a progress line every ${every.toLocaleString('en-US')} agent steps…`;
  }
  const steps = config.algo === 'ppo' ? config.ppo.numSteps : config.a2c.numSteps;
  return `collecting the first rollout (${what}): ${sizes.numEnvs} lanes × ${steps} steps = ${sizes.stepsPerUpdate.toLocaleString('en-US')} agent steps, then the first update…`;
}

/** Resolves the run's config from flags (and `--config`, or a preset the CLI chose); prints usage and returns 2 on an error, 0 for --help. */
export function parseRunConfig(args: string[], usage: string, defaults: { preset?: string } = {}): { config: TrainerConfig; rest: string[] } | number {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(`${usage}\n\noptions:\n${configHelp()}`);
    return 0;
  }
  try {
    const { config, rest } = resolveConfig({ argv: args, ...defaults });
    // smb1 without env.rom falls back to $MARIO_ROM (the Trainer reads it).
    return { config, rest };
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${usage}\n(see --help for every option)`);
    return 2;
  }
}

const TRAIN_USAGE = `usage: mario-rl train [--preset NAME | --config file.json] [--total-steps N] [--env.rom FILE] [--run-dir DIR] [--resume latest|auto|FILE] [--overwrite] [...]

A fresh run refuses a --run-dir that holds another run: continue it with --resume latest, replace
it with --overwrite (deletes that run's files) or pick another --run-dir.

Without --preset, --config or a flag that changes the setup, a machine without a usable GPU trains
--preset ${CPU_DEFAULT_PRESET} (the built-in game from RAM; it learns in minutes on a CPU) and a GPU
machine the default pixel setup (84x84 frames, nature network). Every config field is a flag.`;

/** How `trainCommand.run` differs per command: `train` itself, or a distributed run's `learner`. */
export interface TrainingCommand {
  /** The command's name in messages. */
  name: string;
  /** Its usage text. */
  usage: string;
  /** Trainer options the command adds (the learner's `distributed`). */
  trainerOptions?: Pick<TrainerOptions, 'distributed'>;
}

/** The `train` subcommand; `command` lets another command (`learner`) train through it. */
export const trainCommand = {
  summary: 'train a policy (PPO by default) on the built-in game or Super Mario Bros.',
  async run(argv: string[], command: TrainingCommand = { name: 'train', usage: TRAIN_USAGE }): Promise<number> {
    // --overwrite is an option of this call, not a config field: a saved config.json never deletes a run.
    const overwrite = argv.includes('--overwrite');
    const args = argv.filter((a) => a !== '--overwrite');
    const help = args.includes('--help') || args.includes('-h');
    const choice = help ? undefined : chooseDefaultSetup(args, cudaBlocker());
    const parsed = parseRunConfig(args, command.usage, choice ? { preset: choice.preset } : {});
    if (typeof parsed === 'number') return parsed;
    const { config, rest } = parsed;
    if (rest.length) {
      console.error(`mario-rl ${command.name}: unexpected argument '${rest[0]}'\n\n${command.usage}`);
      return 2;
    }
    if (choice) console.error(choice.line);
    if (config.env.game === 'runner') console.error(SMB_HINT);
    let trainer: Trainer;
    // Warnings come mid-run too (training hints): through the display once it exists, so they do not garble the bar.
    const shown: { progress?: ProgressDisplay } = {};
    const onWarning = (m: string) => (shown.progress && shown.progress.mode !== 'off' ? shown.progress.log(`mario-rl: ${m}`) : console.warn(`mario-rl: ${m}`));
    try {
      trainer = new Trainer(config, { onWarning, ...command.trainerOptions });
    } catch (err) {
      console.error(`mario-rl ${command.name}: ${(err as Error).message}`);
      return 2;
    }
    const progress = new ProgressDisplay({ totalSteps: trainer.sizes.trainedSteps, mode: config.log.progress });
    shown.progress = progress;
    trainer.on('update', (row) => {
      const ret = row['charts/episodic_return'];
      const flag = row['charts/flag_rate'];
      progress.update({
        step: row.global_step as number,
        ...(typeof ret === 'number' ? { episodeReturn: ret } : {}),
        ...(typeof flag === 'number' ? { flagRate: flag } : {}),
      });
    });
    trainer.on('checkpoint', (c) => {
      if (c.kind === 'periodic') progress.log(`checkpoint ${c.path}`);
    });
    // The first row comes after a whole rollout (a minute or more for pixel setups on a CPU): say what happens until then.
    progress.log(firstProgressLine(config, trainer.sizes));
    try {
      const s = await trainer.train({ overwrite });
      if (s.stopMessage) progress.log(`stopped early: ${s.stopMessage}`);
      progress.finish(
        `${s.stopReason === 'done' ? 'done' : `stopped (${s.stopReason})`}: ${s.globalStep} agent steps, ${s.globalUpdate} updates, ` +
          `${s.sps.toFixed(0)} steps/s; latest checkpoint ${s.latestCheckpoint}; metrics ${config.runDir}/metrics.jsonl`,
      );
      return s.stopReason === 'done' || s.stopReason === 'maxWallTime' || s.stopReason === 'callback' ? 0 : 128 + (s.stopReason === 'SIGTERM' ? 15 : 2);
    } finally {
      await trainer.close();
    }
  },
};
