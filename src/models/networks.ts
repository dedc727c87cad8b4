/**
 * The networks: Nature-CNN (Mnih et al. 2015), the 4×Conv(32, 3×3, stride 2) + 512 network of
 * the common Mario PPO/A3C baseline, a two-layer MLP (RAM), and a small conv net and an MLP for
 * tile grids of class ids, with an actor-critic head, a dueling Q head or a plain Q head
 * (optionally NoisyNet layers, see noisy.ts). Byte observations are normalised (÷255) inside the
 * graph; tile observations are one-hot encoded inside the graph. `NETWORKS` holds one row per
 * network. Parameters are described once (`paramSpecs`), initialised with a seed (`initParams`)
 * and wired into any graph (`applyModel`), so train steps, Loop bodies and policies share one
 * definition.
 */
import * as op from '../graph/ops.js';
import { type Graph, type Tensor } from '../graph/tensor.js';
import { Rng } from '../util/rng.js';
import { expectBoolean, expectInteger, expectOneOf, expectOptions, rejectUnknownKeys } from '../validate.js';
import { orthogonal } from './init.js';
import { NOISY_SIGMA0, type NoiseSpec, layerNoiseSpecs, noisyLinear } from './noisy.js';

/** Trunk (one row of `NETWORKS`). */
export type NetworkKind = 'nature' | 'baseline' | 'mlp' | 'tiles' | 'tiles-mlp';
/** The network names, in the order errors list them. */
export const NETWORK_KINDS: readonly NetworkKind[] = ['nature', 'baseline', 'mlp', 'tiles', 'tiles-mlp'];
/** Output head: policy logits + value, dueling Q, or plain Q. */
export type HeadKind = 'actor-critic' | 'dueling' | 'q';

