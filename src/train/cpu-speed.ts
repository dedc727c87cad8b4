/**
 * What training on the CPU costs, said before it starts: an estimate of agent steps/s from the
 * network's forward multiply-adds and the passes the algorithm makes per agent step, calibrated on
 * the 2-core machine the project measures on (the default config, the nature network on 84×84
 * frames with 10 PPO epochs, ran 55–88 agent steps/s there; `runner-ram`'s mlp 3–6k; the
 * `runner-pixels` baseline network ≈ 1,000). Only slow setups get a warning.
 */
import { forwardMacs, type ModelSpec } from '../models/networks.js';
import { type TrainerConfig } from './config.js';

/** Multiply-adds per second the estimate assumes: 70 agent steps/s × 9.35 M MACs × 31 passes. */
const CPU_MACS_PER_SECOND = 2e10;
/** Below this many agent steps/s the Trainer warns before a CPU run. */
const SLOW_STEPS_PER_SECOND = 1000;

/**
 * Rough agent steps/s of `config` on a 2-core CPU: acting is one forward pass per agent step;
 * learning is about three passes' worth (forward and backward) per sample per epoch (PPO), per
 * sample (A2C), or per replayed sample (DQN: batchSize / trainFrequency per agent step).
 */
export function estimateCpuStepsPerSecond(config: TrainerConfig, model: ModelSpec): number {
  const learnPasses = config.algo === 'ppo' ? 3 * config.ppo.epochs : config.algo === 'a2c' ? 3 : (3 * config.dqn.batchSize) / config.dqn.trainFrequency;
  return CPU_MACS_PER_SECOND / (forwardMacs(model) * (1 + learnPasses));
}

/** The warning for a CPU run of `config`, naming its network and inputs, or undefined when it is fast enough. */
export function cpuSpeedWarning(config: TrainerConfig, model: ModelSpec): string | undefined {
  const sps = estimateCpuStepsPerSecond(config, model);
  if (sps >= SLOW_STEPS_PER_SECOND) return undefined;
  const rounded = sps < 100 ? Math.max(10, Math.round(sps / 10) * 10) : Math.round(sps / 100) * 100;
  const inputs = config.env.obs === 'pixels' ? `${config.env.width}×${config.env.height} frames` : `${config.env.obs} observations`;
  // What runs well on a CPU instead, unless the run already is that setup.
  const instead =
    config.env.game === 'runner'
      ? ', and on a CPU --preset runner-ram learns the built-in game in minutes'
      : config.network === 'nature'
        ? ', and on a CPU --preset smb-1-1 (42×42 frames, baseline network) is the measured setup for 1-1'
        : '';
  return `training the ${config.network} network on ${inputs} on the CPU: expect roughly ${rounded} agent steps/s on 2 cores; a GPU is much faster${instead}`;
}
