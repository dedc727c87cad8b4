/**
 * Reverse-mode autodiff over builder graphs. `gradients(loss, wrt)` appends the gradient
 * subgraph (standard ONNX ops only) to the loss's graph and returns d loss / d wrt. One rule per
 * op lives in RULES; a node without a rule on a differentiated path is an error naming the op.
 * Integer and bool values stop gradients (ArgMax, comparisons, OneHot indices).
 */
import * as op from './ops.js';
import { type Node, type Tensor, fmtShape, isFloat } from './tensor.js';

/** A gradient rule: given the node and d loss / d output, returns d loss / d input per input. */
export type GradRule = (node: Node, grad: Tensor, needs: readonly boolean[], options: GradientOptions) => (Tensor | undefined)[];

/** Options of `gradients`: how some rules are written (same values, different kernels). */
export interface GradientOptions {
  /**
   * The Conv weight gradient as
   * - 'conv' (default): one Conv with the batch as channels and the stride as a dilation. Fast on
   *   ORT's CPU provider, but cuDNN handles its huge dilated filters slowly.
   * - 'gemm': strided slices of the padded input (im2col) and one Gemm. More memory traffic on
   *   the CPU, and much faster on the CUDA provider (the Learner picks it there).
   */
  convWeightGrad?: 'conv' | 'gemm';
}

/** Sums `g` down to `shape` (undoes numpy broadcasting). */
export function unbroadcast(g: Tensor, shape: readonly number[]): Tensor {
  if (g.rank === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const s = axes.length ? op.reduceSum(g, axes, true) : g;
  return op.reshape(s, shape);
}

function intsAttr(node: Node, name: string, dflt: number[]): number[] {
  const a = node.attrs[name];
  return a && 'ints' in a ? [...a.ints] : dflt;
}
function intAttr(node: Node, name: string, dflt: number): number {
  const a = node.attrs[name];
  return a && 'i' in a ? a.i : dflt;
}
function floatAttr(node: Node, name: string, dflt: number): number {
  const a = node.attrs[name];
  return a && 'f' in a ? a.f : dflt;
}

const inp = (n: Node, i: number): Tensor => n.inputs[i]!;
const out = (n: Node): Tensor => n.outputs[0]!;

/** Broadcasts a reduced gradient back over the reduced axes of `x`. */
function unreduce(g: Tensor, x: Tensor, axes: readonly number[]): Tensor {
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return op.expand(op.reshape(g, kept), x.shape);
}

function reduceAxes(node: Node, x: Tensor): number[] {
  if (node.op === 'ReduceSum') {
    const axesT = inp(node, 1);
    return Array.from(axesT.data as BigInt64Array, (v) => Number(v));
  }
  return intsAttr(
    node,
    'axes',
    x.shape.map((_, i) => i),
  );
}

/**
 * dW[o, c, kh, kw] = Σ_{n, p} g[n, o, p] · x_pad[n, c, kh + sh·ph, kw + sw·pw] as one Gemm over
 * (n, p): the KH·KW strided slices of the padded input, stacked as [C·KH·KW, N·OH·OW].
 */
function convWeightGradGemm(x: Tensor, g: Tensor, kh: number, kw: number, strides: readonly [number, number], pads: readonly number[]): Tensor {
  const [N, C] = x.shape as [number, number, number, number];
  const [, O, OH, OW] = g.shape as [number, number, number, number];
  const [sh, sw] = strides;
  const xp = pads.some((p) => p !== 0) ? op.pad(x, [0, 0, pads[0]!, pads[1]!, 0, 0, pads[2]!, pads[3]!]) : x;
  const taps: Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const tap = op.slice(xp, [i, j], [i + sh * (OH - 1) + 1, j + sw * (OW - 1) + 1], [2, 3], [sh, sw]);
      taps.push(op.reshape(tap, [N, C, 1, OH * OW]));
    }
  }
  const cols = taps.length === 1 ? taps[0]! : op.concat(taps, 2); // [N, C, KH·KW, P]
  const colsT = op.reshape(op.transpose(cols, [1, 2, 0, 3]), [C * kh * kw, N * OH * OW]);
  const gT = op.reshape(op.transpose(g, [1, 0, 2, 3]), [O, N * OH * OW]);
  return op.reshape(op.gemm(gT, colsT, undefined, { transB: true }), [O, C, kh, kw]);
}

