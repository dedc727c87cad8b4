/**
 * The networks: Nature-CNN (Mnih et al. 2015) and the 4×Conv(32, 3×3, stride 2) + 512 network of
 * the common Mario PPO/A3C baseline, with an actor-critic head, a dueling Q head or a plain Q
 * head (optionally NoisyNet layers, see noisy.ts). uint8 observations are normalised (÷255) inside the graph. Parameters are described
 * once (`paramSpecs`), initialised with a seed (`initParams`) and wired into any graph
 * (`applyModel`), so train steps, Loop bodies and policies share one definition.
 */
import * as op from '../graph/ops.js';
import { type Graph, type Tensor } from '../graph/tensor.js';
import { Rng } from '../util/rng.js';
import { expectBoolean, expectInteger, expectOneOf, expectOptions, rejectUnknownKeys } from '../validate.js';
import { orthogonal } from './init.js';
import { NOISY_SIGMA0, type NoiseSpec, layerNoiseSpecs, noisyLinear } from './noisy.js';

/** Convolutional trunk. */
export type NetworkKind = 'nature' | 'baseline' | 'mlp';
/** Output head: policy logits + value, dueling Q, or plain Q. */
export type HeadKind = 'actor-critic' | 'dueling' | 'q';

/** A model: trunk, head, observation shape and action count. */
export interface ModelSpec {
  /** 'nature' (Nature-CNN), 'baseline' (4×Conv32 3×3 s2) or 'mlp' (two dense layers of 256, for RAM observations). */
  network: NetworkKind;
  /** 'actor-critic' (PPO/A2C), 'dueling' or 'q' (DQN). */
  head: HeadKind;
  /** Observation [channels, height, width] (uint8 frames). Default [4, 84, 84]. */
  obsShape: readonly [number, number, number];
  /** Number of discrete actions. */
  actions: number;
  /**
   * NoisyNet exploration (Q heads only): the head's linear layers (both streams of a dueling
   * head) become factorised-noise layers with learnable σ. Present only when true, so the specs
   * (and checkpoint metadata) of other models are unchanged.
   */
  noisy?: true;
}

/** Validates and completes a model spec. */
export function modelSpec(options: unknown): ModelSpec {
  const o = expectOptions<ModelSpec>(options, 'model');
  rejectUnknownKeys(o, 'model', ['network', 'head', 'obsShape', 'actions', 'noisy']);
  const network = expectOneOf(o.network ?? 'nature', 'model.network', ['nature', 'baseline', 'mlp'] as const);
  const head = expectOneOf(o.head ?? 'actor-critic', 'model.head', ['actor-critic', 'dueling', 'q'] as const);
  const obs = o.obsShape ?? [4, 84, 84];
  if (!Array.isArray(obs) || obs.length !== 3) throw new TypeError(`Expected an array [channels, height, width] for model.obsShape but received ${JSON.stringify(obs)}`);
  const obsShape = [
    expectInteger(obs[0], 'model.obsShape[0]', 1, 64),
    // A dense trunk takes any shape (RAM is [1, 1, 2048]); conv trunks need a frame.
    expectInteger(obs[1], 'model.obsShape[1]', network === 'mlp' ? 1 : 8, 1024),
    expectInteger(obs[2], 'model.obsShape[2]', network === 'mlp' ? 1 : 8, network === 'mlp' ? 4096 : 1024),
  ] as const;
  const actions = expectInteger(o.actions, 'model.actions', 1, 4096);
  const noisy = expectBoolean(o.noisy ?? false, 'model.noisy');
  if (noisy && head === 'actor-critic') throw new RangeError("Expected a 'dueling' or 'q' head for model.head with model.noisy but received 'actor-critic'");
  const spec: ModelSpec = noisy ? { network, head, obsShape, actions, noisy } : { network, head, obsShape, actions };
  convLayers(spec); // throws if the frame is too small for the trunk
  return spec;
}

/** One conv layer of a trunk. */
interface ConvLayer {
  out: number;
  kernel: number;
  stride: number;
  pad: number;
}

const TRUNKS: Record<NetworkKind, ConvLayer[]> = {
  nature: [
    { out: 32, kernel: 8, stride: 4, pad: 0 },
    { out: 64, kernel: 4, stride: 2, pad: 0 },
    { out: 64, kernel: 3, stride: 1, pad: 0 },
  ],
  baseline: [
    { out: 32, kernel: 3, stride: 2, pad: 1 },
    { out: 32, kernel: 3, stride: 2, pad: 1 },
    { out: 32, kernel: 3, stride: 2, pad: 1 },
    { out: 32, kernel: 3, stride: 2, pad: 1 },
  ],
  mlp: [],
};

/** Width of the fully connected hidden layer of the conv trunks. */
export const HIDDEN = 512;
/** Width of both dense layers of the 'mlp' trunk. */
export const MLP_HIDDEN = 256;

/** Width of the layer the heads read. */
function hiddenWidth(spec: ModelSpec): number {
  return spec.network === 'mlp' ? MLP_HIDDEN : HIDDEN;
}

