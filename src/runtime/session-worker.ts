/**
 * The worker thread that owns onnxruntime sessions: ORT's `run()` blocks its thread, so training
 * and acting run here and the main event loop stays free. Bundled as dist/train-worker.{js,cjs};
 * under tests it runs from source through tsx.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';

import * as ort from 'onnxruntime-node';

import { toModel } from '../graph/onnx-writer.js';
import { relu } from '../graph/ops.js';
import { fromOrt, toOrt, type HostTensor } from '../graph/session.js';
import { Graph } from '../graph/tensor.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';

const sessions = new Map<string, ort.InferenceSession>();

function providers(device: 'cpu' | 'cuda'): string[] {
  return device === 'cuda' ? ['cuda'] : ['cpu'];
}

/** A one-node model (Relu on float32 [1]) to check that a provider loads. */
function probeModel(): Uint8Array {
  const g = new Graph('probe');
  g.output('y', relu(g.input('x', 'float32', [1])));
  return toModel(g);
}

async function handle(msg: WorkerRequest): Promise<WorkerReply & { transfer?: ArrayBuffer[] }> {
  switch (msg.type) {
    case 'probe': {
      await ort.InferenceSession.create(probeModel(), { executionProviders: providers(msg.device), logSeverityLevel: 4 });
      return { id: msg.id, ok: true, version: ort.env.versions?.common ?? 'unknown' };
    }
    case 'load': {
      const old = sessions.get(msg.key);
      sessions.delete(msg.key);
      if (old) await old.release();
      const session = await ort.InferenceSession.create(msg.model, {
        executionProviders: providers(msg.device),
        intraOpNumThreads: msg.threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        logSeverityLevel: 3,
        // Idle pool threads sleep instead of spinning: environments and the event loop share
        // these cores with training.
        extra: { session: { intra_op: { allow_spinning: '0' } } },
      });
      sessions.set(msg.key, session);
      return { id: msg.id, ok: true };
    }
    case 'run': {
      const session = sessions.get(msg.key);
      if (!session) throw new Error(`No session '${msg.key}' is loaded`);
      const feeds: Record<string, ort.Tensor> = {};
      for (const [k, v] of Object.entries(msg.feeds)) feeds[k] = toOrt(v);
      const res = msg.outputs ? await session.run(feeds, msg.outputs) : await session.run(feeds);
      const outputs: Record<string, HostTensor> = {};
      const transfer = new Set<ArrayBuffer>();
      for (const [k, v] of Object.entries(res)) {
        const h = fromOrt(v as ort.Tensor);
        outputs[k] = h;
        if (h.data.buffer instanceof ArrayBuffer) transfer.add(h.data.buffer);
      }
      return { id: msg.id, ok: true, outputs, transfer: [...transfer] };
    }
    case 'release': {
      const s = sessions.get(msg.key);
      sessions.delete(msg.key);
      if (s) await s.release();
      return { id: msg.id, ok: true };
    }
  }
}

/**
 * Lowers this thread's scheduling priority (Linux: nice is per thread and ORT's pool threads,
 * created later from this thread, inherit it), so on a busy machine the event loop of the main
 * thread wins the CPU over training. Best effort: elsewhere it does nothing.
 */
function lowerPriority(nice: number): void {
  if (process.platform !== 'linux' || nice <= 0) return;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, Math.min(19, getPriority(tid) + nice));
  } catch {
    // No /proc or not permitted: run at normal priority.
  }
}

const port = parentPort;
if (port) {
  lowerPriority(Number((workerData as { nice?: number } | undefined)?.nice ?? 0));
  // One request at a time, in order: sessions are not shared between concurrent runs.
  let chain = Promise.resolve();
  port.on('message', (msg: WorkerRequest) => {
    chain = chain.then(async () => {
      try {
        const { transfer, ...reply } = await handle(msg);
        try {
          port.postMessage(reply, transfer ?? []);
        } catch {
          port.postMessage(reply);
        }
      } catch (err) {
        port.postMessage({ id: msg.id, ok: false, error: (err as Error).message } satisfies WorkerReply);
      }
    });
  });
}
