/**
 * `mario-rl doctor`: what onnxruntime-node can use on this machine. Prints the ORT version, whether
 * the CUDA execution provider loads (and if not, which files or shared libraries are missing),
 * the GPU nvidia-smi sees, and what to do about each problem. See docs/gpu.md. On a Linux machine
 * without an NVIDIA driver it says so in one line (CPU only) and checks no provider files.
 */
import { join } from 'node:path';

import { toModel } from '../graph/onnx-writer.js';
import { relu } from '../graph/ops.js';
import { Graph } from '../graph/tensor.js';
import {
  CUDA_PROVIDER_FILES,
  PINNED_ORT_VERSION,
  missingProviderFiles,
  missingSharedLibraries,
  nvidiaDriverPresent,
  nvidiaSmi,
  ortBinaryDir,
  ortPackageVersion,
} from '../runtime/device.js';
import { UsageError, parseFlags } from './flags.js';

/** ANSI colour codes (ESC [ … m) in ORT's messages. */
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

function line(ok: boolean | undefined, what: string, detail: string): void {
  const tag = ok === undefined ? ' -- ' : ok ? ' ok ' : 'FAIL';
  console.log(`[${tag}] ${what}: ${detail}`);
}

const DOCTOR_USAGE = `usage: mario-rl doctor

Checks what onnxruntime-node can use here: its version, the CUDA execution provider's files and
shared libraries, and the GPU nvidia-smi sees; ends with what to do about each problem
(docs/gpu.md). Without an NVIDIA driver it says "CPU only" and stops there.

options:
  -h, --help   print this help`;

/** The subcommand. */
export const doctorCommand = {
  summary: 'check onnxruntime, the CUDA provider, its libraries and the GPU',
  async run(args: string[]): Promise<number> {
    try {
      if (parseFlags(args, { help: { boolean: true, short: 'h' } }).help) {
        console.log(DOCTOR_USAGE);
        return 0;
      }
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      console.error(`mario-rl doctor: ${err.message}\n\n${DOCTOR_USAGE}`);
      return 2;
    }
    const todo: string[] = [];
    const version = ortPackageVersion();
    line(version === PINNED_ORT_VERSION, 'onnxruntime-node', `${version} (pinned: ${PINNED_ORT_VERSION})`);
    if (process.platform === 'linux' && !nvidiaDriverPresent()) {
      // Nothing to install or fix: the provider checks would only list files that cannot help here.
      line(undefined, 'GPU', 'no NVIDIA driver: CPU only');
      console.log(
        "\nNo NVIDIA driver: CPU only. Training runs on the CPU by itself (device 'auto'), and `mario-rl train` with no preset trains runner-ram, which learns the built-in game in minutes there.",
      );
      if (version !== PINNED_ORT_VERSION)
        console.log(`(onnxruntime-node ${version} is not the pinned ${PINNED_ORT_VERSION}; the CPU provider works with either.)`);
      return 0;
    }
    if (version !== PINNED_ORT_VERSION) todo.push(`install onnxruntime-node@${PINNED_ORT_VERSION}: the CUDA-13 provider libraries exist for that release only`);
    const dir = ortBinaryDir();
    const missing = missingProviderFiles();
    line(missing.length === 0, 'CUDA provider files', missing.length ? `missing ${missing.join(', ')} in ${dir}` : `present in ${dir}`);
    if (missing.length) {
      todo.push(
        `copy ${CUDA_PROVIDER_FILES.join(' and ')} from the npm package com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 (ORT 1.29.0, CUDA 13) into ${dir} (docs/gpu.md)`,
      );
    } else {
      const libs = missingSharedLibraries(join(dir, 'libonnxruntime_providers_cuda.so'));
      line(libs.length === 0, 'CUDA provider dependencies', libs.length ? `not found: ${libs.join(', ')}` : 'all shared libraries found');
      if (libs.length) todo.push(`put the folders holding ${libs.join(', ')} (CUDA 13 runtime, cuBLAS, cuRAND, cuFFT, NVRTC, cuDNN 9) on LD_LIBRARY_PATH`);
    }
    let loads = false;
    let loadError = '';
    if (missing.length === 0) {
      try {
        const ort = await import('onnxruntime-node');
        const g = new Graph('probe');
        g.output('y', relu(g.input('x', 'float32', [1])));
        const s = await ort.InferenceSession.create(toModel(g), { executionProviders: ['cuda'], logSeverityLevel: 4 });
        await s.release();
        loads = true;
      } catch (err) {
        loadError = (err as Error).message.replace(ANSI_COLOUR, '').split('\n')[0]!;
      }
    }
    line(loads, 'CUDA execution provider', loads ? 'loads' : missing.length ? 'not tried (provider files missing)' : `does not load: ${loadError}`);
    const gpus = nvidiaSmi();
    line(
      gpus !== undefined && gpus.length > 0,
      'GPU',
      gpus === undefined ? 'nvidia-smi not found (no NVIDIA driver on this machine)' : gpus.length ? gpus.join('; ') : 'nvidia-smi lists no GPU',
    );
    if (gpus === undefined) todo.push("no NVIDIA driver: training runs on the CPU (device: 'auto' falls back by itself)");
    console.log('');
    if (todo.length === 0) console.log("All set: device: 'cuda' (or 'auto') will run on the GPU.");
    else {
      console.log('What to do:');
      for (const t of todo) console.log(`  - ${t}`);
    }
    return 0;
  },
};