function convLayers(spec: ModelSpec): { layer: ConvLayer; inC: number; outH: number; outW: number }[] {
  let [c, h, w] = spec.obsShape;
  return TRUNKS[spec.network].map((layer, i) => {
    const outH = op.convOutSize(h, layer.kernel, layer.stride, layer.pad, layer.pad);
    const outW = op.convOutSize(w, layer.kernel, layer.stride, layer.pad, layer.pad);
    if (outH < 1 || outW < 1) {
      throw new RangeError(`Expected a larger frame for model.obsShape but received [${spec.obsShape.join(', ')}] (conv${i + 1} of the ${spec.network} trunk has no output)`);
    }
    const r = { layer, inC: c, outH, outW };
    [c, h, w] = [layer.out, outH, outW];
    return r;
  });
}

/** A parameter: name, shape and initialisation. */
export interface ParamSpec {
  /** Name, e.g. `conv1.weight`; graph input and file key. */
  name: string;
  /** Shape. */
  shape: number[];
  /** Orthogonal gain for weights; 0 marks a zero-initialised bias. Unused when `init` is set. */
  gain: number;
  /** Noisy layers: μ ~ U(−bound, bound), or σ = a constant. */
  init?: { kind: 'uniform'; bound: number } | { kind: 'constant'; value: number };
}

/** The names of the head's linear layers: `pi`, `v` / `adv`, `val` / `q`. */
function headLayers(spec: ModelSpec): { name: string; outputs: number; gain: number }[] {
  if (spec.head === 'actor-critic') return [{ name: 'pi', outputs: spec.actions, gain: 0.01 }, { name: 'v', outputs: 1, gain: 1 }];
  if (spec.head === 'dueling') return [{ name: 'adv', outputs: spec.actions, gain: 1 }, { name: 'val', outputs: 1, gain: 1 }];
  return [{ name: 'q', outputs: spec.actions, gain: 1 }];
}

/** The parameters of a model, in a fixed order. */
export function paramSpecs(spec: ModelSpec): ParamSpec[] {
  const out: ParamSpec[] = [];
  const layers = convLayers(spec);
  layers.forEach(({ layer, inC }, i) => {
    out.push({ name: `conv${i + 1}.weight`, shape: [layer.out, inC, layer.kernel, layer.kernel], gain: Math.SQRT2 });
    out.push({ name: `conv${i + 1}.bias`, shape: [layer.out], gain: 0 });
  });
  const last = layers[layers.length - 1];
  const flat = last ? last.layer.out * last.outH * last.outW : spec.obsShape[0] * spec.obsShape[1] * spec.obsShape[2];
  const hidden = hiddenWidth(spec);
  out.push({ name: 'fc.weight', shape: [hidden, flat], gain: Math.SQRT2 }, { name: 'fc.bias', shape: [hidden], gain: 0 });
  if (spec.network === 'mlp') out.push({ name: 'fc2.weight', shape: [hidden, hidden], gain: Math.SQRT2 }, { name: 'fc2.bias', shape: [hidden], gain: 0 });
  for (const { name, outputs: n, gain } of headLayers(spec)) {
    if (spec.noisy) {
      // Fortunato et al. 2018, factorised noise: μ ~ U(±1/√p), σ = σ0/√p, p = the layer's inputs.
      const mu = { kind: 'uniform' as const, bound: 1 / Math.sqrt(hidden) };
      const sigma = { kind: 'constant' as const, value: NOISY_SIGMA0 / Math.sqrt(hidden) };
      out.push(
        { name: `${name}.weight`, shape: [n, hidden], gain: 0, init: mu },
        { name: `${name}.weight_sigma`, shape: [n, hidden], gain: 0, init: sigma },
        { name: `${name}.bias`, shape: [n], gain: 0, init: mu },
        { name: `${name}.bias_sigma`, shape: [n], gain: 0, init: sigma },
      );
    } else {
      out.push({ name: `${name}.weight`, shape: [n, hidden], gain }, { name: `${name}.bias`, shape: [n], gain: 0 });
    }
  }
  return out;
}

/** A noisy model's factorised noise inputs in draw order (`noise.<layer>.in` [p], `.out` [q]); empty otherwise. */
export function noiseSpecs(spec: ModelSpec): NoiseSpec[] {
  if (!spec.noisy) return [];
  return headLayers(spec).flatMap((l) => layerNoiseSpecs(l.name, hiddenWidth(spec), l.outputs));
}

/** Seeded initialisation (orthogonal, noisy layers per `ParamSpec.init`): same spec and seed → same values. */
export function initParams(spec: ModelSpec, seed: number): Map<string, Float32Array> {
  const rng = Rng.fromSeed32(seed);
  const values = new Map<string, Float32Array>();
  for (const p of paramSpecs(spec)) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    let v: Float32Array;
    if (p.init?.kind === 'uniform') {
      const bound = p.init.bound;
      v = Float32Array.from({ length: n }, () => (2 * rng.nextFloat() - 1) * bound);
    } else if (p.init?.kind === 'constant') {
      v = new Float32Array(n).fill(p.init.value);
    } else {
      v = p.gain === 0 ? new Float32Array(n) : orthogonal(rng, p.shape[0]!, n / p.shape[0]!, p.gain);
    }
    values.set(p.name, v);
  }
  return values;
}