function convGrad(node: Node, g: Tensor, needs: readonly boolean[], options: GradientOptions): (Tensor | undefined)[] {
  const x = inp(node, 0);
  const w = inp(node, 1);
  const [sh, sw] = intsAttr(node, 'strides', [1, 1]) as [number, number];
  const pads = intsAttr(node, 'pads', [0, 0, 0, 0]) as [number, number, number, number];
  const dil = intsAttr(node, 'dilations', [1, 1]);
  if (dil.some((d) => d !== 1)) throw new Error('Autodiff: the Conv rule supports dilation 1 only');
  const [, , H, W] = x.shape as [number, number, number, number];
  const [, , KH, KW] = w.shape as [number, number, number, number];
  const [, , OH, OW] = g.shape as [number, number, number, number];
  let dx: Tensor | undefined;
  let dw: Tensor | undefined;
  let db: Tensor | undefined;
  if (needs[0]) {
    const baseH = sh * (OH - 1) + KH - pads[0] - pads[2];
    const baseW = sw * (OW - 1) + KW - pads[1] - pads[3];
    dx = op.convTranspose(g, w, { strides: [sh, sw], pads, outputPadding: [H - baseH, W - baseW] });
  }
  if (needs[1] && options.convWeightGrad === 'gemm') {
    dw = convWeightGradGemm(x, g, KH, KW, [sh, sw], pads);
  } else if (needs[1]) {
    // Weight gradient as a convolution with the batch as channels: correlate each input channel
    // with each output-gradient channel, the stride becoming a dilation.
    const xt = op.transpose(x, [1, 0, 2, 3]);
    const gt = op.transpose(g, [1, 0, 2, 3]);
    let r = op.conv(xt, gt, undefined, { strides: [1, 1], pads, dilations: [sh, sw] });
    if (r.shape[2] !== KH || r.shape[3] !== KW) r = op.slice(r, [0, 0], [KH, KW], [2, 3]);
    dw = op.transpose(r, [1, 0, 2, 3]);
  }
  if (needs[2]) db = op.reduceSum(g, [0, 2, 3]);
  return [dx, dw, db];
}

function gemmGrad(node: Node, g: Tensor, needs: readonly boolean[]): (Tensor | undefined)[] {
  const a = inp(node, 0);
  const b = inp(node, 1);
  const c = node.inputs[2];
  const ta = intAttr(node, 'transA', 0) === 1;
  const tb = intAttr(node, 'transB', 0) === 1;
  const alpha = floatAttr(node, 'alpha', 1);
  const beta = floatAttr(node, 'beta', 1);
  const o = alpha === 1 ? {} : { alpha };
  const da = !needs[0] ? undefined : ta ? op.gemm(b, g, undefined, { ...o, transA: tb, transB: true }) : op.gemm(g, b, undefined, { ...o, transB: !tb });
  const db = !needs[1] ? undefined : tb ? op.gemm(g, a, undefined, { ...o, transA: true, transB: ta }) : op.gemm(a, g, undefined, { ...o, transA: !ta });
  let dc: Tensor | undefined;
  if (c && needs[2]) {
    dc = unbroadcast(g, c.shape);
    if (beta !== 1) dc = op.mul(dc, beta);
  }
  return [da, db, dc];
}