/** A model: trunk, head, observation shape and action count. */
export interface ModelSpec {
  /**
   * 'nature' (Nature-CNN), 'baseline' (4×Conv32 3×3 s2), 'mlp' (two dense layers of 256, for RAM
   * observations), 'tiles' (one-hot tile grid → 3 convs → 256) or 'tiles-mlp' (one-hot tile grid →
   * two dense layers of 256). See `NETWORKS`.
   */
  network: NetworkKind;
  /** 'actor-critic' (PPO/A2C), 'dueling' or 'q' (DQN). */
  head: HeadKind;
  /**
   * Observation [channels, height, width] (uint8 frames), or for the tile networks [frameStack,
   * rows, cols] (uint8 class ids). Default [4, 84, 84].
   */
  obsShape: readonly [number, number, number];
  /** Number of discrete actions. */
  actions: number;
  /**
   * Tile networks only (and always there): number of tile classes K, 2..32, default 5 (empty,
   * solid, enemy, player, item). Ids 0..K−1 become one-hot planes; other values all-zero planes.
   */
  tileClasses?: number;
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
  rejectUnknownKeys(o, 'model', ['network', 'head', 'obsShape', 'actions', 'tileClasses', 'noisy']);
  const network = expectOneOf(o.network ?? 'nature', 'model.network', NETWORK_KINDS);
  const def = NETWORKS[network];
  const head = expectOneOf(o.head ?? 'actor-critic', 'model.head', ['actor-critic', 'dueling', 'q'] as const);
  const obs = o.obsShape ?? [4, 84, 84];
  if (!Array.isArray(obs) || obs.length !== 3)
    throw new TypeError(`Expected an array [channels, height, width] for model.obsShape but received ${JSON.stringify(obs)}`);
  // A dense trunk takes any shape (RAM is [1, 1, 2048]); pixel conv trunks need a frame; the
  // tiles convs pad, so any grid fits them.
  const minSide = def.convs.length === 0 || def.input === 'tiles' ? 1 : 8;
  const obsShape = [
    expectInteger(obs[0], 'model.obsShape[0]', 1, 64),
    expectInteger(obs[1], 'model.obsShape[1]', minSide, 1024),
    expectInteger(obs[2], 'model.obsShape[2]', minSide, def.convs.length === 0 ? 4096 : 1024),
  ] as const;
  const actions = expectInteger(o.actions, 'model.actions', 1, 4096);
  if (o.tileClasses !== undefined && def.input !== 'tiles') {
    throw new RangeError(`Expected 'tiles' or 'tiles-mlp' for model.network with model.tileClasses but received '${network}'`);
  }
  const tileClasses = def.input === 'tiles' ? expectInteger(o.tileClasses ?? DEFAULT_TILE_CLASSES, 'model.tileClasses', 2, 32) : undefined;
  const noisy = expectBoolean(o.noisy ?? false, 'model.noisy');
  if (noisy && head === 'actor-critic') throw new RangeError("Expected a 'dueling' or 'q' head for model.head with model.noisy but received 'actor-critic'");
  // Optional keys are present only when they apply, so other specs (and checkpoint metadata) are unchanged.
  const spec: ModelSpec = { network, head, obsShape, actions };
  if (tileClasses !== undefined) spec.tileClasses = tileClasses;
  if (noisy) spec.noisy = true;
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

/** One network: how the uint8 input is read, then convs (each + ReLU), then dense layers (each + ReLU). */
interface NetworkDef {
  /**
   * 'bytes': values 0..255 scaled by 1/255 (folded into the first layer's weights); 'tiles': class
   * ids [S, R, C] one-hot encoded into S·K planes [S·K, R, C] (frame s, class k at plane s·K + k).
   */
  input: 'bytes' | 'tiles';
  /** Conv layers, in order (`conv1`, `conv2`, …). */
  convs: ConvLayer[];
  /** Widths of the dense layers after the flatten (`fc`, `fc2`, …); the heads read the last. */
  dense: number[];
}

/** Width of the fully connected hidden layer of the pixel conv trunks. */
export const HIDDEN = 512;
/** Width of both dense layers of the MLP trunks ('mlp', 'tiles-mlp'). */
export const MLP_HIDDEN = 256;
/** Width of the fully connected layer of the 'tiles' trunk. */
export const TILES_HIDDEN = 256;

const conv3 = (out: number, stride: number): ConvLayer => ({ out, kernel: 3, stride, pad: 1 });

/** The networks, one row each. */
const NETWORKS: Record<NetworkKind, NetworkDef> = {
  nature: {
    input: 'bytes',
    convs: [
      { out: 32, kernel: 8, stride: 4, pad: 0 },
      { out: 64, kernel: 4, stride: 2, pad: 0 },
      { out: 64, kernel: 3, stride: 1, pad: 0 },
    ],
    dense: [HIDDEN],
  },
  baseline: { input: 'bytes', convs: [conv3(32, 2), conv3(32, 2), conv3(32, 2), conv3(32, 2)], dense: [HIDDEN] },
  mlp: { input: 'bytes', convs: [], dense: [MLP_HIDDEN, MLP_HIDDEN] },
  // A 13×16 grid is small: one stride-2 layer keeps 7×8 cells of 64 features.
  tiles: { input: 'tiles', convs: [conv3(32, 1), conv3(64, 2), conv3(64, 1)], dense: [TILES_HIDDEN] },
  'tiles-mlp': { input: 'tiles', convs: [], dense: [MLP_HIDDEN, MLP_HIDDEN] },
};

/** Default `tileClasses`: empty, solid, enemy, player, item. */
export const DEFAULT_TILE_CLASSES = 5;

/** Width of the layer the heads read. */
function hiddenWidth(spec: ModelSpec): number {
  const dense = NETWORKS[spec.network].dense;
  return dense[dense.length - 1]!;
}

/** Channels the first layer sees: the frames, or S·K one-hot planes for tiles. */
function inputChannels(spec: ModelSpec): number {
  return NETWORKS[spec.network].input === 'tiles' ? spec.obsShape[0] * spec.tileClasses! : spec.obsShape[0];
}

/** `fc`, `fc2`, `fc3`, … */
const denseName = (i: number): string => (i === 0 ? 'fc' : `fc${i + 1}`);

function convLayers(spec: ModelSpec): { layer: ConvLayer; inC: number; outH: number; outW: number }[] {
  let [c, h, w] = [inputChannels(spec), spec.obsShape[1], spec.obsShape[2]];
  return NETWORKS[spec.network].convs.map((layer, i) => {
    const outH = op.convOutSize(h, layer.kernel, layer.stride, layer.pad, layer.pad);
    const outW = op.convOutSize(w, layer.kernel, layer.stride, layer.pad, layer.pad);
    if (outH < 1 || outW < 1) {
      throw new RangeError(
        `Expected a larger frame for model.obsShape but received [${spec.obsShape.join(', ')}] (conv${i + 1} of the ${spec.network} trunk has no output)`,
      );
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
  if (spec.head === 'actor-critic')
    return [
      { name: 'pi', outputs: spec.actions, gain: 0.01 },
      { name: 'v', outputs: 1, gain: 1 },
    ];
  if (spec.head === 'dueling')
    return [
      { name: 'adv', outputs: spec.actions, gain: 1 },
      { name: 'val', outputs: 1, gain: 1 },
    ];
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
  let width = last ? last.layer.out * last.outH * last.outW : inputChannels(spec) * spec.obsShape[1] * spec.obsShape[2];
  NETWORKS[spec.network].dense.forEach((n, i) => {
    out.push({ name: `${denseName(i)}.weight`, shape: [n, width], gain: Math.SQRT2 }, { name: `${denseName(i)}.bias`, shape: [n], gain: 0 });
    width = n;
  });
  const hidden = hiddenWidth(spec);
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
export function declareParams(
  g: Graph,
  spec: ModelSpec,
  values: ReadonlyMap<string, Float32Array>,
  prefix = '',
  options: { sigmas?: boolean } = {},
): Record<string, Tensor> {
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
 * One-hot planes of tile class ids: uint8 `obs` [B, S, R, C] → float32 [B, S·K, R, C], plane
 * s·K + k = (obs[:, s] == k). Ids outside 0..K−1 match no class: all-zero planes, no error.
 * Equal against a [K, 1, 1] constant of the ids (not OneHot, whose index input must be int64).
 */
export function oneHotTiles(obs: Tensor, classes: number): Tensor {
  const [b, s, r, c] = obs.shape as [number, number, number, number];
  const ids = op.reshape(op.cast(obs, 'float32'), [b, s, 1, r, c]);
  const classIds = obs.graph.constant(
    Float32Array.from({ length: classes }, (_, k) => k),
    'float32',
    [classes, 1, 1],
    'tile_classes',
  );
  return op.reshape(op.cast(op.equal(ids, classIds), 'float32'), [b, s * classes, r, c]);
}

/**
 * Wires the model on uint8 observations `obs` [B, C, H, W] using parameter tensors `p`. A noisy
 * model uses `noise` (tensors by `noiseSpecs` name, shared by the batch) when given, else its
 * means μ (greedy evaluation, exported policies).
 */
export function applyModel(spec: ModelSpec, p: Readonly<Record<string, Tensor>>, obs: Tensor, noise?: Readonly<Record<string, Tensor>>): ModelOutputs {
  const [c, h, w] = spec.obsShape;
  const def = NETWORKS[spec.network];
  if (obs.dtype !== 'uint8') throw new TypeError(`model: input obs must be uint8 but is ${obs.dtype}`);
  op.expectShape('model', 'obs', obs, [obs.shape[0]!, c, h, w]);
  // Bytes: layer(obs/255, W) = layer(obs, W/255): scaling the small weight tensor of the first
  // layer (conv1, or fc for a dense trunk) instead of the frames saves a pass over the largest
  // tensor of the step.
  const tiles = def.input === 'tiles';
  const firstWeight = (name: string): Tensor => (tiles ? p[name]! : op.mul(p[name]!, 1 / 255));
  let x = tiles ? oneHotTiles(obs, spec.tileClasses!) : op.cast(obs, 'float32');
  convLayers(spec).forEach(({ layer }, i) => {
    const pad = layer.pad;
    const w = i === 0 ? firstWeight('conv1.weight') : p[`conv${i + 1}.weight`]!;
    x = op.relu(op.conv(x, w, p[`conv${i + 1}.bias`]!, { strides: [layer.stride, layer.stride], pads: [pad, pad, pad, pad] }));
  });
  let hidden = op.flatten(x, 1);
  def.dense.forEach((_, i) => {
    const name = denseName(i);
    const weight = i === 0 && def.convs.length === 0 ? firstWeight(`${name}.weight`) : p[`${name}.weight`]!;
    hidden = op.relu(op.gemm(hidden, weight, p[`${name}.bias`]!, { transB: true }));
  });
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
