/**
 * Runs ONNX sessions in a worker thread so the event loop never stalls: the main thread sends
 * model bytes once and typed arrays per run; the worker replies with the outputs.
 *
 * Device choice: 'cpu', 'cuda' (an error if the CUDA provider does not load) or 'auto' (CUDA if
 * it loads, else CPU with a warning saying why; one short line when there is no NVIDIA driver).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

import { type HostTensor } from '../graph/session.js';
import { expectInteger, expectOneOf, expectOptions, rejectUnknownKeys } from '../validate.js';
import { cudaBlocker, NO_NVIDIA_DRIVER } from './device.js';
import type { Device, DeviceSetting, WorkerReply, WorkerRequest, WorkerRequestBody } from './worker-protocol.js';

export type { Device, DeviceSetting } from './worker-protocol.js';

/** Options of `SessionRunner.create`. */
export interface RunnerOptions {
  /** 'auto' (default), 'cpu' or 'cuda'. */
  device?: DeviceSetting;
  /** Intra-op threads per session (default 2). */
  threads?: number;
  /** Receives warnings (default: process.emitWarning). */
  onWarning?: (message: string) => void;
  /**
   * How much lower than the main thread the session threads are scheduled (Linux nice
   * increment, 0–19; default 10), so the event loop stays responsive on a loaded machine.
   */
  nice?: number;
}

/**
 * How to start the worker: the bundled script next to dist/index.{js,cjs}, or (running from
 * source under tests and tsx) a small bootstrap that registers tsx and imports session-worker.ts.
 */
export function workerLocation(): { url: URL | string; eval: boolean } {
  const self = import.meta.url;
  if (self.endsWith('.ts')) {
    // tsx's ESM entry sits next to the CommonJS one that require.resolve finds.
    const api = createRequire(self)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs');
    const code = `import(${JSON.stringify(pathToFileURL(api).href)}).then((m) => { m.register(); return import(${JSON.stringify(new URL('./session-worker.ts', self).href)}); })`;
    return { url: code, eval: true };
  }
  const ext = self.endsWith('.cjs') ? '.cjs' : '.js';
  const bundled = new URL(`./train-worker${ext}`, self);
  if (!existsSync(fileURLToPath(bundled))) {
    throw new Error(`The training worker script is missing: expected ${fileURLToPath(bundled)} next to ${fileURLToPath(self)} (rebuild with npm run build:ts)`);
  }
  return { url: bundled, eval: false };
}

type Pending = { resolve: (r: WorkerReply) => void; reject: (e: Error) => void };

/** A worker thread holding ORT sessions by key. */
export class SessionRunner {
  #worker: Worker;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #device: Device = 'cpu';
  #threads: number;
  #fallback: string | undefined;
  #closed = false;
  #ortVersion = 'unknown';