/** The gradient rules, by ONNX op type. */
export const RULES: Readonly<Record<string, GradRule>> = {
  Add: (n, g) => [unbroadcast(g, inp(n, 0).shape), unbroadcast(g, inp(n, 1).shape)],
  Sub: (n, g, needs) => [unbroadcast(g, inp(n, 0).shape), needs[1] ? unbroadcast(op.neg(g), inp(n, 1).shape) : undefined],
  Mul: (n, g, needs) => [
    needs[0] ? unbroadcast(op.mul(g, inp(n, 1)), inp(n, 0).shape) : undefined,
    needs[1] ? unbroadcast(op.mul(g, inp(n, 0)), inp(n, 1).shape) : undefined,
  ],
  Div: (n, g, needs) => [
    needs[0] ? unbroadcast(op.div(g, inp(n, 1)), inp(n, 0).shape) : undefined,
    needs[1] ? unbroadcast(op.neg(op.div(op.mul(g, out(n)), inp(n, 1))), inp(n, 1).shape) : undefined,
  ],
  // y ≥ 0, so sign(y) is the 0/1 mask; two same-shape ops are much faster in ORT than a
  // broadcasting Where.
  Relu: (n, g) => [op.mul(g, op.sign(out(n)))],
  Elu: (n, g) => [op.where(op.greater(inp(n, 0), 0), g, op.mul(g, op.add(out(n), floatAttr(n, 'alpha', 1))))],
  Tanh: (n, g) => [op.mul(g, op.sub(1, op.square(out(n))))],
  Sigmoid: (n, g) => [op.mul(g, op.mul(out(n), op.sub(1, out(n))))],
  Exp: (n, g) => [op.mul(g, out(n))],
  Log: (n, g) => [op.div(g, inp(n, 0))],
  Sqrt: (n, g) => [op.div(g, op.mul(out(n), 2))],
  Neg: (_n, g) => [op.neg(g)],
  Abs: (n, g) => [op.mul(g, op.sign(inp(n, 0)))],
  Identity: (_n, g) => [g],
  Softmax: (n, g) => {
    const y = out(n);
    const axis = intAttr(n, 'axis', -1);
    return [op.mul(y, op.sub(g, op.reduceSum(op.mul(g, y), [axis], true)))];
  },
  LogSoftmax: (n, g) => {
    const axis = intAttr(n, 'axis', -1);
    return [op.sub(g, op.mul(op.exp(out(n)), op.reduceSum(g, [axis], true)))];
  },
  MatMul: (n, g, needs) => [
    needs[0] ? op.gemm(g, inp(n, 1), undefined, { transB: true }) : undefined,
    needs[1] ? op.gemm(inp(n, 0), g, undefined, { transA: true }) : undefined,
  ],
  Gemm: gemmGrad,
  Conv: convGrad,
  Gather: (n, g, needs) => {
    if (needs[1]) throw new Error('Autodiff: Gather indices are not differentiable');
    const data = inp(n, 0);
    const idx = inp(n, 1);
    if (intAttr(n, 'axis', 0) !== 0) throw new Error('Autodiff: the Gather rule supports axis 0 only');
    const rows = idx.size;
    const rest = data.size / data.shape[0]!;
    // Scatter-add as a matrix product with the one-hot selection matrix.
    const sel = op.oneHot(op.reshape(idx, [rows]), data.shape[0]!, g.dtype);
    const flat = op.gemm(sel, op.reshape(g, [rows, rest]), undefined, { transA: true });
    return [op.reshape(flat, data.shape), undefined];
  },
  ReduceSum: (n, g) => [unreduce(g, inp(n, 0), reduceAxes(n, inp(n, 0)))],
  ReduceMean: (n, g) => {
    const x = inp(n, 0);
    const axes = reduceAxes(n, x);
    const count = axes.reduce((p, a) => p * x.shape[a]!, 1);
    return [unreduce(op.div(g, count), x, axes)];
  },
  ReduceMax: (n, g) => {
    const x = inp(n, 0);
    const axes = reduceAxes(n, x);
    const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const mask = op.cast(op.equal(x, op.reshape(out(n), kept)), x.dtype);
    return [op.mul(unreduce(g, x, axes), mask)];
  },
  Min: (n, g) => {
    const [a, b] = [inp(n, 0), inp(n, 1)];
    const bSmaller = op.greater(a, b);
    return [unbroadcast(op.where(bSmaller, 0, g), a.shape), unbroadcast(op.where(bSmaller, g, 0), b.shape)];
  },
  Max: (n, g) => {
    const [a, b] = [inp(n, 0), inp(n, 1)];
    const bLarger = op.less(a, b);
    return [unbroadcast(op.where(bLarger, 0, g), a.shape), unbroadcast(op.where(bLarger, g, 0), b.shape)];
  },
  Clip: (n, g, needs) => {
    if (needs[1] || needs[2]) throw new Error('Autodiff: Clip bounds are not differentiable');
    const x = inp(n, 0);
    const outside = op.or(op.less(x, inp(n, 1)), op.greater(x, inp(n, 2)));
    return [op.where(outside, 0, g), undefined, undefined];
  },
  Where: (n, g) => {
    const c = inp(n, 0);
    return [undefined, unbroadcast(op.where(c, g, 0), inp(n, 1).shape), unbroadcast(op.where(c, 0, g), inp(n, 2).shape)];
  },
  Reshape: (n, g) => [op.reshape(g, inp(n, 0).shape), undefined],
  Flatten: (n, g) => [op.reshape(g, inp(n, 0).shape)],
  Expand: (n, g) => [unbroadcast(g, inp(n, 0).shape), undefined],
  Transpose: (n, g) => {
    const perm = intsAttr(n, 'perm', []);
    const inv = perm.map((_, i) => perm.indexOf(i));
    return [op.transpose(g, inv)];
  },
  Concat: (n, g) => {
    const axis = intAttr(n, 'axis', 0);
    let off = 0;
    return n.inputs.map((x) => {
      const len = x!.shape[axis]!;
      const s = op.slice(g, [off], [off + len], [axis]);
      off += len;
      return s;
    });
  },
  Slice: (n, g) => {
    const x = inp(n, 0);
    const steps = n.inputs[4] ? Array.from(inp(n, 4).data as BigInt64Array, Number) : [];
    if (steps.some((t) => t !== 1)) throw new Error('Autodiff: the Slice rule supports step 1 only');
    const starts = Array.from(inp(n, 1).data as BigInt64Array, Number);
    const axes = Array.from(inp(n, 3).data as BigInt64Array, Number);
    const pads = new Array<number>(2 * x.rank).fill(0);
    axes.forEach((a, i) => {
      pads[a] = starts[i]!;
      pads[a + x.rank] = x.shape[a]! - starts[i]! - g.shape[a]!;
    });
    return [op.pad(g, pads), undefined, undefined, undefined];
  },
  Cast: (n, g) => {
    const x = inp(n, 0);
    if (!isFloat(x.dtype)) return [undefined];
    return [x.dtype === g.dtype ? g : op.cast(g, x.dtype)];
  },
};