/**
 * Declares the model's parameters in `g` (initial values from `values`), by name. `sigmas: false`
 * leaves out a noisy model's `<layer>.*_sigma` (graphs that act with the means μ only).
 */
export function declareParams(g: Graph, spec: ModelSpec, values: ReadonlyMap<string, Float32Array>, prefix = '', options: { sigmas?: boolean } = {}): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const p of paramSpecs(spec)) {
    if (options.sigmas === false && p.name.endsWith('_sigma')) continue;
    const v = values.get(p.name);
    if (!v) throw new Error(`No values for parameter ${p.name}`);
    out[p.name] = g.param(prefix + p.name, p.shape, v);
  }
  return out;
}

/** What a model computes. */
export interface ModelOutputs {
  /** Policy logits [B, actions] (actor-critic). */
  logits?: Tensor;
  /** State value [B] (actor-critic). */
  value?: Tensor;
  /** Action values [B, actions] (dueling / q). */
  q?: Tensor;
}

/**
 * Wires the model on uint8 observations `obs` [B, C, H, W] using parameter tensors `p`. A noisy
 * model uses `noise` (tensors by `noiseSpecs` name, shared by the batch) when given, else its
 * means μ (greedy evaluation, exported policies).
 */
export function applyModel(spec: ModelSpec, p: Readonly<Record<string, Tensor>>, obs: Tensor, noise?: Readonly<Record<string, Tensor>>): ModelOutputs {
  const [c, h, w] = spec.obsShape;
  if (obs.dtype !== 'uint8') throw new TypeError(`model: input obs must be uint8 but is ${obs.dtype}`);
  op.expectShape('model', 'obs', obs, [obs.shape[0]!, c, h, w]);
  // conv(obs/255, W) = conv(obs, W/255): scaling the small weight tensor instead of the frames
  // saves a full pass over the largest tensor of the step.
  let x = op.cast(obs, 'float32');
  convLayers(spec).forEach(({ layer }, i) => {
    const pad = layer.pad;
    const w = i === 0 ? op.mul(p['conv1.weight']!, 1 / 255) : p[`conv${i + 1}.weight`]!;
    x = op.relu(op.conv(x, w, p[`conv${i + 1}.bias`]!, { strides: [layer.stride, layer.stride], pads: [pad, pad, pad, pad] }));
  });
  // The dense trunk reads the bytes directly, so its first weights take the 1/255.
  const fcWeight = spec.network === 'mlp' ? op.mul(p['fc.weight']!, 1 / 255) : p['fc.weight']!;
  let hidden = op.relu(op.gemm(op.flatten(x, 1), fcWeight, p['fc.bias']!, { transB: true }));
  if (spec.network === 'mlp') hidden = op.relu(op.gemm(hidden, p['fc2.weight']!, p['fc2.bias']!, { transB: true }));
  const linear = (name: string): Tensor => {
    if (!spec.noisy || !noise) return op.gemm(hidden, p[`${name}.weight`]!, p[`${name}.bias`]!, { transB: true });
    const layer = { weight: p[`${name}.weight`]!, weightSigma: p[`${name}.weight_sigma`]!, bias: p[`${name}.bias`]!, biasSigma: p[`${name}.bias_sigma`]! };
    const eIn = noise[`noise.${name}.in`];
    const eOut = noise[`noise.${name}.out`];
    if (!eIn || !eOut) throw new Error(`model: no noise tensors noise.${name}.in / noise.${name}.out for noisy layer ${name}`);
    return noisyLinear(hidden, layer, eIn, eOut);
  };
  if (spec.head === 'actor-critic') {
    return { logits: linear('pi'), value: op.reshape(linear('v'), [obs.shape[0]!]) };
  }
  if (spec.head === 'dueling') {
    const adv = linear('adv');
    const val = linear('val');
    return { q: op.add(val, op.sub(adv, op.reduceMean(adv, [1], true))) };
  }
  return { q: linear('q') };
}

/** Multiply–adds of one forward pass per sample (for GFLOP/s reports: FLOPs = 2 × MACs). */
export function forwardMacs(spec: ModelSpec): number {
  let macs = 0;
  for (const { layer, inC, outH, outW } of convLayers(spec)) macs += layer.out * inC * layer.kernel * layer.kernel * outH * outW;
  for (const p of paramSpecs(spec)) if (p.name.endsWith('.weight') && !p.name.startsWith('conv')) macs += p.shape[0]! * p.shape[1]!;
  return macs;
}

/** Total number of parameters. */
export function paramCount(spec: ModelSpec): number {
  return paramSpecs(spec).reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
}