  private constructor(worker: Worker, threads: number) {
    this.#worker = worker;
    this.#threads = threads;
    worker.on('message', (reply: WorkerReply) => {
      const p = this.#pending.get(reply.id);
      if (!p) return;
      this.#pending.delete(reply.id);
      p.resolve(reply);
    });
    worker.on('error', (err) => this.#failAll(err));
    worker.on('exit', (code) => {
      if (!this.#closed) this.#failAll(new Error(`The training worker exited unexpectedly (code ${code})`));
    });
    worker.unref();
  }

  /** [async] Starts the worker and settles the device. Throws for 'cuda' when CUDA does not load. */
  static async create(options?: RunnerOptions): Promise<SessionRunner> {
    const o = expectOptions<RunnerOptions>(options, 'runner options');
    rejectUnknownKeys(o, 'runner options', ['device', 'threads', 'onWarning', 'nice']);
    const nice = expectInteger(o.nice ?? 10, 'nice', 0, 19);
    const device = expectOneOf(o.device ?? 'auto', 'device', ['auto', 'cpu', 'cuda'] as const);
    const threads = expectInteger(o.threads ?? 2, 'threads', 1, 256);
    const warn = o.onWarning ?? ((m: string) => process.emitWarning(m, { code: 'MARIO_RL_DEVICE' }));
    const loc = workerLocation();
    const runner = new SessionRunner(new Worker(loc.url, { eval: loc.eval, workerData: { nice } }), threads);
    try {
      if (device === 'cpu') {
        runner.#ortVersion = (await runner.#call({ type: 'probe', device: 'cpu' })).version ?? 'unknown';
      } else {
        try {
          // Check the files first: a provider that cannot load also floods stderr from C++.
          const blocker = cudaBlocker();
          if (blocker) throw new Error(blocker);
          runner.#ortVersion = (await runner.#call({ type: 'probe', device: 'cuda' })).version ?? 'unknown';
          runner.#device = 'cuda';
        } catch (err) {
          const why = firstLine((err as Error).message);
          if (device === 'cuda')
            throw new Error(`The CUDA execution provider did not load: ${why}. Run 'npx mario-rl doctor' for what is missing, or use device: 'cpu'.`, {
              cause: err,
            });
          runner.#fallback = why;
          // Without a driver there is nothing to fix: one short line, not the provider's story.
          if (why === NO_NVIDIA_DRIVER) warn("device 'auto': no NVIDIA driver, so this runs on the CPU");
          else warn(`device 'auto': using the CPU because the CUDA execution provider did not load (${why}); run 'npx mario-rl doctor' for details`);
          runner.#ortVersion = (await runner.#call({ type: 'probe', device: 'cpu' })).version ?? 'unknown';
        }
      }
    } catch (err) {
      await runner.close();
      throw err;
    }
    return runner;
  }

  /** The device sessions run on. */
  get device(): Device {
    return this.#device;
  }

  /** Why 'auto' fell back to the CPU (undefined if it did not). */
  get fallbackReason(): string | undefined {
    return this.#fallback;
  }

  /** onnxruntime version the worker loaded. */
  get ortVersion(): string {
    return this.#ortVersion;
  }

  /** [async] Creates (or replaces) the session `key` from model bytes. */
  async load(key: string, model: Uint8Array): Promise<void> {
    await this.#call({ type: 'load', key, model, device: this.#device, threads: this.#threads });
  }

  /** [async] Runs session `key`; returns the requested (default all) outputs. */
  async run(key: string, feeds: Record<string, HostTensor>, outputs?: string[]): Promise<Record<string, HostTensor>> {
    const r = await this.#call({ type: 'run', key, feeds, ...(outputs ? { outputs } : {}) });
    return r.outputs!;
  }

  /** [async] Frees session `key`. */
  async release(key: string): Promise<void> {
    await this.#call({ type: 'release', key });
  }

  /** [async] Stops the worker; pending calls reject. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#failAll(new Error('The session runner was closed'));
    await this.#worker.terminate();
  }

  #call(req: WorkerRequestBody): Promise<WorkerReply & { ok: true }> {
    if (this.#closed) return Promise.reject(new Error('The session runner is closed'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, {
        resolve: (r) => (r.ok ? resolve(r) : reject(new Error(r.error))),
        reject,
      });
      this.#worker.ref();
      this.#worker.postMessage({ ...req, id } as WorkerRequest);
    }).finally(() => {
      if (this.#pending.size === 0) this.#worker.unref();
    }) as Promise<WorkerReply & { ok: true }>;
  }

  #failAll(err: Error): void {
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }
}

function firstLine(s: string): string {
  // ORT's messages carry ANSI colour codes and log prefixes; keep the first meaningful part.
  const clean = s.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
  const m = /Failed to load library (\S+) with error: ([^\n]+)/.exec(clean);
  if (m) return `failed to load ${m[1]}: ${m[2]!.split(': ').slice(-1)[0]}`;
  return clean.split('\n')[0]!.slice(0, 300);
}
