/**
 * The machine a run starts on, written to `RUN/machine.json` (and shown by `mario-rl report`):
 * CPU model and cores, memory, OS, Node, the package and native build, the learner's device.
 * Speeds are only comparable on the same machine (docs/benchmarks.md), so every run says which.
 */
import { arch, cpus, hostname, platform, release, totalmem } from 'node:os';

import { nativeBuildInfo } from '../env/vec-env.js';

/** What `machine.json` holds. */
export interface MachineInfo {
  host: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  marioRl: string;
  native: string;
  device: string;
  startedAt: string;
}

/** The machine and versions now; `device` is where the learner runs ('cpu' or 'cuda'). */
export function machineInfo(device: string): MachineInfo {
  const list = cpus();
  let marioRl = 'unknown';
  let native = 'unknown';
  try {
    const info = nativeBuildInfo();
    marioRl = info.version;
    native = `${info.compiler}, N-API ${info.napiVersion}, CUDA kernels ${info.cuda ? 'yes' : 'no'}`;
  } catch {
    // The addon is loaded by then in a real run; a test double may lack buildInfo.
  }
  return {
    host: hostname(),
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    marioRl,
    native,
    device,
    startedAt: new Date().toISOString(),
  };
}