/** Names of ops with a gradient rule. */
export const DIFFERENTIABLE_OPS: readonly string[] = Object.keys(RULES);

/**
 * Returns d loss / d t for each t in `wrt` (same shapes), appending the gradient subgraph to the
 * graph of `loss`. `loss` must be a float scalar. Tensors in `wrt` that do not affect the loss get
 * zeros.
 */
export function gradients(loss: Tensor, wrt: readonly Tensor[], options: GradientOptions = {}): Tensor[] {
  if (options.convWeightGrad !== undefined && options.convWeightGrad !== 'conv' && options.convWeightGrad !== 'gemm') {
    throw new RangeError(`Expected 'conv' or 'gemm' for convWeightGrad but received ${JSON.stringify(options.convWeightGrad)}`);
  }
  if (!isFloat(loss.dtype) || loss.size !== 1) {
    throw new RangeError(`gradients: the loss must be a float scalar but ${loss.name} is ${loss.dtype} ${fmtShape(loss.shape)}`);
  }
  const targets = new Set(wrt);
  // Which tensors depend on a wrt tensor (memoised DFS from the loss); collect nodes post-order.
  const depends = new Map<Tensor, boolean>();
  const order: Node[] = [];
  const seen = new Set<Node>();
  const stack: { t: Tensor; expanded: boolean }[] = [{ t: loss, expanded: false }];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const t = top.t;
    if (depends.has(t)) {
      stack.pop();
      continue;
    }
    if (targets.has(t) || t.kind !== 'node') {
      depends.set(t, targets.has(t));
      stack.pop();
      continue;
    }
    const node = t.producer!;
    if (!top.expanded) {
      top.expanded = true;
      for (const i of node.inputs) if (i && !depends.has(i)) stack.push({ t: i, expanded: false });
      continue;
    }
    stack.pop();
    const d = isFloat(t.dtype) && node.inputs.some((i) => i !== undefined && depends.get(i) === true);
    for (const o of node.outputs) depends.set(o, d);
    if (d && !seen.has(node)) {
      seen.add(node);
      order.push(node);
    }
  }
  const grads = new Map<Tensor, Tensor[]>();
  const gradOf = (t: Tensor): Tensor | undefined => {
    const list = grads.get(t);
    if (!list || list.length === 0) return undefined;
    const s = op.sum(list);
    grads.set(t, [s]);
    return s;
  };
  grads.set(loss, [op.expand(loss.graph.scalar(1, loss.dtype), loss.shape)]);
  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k]!;
    if (node.outputs.length !== 1) throw new Error(`Autodiff: op ${node.op} with several outputs is not differentiable`);
    const g = gradOf(node.outputs[0]!);
    if (!g) continue;
    const rule = RULES[node.op];
    if (!rule) {
      throw new Error(
        `Autodiff: op ${node.op} (output ${node.outputs[0]!.name}) has no gradient rule but lies on a differentiated path; differentiable ops are ${DIFFERENTIABLE_OPS.join(', ')}`,
      );
    }
    const needs = node.inputs.map((i) => i !== undefined && depends.get(i) === true);
    const dins = rule(node, g, needs, options);
    node.inputs.forEach((i, j) => {
      if (!i || !needs[j]) return;
      const d = dins[j];
      if (!d) throw new Error(`Autodiff: the ${node.op} rule gives no gradient for input ${j} (${i.name})`);
      const list = grads.get(i) ?? [];
      list.push(d);
      grads.set(i, list);
    });
  }
  return wrt.map((t) => gradOf(t) ?? op.expand(loss.graph.scalar(0, t.dtype), t.shape));
}
