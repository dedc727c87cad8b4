/** The CPU-speed warning names the network and inputs of the run, and stays quiet for fast setups. */
import { describe, expect, it } from 'vitest';

import { resolveConfig } from '../../src/train/config.js';
import { cpuSpeedWarning, estimateCpuStepsPerSecond } from '../../src/train/cpu-speed.js';
import { trainSpecFor } from '../../src/train/env-options.js';
import { PRESETS } from '../../src/train/presets.js';

const warn = (sources: Parameters<typeof resolveConfig>[0]) => {
  const { config } = resolveConfig(sources);
  return { text: cpuSpeedWarning(config, trainSpecFor(config).model), sps: estimateCpuStepsPerSecond(config, trainSpecFor(config).model) };
};

describe('cpuSpeedWarning', () => {
  it('names the network and frame size of a slow setup, with an estimate near the measured speed', () => {
    const d = warn({});
    // Measured on the 2-core machine: 55–88 agent steps/s.
    expect(d.sps).toBeGreaterThan(40);
    expect(d.sps).toBeLessThan(120);
    expect(d.text).toMatch(/^training the nature network on 84×84 frames on the CPU: expect roughly \d0 agent steps\/s on 2 cores/);
    const b = warn({ argv: ['--network', 'baseline', '--env.width', '64', '--env.height', '64'] });
    expect(b.text).toContain('training the baseline network on 64×64 frames');
  });

  it('says nothing for setups that run fast on a CPU (runner-ram: mlp on RAM, runner-pixels)', () => {
    expect(warn({ preset: 'runner-ram' }).text).toBeUndefined();
    expect(warn({ preset: 'runner-ram' }).sps).toBeGreaterThan(2000);
    expect(warn({ preset: 'runner-pixels' }).text).toBeUndefined();
  });

  it('estimates every preset and algorithm without throwing', () => {
    for (const preset of Object.keys(PRESETS)) expect(warn({ preset }).sps, preset).toBeGreaterThan(0);
    for (const algo of ['a2c', 'dqn']) expect(warn({ argv: ['--algo', algo] }).text).toMatch(/nature network/);
  });
});
