/**
 * The policy in the page: policy.onnx on onnxruntime-web's WASM backend, single-threaded (no
 * SharedArrayBuffer, so it runs from any static server without COOP/COEP headers), one
 * observation at a time. Greedy action = the first index of the largest logit (or Q value), as
 * `pickActions` in src/algos/action-sampling.ts picks it.
 *
 * Ownership: one per page; `act` calls must not overlap (the page's loop awaits each).
 */
import * as ort from 'onnxruntime-web/wasm';

import { SITE_FILES, type SiteConfig } from '../site-config.js';

/** One decision. */
export interface Decision {
  /** The greedy action. */
  action: number;
  /** Softmax of the logits (actor-critic) or of the Q values (Q heads: shown, not a policy). */
  probs: Float32Array;
  /** Value estimate (actor-critic), or the largest Q value. */
  value: number;
}

export class Agent {
  readonly #session: ort.InferenceSession;
  readonly #obsShape: number[];
  readonly #head: SiteConfig['head'];

  private constructor(session: ort.InferenceSession, site: SiteConfig) {
    this.#session = session;
    const o = site.obs;
    this.#obsShape = [1, o.stack * (o.grayscale ? 1 : 3), o.height, o.width];
    this.#head = site.head;
  }

  /** [async] Loads policy.onnx from beside the page. */
  static async load(site: SiteConfig, base: string): Promise<Agent> {
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    ort.env.wasm.wasmPaths = { wasm: new URL(SITE_FILES.wasm, base).href };
    const bytes = new Uint8Array(await (await fetchOk(new URL(SITE_FILES.policy, base).href)).arrayBuffer());
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    return new Agent(session, site);
  }

  /** [async] The decision for one observation [stack, C, H, W] (uint8). */
  async act(obs: Uint8Array): Promise<Decision> {
    const feeds = { obs: new ort.Tensor('uint8', obs, this.#obsShape) };
    const out = await this.#session.run(feeds);
    const scores = (this.#head === 'actor-critic' ? out.logits! : out.q!).data as Float32Array;
    let action = 0;
    for (let a = 1; a < scores.length; a++) if (scores[a]! > scores[action]!) action = a;
    const probs = new Float32Array(scores.length);
    let sum = 0;
    for (let a = 0; a < scores.length; a++) sum += probs[a] = Math.exp(scores[a]! - scores[action]!);
    for (let a = 0; a < scores.length; a++) probs[a] /= sum;
    const value = this.#head === 'actor-critic' ? (out.value!.data as Float32Array)[0]! : scores[action]!;
    return { action, probs, value };
  }
}

/** fetch that rejects on an HTTP error, naming the file. */
export async function fetchOk(url: string): Promise<Response> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not load ${url}: HTTP ${res.status}`);
  return res;
}
