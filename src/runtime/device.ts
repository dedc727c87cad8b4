/**
 * What the CUDA execution provider of onnxruntime-node needs on disk, checked without loading it:
 * the provider libraries next to libonnxruntime.so and the CUDA/cuDNN libraries they link to.
 * Used by the runner (to say why 'auto' fell back) and by `mario-rl doctor`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** onnxruntime-node's version pinned by this package (CUDA-13 providers exist for it). */
export const PINNED_ORT_VERSION = '1.29.0';

/** The provider libraries the CUDA EP loads, in load order. */
export const CUDA_PROVIDER_FILES = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'] as const;

/** onnxruntime-node's package folder. */
export function ortPackageDir(): string {
  return dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
}

/** onnxruntime-node's installed version (from its package.json). */
export function ortPackageVersion(): string {
  return (JSON.parse(readFileSync(join(ortPackageDir(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** The folder holding libonnxruntime.so for this platform (where the provider libraries must go). */
export function ortBinaryDir(): string {
  return join(ortPackageDir(), 'bin', 'napi-v6', process.platform, process.arch);
}

/** CUDA provider files missing from `ortBinaryDir()` (Linux; elsewhere the list is informative). */
export function missingProviderFiles(): string[] {
  const dir = ortBinaryDir();
  return CUDA_PROVIDER_FILES.filter((f) => !existsSync(join(dir, f)));
}

/** Shared libraries `lib` links to that the loader cannot find (via ldd; empty if ldd is absent). */
export function missingSharedLibraries(lib: string): string[] {
  try {
    const out = execFileSync('ldd', [lib], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out
      .split('\n')
      .filter((l) => l.includes('not found'))
      .map((l) => l.trim().split(/\s+/)[0]!);
  } catch {
    return [];
  }
}

/** The GPUs nvidia-smi reports (name, driver, memory), or undefined when nvidia-smi is absent. */
export function nvidiaSmi(): string[] | undefined {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    });
    return out
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  } catch {
    return undefined;
  }
}

/** Where an NVIDIA driver shows itself on Linux: its control device, its /proc entry, WSL2's GPU device. */
const NVIDIA_DRIVER_PATHS = ['/dev/nvidiactl', '/proc/driver/nvidia/version', '/dev/dxg'] as const;

/** {@link cudaBlocker}'s reason on a machine without an NVIDIA driver: nothing to set up, CPU only. */
export const NO_NVIDIA_DRIVER = 'no NVIDIA driver on this machine';

/**
 * Whether this Linux machine has an NVIDIA driver, from the files the driver creates: nothing is
 * run or loaded, so it is cheap enough for every command. Always false elsewhere.
 */
export function nvidiaDriverPresent(): boolean {
  return process.platform === 'linux' && NVIDIA_DRIVER_PATHS.some((p) => existsSync(p));
}

/**
 * A one-line reason the CUDA provider cannot load, found on disk, or undefined if all is there.
 * Without an NVIDIA driver the reason is {@link NO_NVIDIA_DRIVER} (the provider's files do not
 * matter then).
 */
export function cudaBlocker(): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    return `the CUDA provider is only set up for linux-x64 (this is ${process.platform}-${process.arch})`;
  if (!nvidiaDriverPresent()) return NO_NVIDIA_DRIVER;
  const missing = missingProviderFiles();
  if (missing.length) return `${missing.join(' and ')} missing from ${ortBinaryDir()}`;
  const libs = missingSharedLibraries(join(ortBinaryDir(), 'libonnxruntime_providers_cuda.so'));
  if (libs.length) return `libonnxruntime_providers_cuda.so cannot find ${libs.join(', ')} (set LD_LIBRARY_PATH)`;
  return undefined;
}
