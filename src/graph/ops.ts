/**
 * ONNX ops (opset 17) with build-time shape and dtype checks. Each function adds one node (or a
 * few) to the graph of its first tensor argument and returns the output tensor(s). Shape errors
 * name the op, the input and both shapes.
 */
import { type Attr, type DType, type Graph, type Tensor, fmtShape, isFloat, sizeOf } from './tensor.js';

/** A tensor, or a number turned into a scalar constant of the other operand's dtype. */
export type TensorLike = Tensor | number;

function graphOf(...ts: TensorLike[]): Graph {
  let g: Graph | undefined;
  for (const t of ts) {
    if (typeof t === 'number') continue;
    if (!g || t.graph.canSee(g)) g = t.graph; // deepest graph wins
  }
  if (!g) throw new Error('An op needs at least one tensor input');
  return g;
}

function lift(g: Graph, x: TensorLike, dtype: DType): Tensor {
  return typeof x === 'number' ? g.scalar(x, dtype) : x;
}

function one(g: Graph, op: string, inputs: (Tensor | undefined)[], dtype: DType, shape: readonly number[], attrs: Record<string, Attr> = {}): Tensor {
  return g.addNode(op, inputs, [{ dtype, shape }], attrs)[0]!;
}

function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= Math.max(rank, 1)) {
    throw new RangeError(`${op}: axis ${axis} is out of range for rank ${rank}`);
  }
  return a;
}

function expectDType(op: string, what: string, t: Tensor, allowed: readonly DType[]): void {
  if (!allowed.includes(t.dtype)) {
    throw new TypeError(`${op}: input ${what} must be ${allowed.join(' or ')} but is ${t.dtype} (${t.name})`);
  }
}

function sameDType(op: string, a: Tensor, b: Tensor, an = 'A', bn = 'B'): void {
  if (a.dtype !== b.dtype) throw new TypeError(`${op}: input ${bn} has dtype ${b.dtype} but input ${an} has dtype ${a.dtype}`);
}

/** Numpy-style broadcast of two shapes; throws naming the op and both shapes. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[], an = 'A', bn = 'B'): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(`${op}: input ${bn} shape ${fmtShape(b)} does not broadcast with input ${an} shape ${fmtShape(a)}`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

function binary(op: string, a: TensorLike, b: TensorLike, outDType?: DType): Tensor {
  const g = graphOf(a, b);
  const dt = typeof a === 'number' ? (b as Tensor).dtype : a.dtype;
  const ta = lift(g, a, dt);
  const tb = lift(g, b, dt);
  sameDType(op, ta, tb);
  return one(g, op, [ta, tb], outDType ?? dt, broadcastShapes(op, ta.shape, tb.shape));
}

/** Elementwise a + b (broadcasting). */
export const add = (a: TensorLike, b: TensorLike): Tensor => binary('Add', a, b);
/** Elementwise a - b (broadcasting). */
export const sub = (a: TensorLike, b: TensorLike): Tensor => binary('Sub', a, b);
/** Elementwise a * b (broadcasting). */
export const mul = (a: TensorLike, b: TensorLike): Tensor => binary('Mul', a, b);
/** Elementwise a / b (broadcasting). */
export const div = (a: TensorLike, b: TensorLike): Tensor => binary('Div', a, b);
/** Elementwise a ** b (broadcasting; forward only). */
export const pow = (a: TensorLike, b: TensorLike): Tensor => binary('Pow', a, b);
/** Elementwise minimum of two tensors (broadcasting). */
export const min = (a: TensorLike, b: TensorLike): Tensor => binary('Min', a, b);
/** Elementwise maximum of two tensors (broadcasting). */
export const max = (a: TensorLike, b: TensorLike): Tensor => binary('Max', a, b);
/** Elementwise a == b → bool. */
export const equal = (a: TensorLike, b: TensorLike): Tensor => binary('Equal', a, b, 'bool');
/** Elementwise a < b → bool. */
export const less = (a: TensorLike, b: TensorLike): Tensor => binary('Less', a, b, 'bool');
/** Elementwise a > b → bool. */
export const greater = (a: TensorLike, b: TensorLike): Tensor => binary('Greater', a, b, 'bool');
/** Elementwise logical or of bools. */
export const or = (a: Tensor, b: Tensor): Tensor => binary('Or', a, b, 'bool');

function unary(op: string, x: Tensor, attrs: Record<string, Attr> = {}, floatOnly = true): Tensor {
  if (floatOnly) expectDType(op, 'X', x, ['float32', 'float64']);
  return one(x.graph, op, [x], x.dtype, x.shape, attrs);
}

/** max(x, 0). */
export const relu = (x: Tensor): Tensor => unary('Relu', x);
/** x if x > 0 else alpha * (exp(x) - 1). */
export const elu = (x: Tensor, alpha = 1): Tensor => unary('Elu', x, { alpha: { f: alpha } });
/** Hyperbolic tangent. */
export const tanh = (x: Tensor): Tensor => unary('Tanh', x);
/** Logistic sigmoid. */
export const sigmoid = (x: Tensor): Tensor => unary('Sigmoid', x);
/** e^x. */
export const exp = (x: Tensor): Tensor => unary('Exp', x);
/** Natural logarithm. */
export const log = (x: Tensor): Tensor => unary('Log', x);
/** Square root. */
export const sqrt = (x: Tensor): Tensor => unary('Sqrt', x);
/** -x. */
export const neg = (x: Tensor): Tensor => unary('Neg', x);
/** |x|. */
export const abs = (x: Tensor): Tensor => unary('Abs', x);
/** Sign of x (-1, 0, 1). */
export const sign = (x: Tensor): Tensor => unary('Sign', x);
/** Identity (copy). */
export const identity = (x: Tensor): Tensor => unary('Identity', x, {}, false);
/** Logical not of a bool tensor. */
export function not(x: Tensor): Tensor {
  expectDType('Not', 'X', x, ['bool']);
  return one(x.graph, 'Not', [x], 'bool', x.shape);
}

/** Softmax along `axis` (default last). */
export function softmax(x: Tensor, axis = -1): Tensor {
  return unary('Softmax', x, { axis: { i: normAxis('Softmax', axis, x.rank) } });
}

/** Log-softmax along `axis` (default last). */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return unary('LogSoftmax', x, { axis: { i: normAxis('LogSoftmax', axis, x.rank) } });
}

/** Cast to another dtype. */
export function cast(x: Tensor, to: DType): Tensor {
  const codes: Record<DType, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9, float64: 11 };
  return one(x.graph, 'Cast', [x], to, x.shape, { to: { i: codes[to] } });
}

/** 2-D matrix product a[M,K] @ b[K,N]. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  sameDType('MatMul', a, b);
  if (a.rank !== 2 || b.rank !== 2)
    throw new RangeError(`MatMul: inputs must be 2-D but A has shape ${fmtShape(a.shape)} and B has shape ${fmtShape(b.shape)}`);
  if (a.shape[1] !== b.shape[0])
    throw new RangeError(`MatMul: input B shape ${fmtShape(b.shape)} does not match input A shape ${fmtShape(a.shape)} (inner dimensions differ)`);
  return one(graphOf(a, b), 'MatMul', [a, b], a.dtype, [a.shape[0]!, b.shape[1]!]);
}

/** Options of `gemm`. */
export interface GemmOptions {
  /** Use A transposed. */
  transA?: boolean;
  /** Use B transposed (weights stored [out, in]). */
  transB?: boolean;
  /** Scale of A·B. */
  alpha?: number;
  /** Scale of C. */
  beta?: number;
}

/** alpha * op(A) @ op(B) + beta * C, C broadcast to [M, N]. */
export function gemm(a: Tensor, b: Tensor, c?: Tensor, options: GemmOptions = {}): Tensor {
  sameDType('Gemm', a, b);
  if (a.rank !== 2 || b.rank !== 2)
    throw new RangeError(`Gemm: inputs A and B must be 2-D but A has shape ${fmtShape(a.shape)} and B has shape ${fmtShape(b.shape)}`);
  const [m, ka] = options.transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [kb, n] = options.transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (ka !== kb) {
    throw new RangeError(
      `Gemm: input B shape ${fmtShape(b.shape)}${options.transB ? ' (transposed)' : ''} does not match input A shape ${fmtShape(a.shape)}${options.transA ? ' (transposed)' : ''} (inner dimensions ${ka} and ${kb})`,
    );
  }
  if (c) {
    sameDType('Gemm', a, c, 'A', 'C');
    const bs = broadcastShapes('Gemm', [m, n], c.shape, 'A·B', 'C');
    if (bs[0] !== m || bs[1] !== n || c.rank > 2)
      throw new RangeError(`Gemm: input C shape ${fmtShape(c.shape)} does not broadcast to the product shape ${fmtShape([m, n])}`);
  }
  const attrs: Record<string, Attr> = {};
  if (options.transA) attrs.transA = { i: 1 };
  if (options.transB) attrs.transB = { i: 1 };
  if (options.alpha !== undefined && options.alpha !== 1) attrs.alpha = { f: options.alpha };
  if (options.beta !== undefined && options.beta !== 1) attrs.beta = { f: options.beta };
  return one(graphOf(a, b), 'Gemm', c ? [a, b, c] : [a, b], a.dtype, [m, n], attrs);
}

/** Options of `conv`. */
export interface ConvOptions {
  /** Stride per spatial axis (default 1). */
  strides?: readonly [number, number];
  /** Padding [top, left, bottom, right] (default 0). */
  pads?: readonly [number, number, number, number];
  /** Dilation per spatial axis (default 1). */
  dilations?: readonly [number, number];
}

/** Output size of a convolution along one axis. */
export function convOutSize(size: number, kernel: number, stride: number, padBegin: number, padEnd: number, dilation = 1): number {
  return Math.floor((size + padBegin + padEnd - dilation * (kernel - 1) - 1) / stride) + 1;
}

/** 2-D convolution: x [N,C,H,W], w [O,C,KH,KW], optional bias [O]. */
export function conv(x: Tensor, w: Tensor, b?: Tensor, options: ConvOptions = {}): Tensor {
  sameDType('Conv', x, w, 'X', 'W');
  if (x.rank !== 4) throw new RangeError(`Conv: input X must be 4-D [N, C, H, W] but has shape ${fmtShape(x.shape)}`);
  if (w.rank !== 4) throw new RangeError(`Conv: input W must be 4-D [O, C, KH, KW] but has shape ${fmtShape(w.shape)}`);
  if (w.shape[1] !== x.shape[1])
    throw new RangeError(
      `Conv: input W shape ${fmtShape(w.shape)} does not match input X shape ${fmtShape(x.shape)} (channels ${w.shape[1]} vs ${x.shape[1]})`,
    );
  if (b && (b.rank !== 1 || b.shape[0] !== w.shape[0]))
    throw new RangeError(`Conv: input B shape ${fmtShape(b.shape)} does not match input W shape ${fmtShape(w.shape)} (expected [${w.shape[0]}])`);
  const s = options.strides ?? [1, 1];
  const p = options.pads ?? [0, 0, 0, 0];
  const d = options.dilations ?? [1, 1];
  const oh = convOutSize(x.shape[2]!, w.shape[2]!, s[0], p[0], p[2], d[0]);
  const ow = convOutSize(x.shape[3]!, w.shape[3]!, s[1], p[1], p[3], d[1]);
  if (oh < 1 || ow < 1)
    throw new RangeError(`Conv: input W shape ${fmtShape(w.shape)} is larger than input X shape ${fmtShape(x.shape)} allows with these pads`);
  return one(graphOf(x, w), 'Conv', b ? [x, w, b] : [x, w], x.dtype, [x.shape[0]!, w.shape[0]!, oh, ow], {
    kernel_shape: { ints: [w.shape[2]!, w.shape[3]!] },
    strides: { ints: [...s] },
    pads: { ints: [...p] },
    dilations: { ints: [...d] },
  });
}

/** Options of `convTranspose`. */
export interface ConvTransposeOptions extends ConvOptions {
  /** Extra rows/cols at the end of the output. */
  outputPadding?: readonly [number, number];
}

/** 2-D transposed convolution: x [N,Ci,H,W], w [Ci,Co,KH,KW] (forward only). */
export function convTranspose(x: Tensor, w: Tensor, options: ConvTransposeOptions = {}): Tensor {
  sameDType('ConvTranspose', x, w, 'X', 'W');
  if (x.rank !== 4 || w.rank !== 4 || w.shape[0] !== x.shape[1]) {
    throw new RangeError(`ConvTranspose: input W shape ${fmtShape(w.shape)} does not match input X shape ${fmtShape(x.shape)}`);
  }
  const s = options.strides ?? [1, 1];
  const p = options.pads ?? [0, 0, 0, 0];
  const d = options.dilations ?? [1, 1];
  const op = options.outputPadding ?? [0, 0];
  const oh = s[0] * (x.shape[2]! - 1) + op[0] + (w.shape[2]! - 1) * d[0] + 1 - p[0] - p[2];
  const ow = s[1] * (x.shape[3]! - 1) + op[1] + (w.shape[3]! - 1) * d[1] + 1 - p[1] - p[3];
  return one(graphOf(x, w), 'ConvTranspose', [x, w], x.dtype, [x.shape[0]!, w.shape[1]!, oh, ow], {
    kernel_shape: { ints: [w.shape[2]!, w.shape[3]!] },
    strides: { ints: [...s] },
    pads: { ints: [...p] },
    dilations: { ints: [...d] },
    output_padding: { ints: [...op] },
  });
}

/** Reshape to a static shape (one -1 allowed). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const known = shape.filter((d) => d !== -1);
  const neg = shape.length - known.length;
  const out = [...shape];
  if (neg > 1) throw new RangeError(`Reshape: at most one -1 allowed in target shape ${fmtShape(shape)}`);
  if (neg === 1) {
    const rest = sizeOf(known);
    if (rest === 0 || x.size % rest !== 0) throw new RangeError(`Reshape: target shape ${fmtShape(shape)} does not fit input shape ${fmtShape(x.shape)}`);
    out[shape.indexOf(-1)] = x.size / rest;
  }
  if (sizeOf(out) !== x.size) throw new RangeError(`Reshape: target shape ${fmtShape(shape)} does not fit input shape ${fmtShape(x.shape)}`);
  return one(x.graph, 'Reshape', [x, x.graph.ints(out)], x.dtype, out);
}

/** Flatten to 2-D [prod(shape[:axis]), prod(shape[axis:])]. */
export function flatten(x: Tensor, axis = 1): Tensor {
  const a = axis < 0 ? axis + x.rank : axis;
  if (a < 0 || a > x.rank) throw new RangeError(`Flatten: axis ${axis} is out of range for rank ${x.rank}`);
  return one(x.graph, 'Flatten', [x], x.dtype, [sizeOf(x.shape.slice(0, a)), sizeOf(x.shape.slice(a))], { axis: { i: a } });
}

/** Permute axes. */
export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.length !== x.rank || [...perm].sort((p, q) => p - q).some((p, i) => p !== i)) {
    throw new RangeError(`Transpose: perm ${fmtShape(perm)} is not a permutation of the axes of input shape ${fmtShape(x.shape)}`);
  }
  return one(
    x.graph,
    'Transpose',
    [x],
    x.dtype,
    perm.map((p) => x.shape[p]!),
    { perm: { ints: [...perm] } },
  );
}

/** Concatenate along `axis`. */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new RangeError('Concat: needs at least one input');
  const first = xs[0]!;
  const a = normAxis('Concat', axis, first.rank);
  let total = 0;
  for (const [i, x] of xs.entries()) {
    sameDType('Concat', first, x, 'inputs[0]', `inputs[${i}]`);
    if (x.rank !== first.rank || x.shape.some((d, j) => j !== a && d !== first.shape[j])) {
      throw new RangeError(`Concat: input ${i} shape ${fmtShape(x.shape)} does not match input 0 shape ${fmtShape(first.shape)} outside axis ${a}`);
    }
    total += x.shape[a]!;
  }
  const shape = [...first.shape];
  shape[a] = total;
  return one(graphOf(...xs), 'Concat', [...xs], first.dtype, shape, { axis: { i: a } });
}

/**
 * Slice [starts, ends) along `axes`, with positive `steps` (default 1): along axis a the output
 * holds elements starts[i], starts[i] + steps[i], … below ends[i].
 */
export function slice(x: Tensor, starts: readonly number[], ends: readonly number[], axes: readonly number[], steps?: readonly number[]): Tensor {
  const shape = [...x.shape];
  const norm = axes.map((ax) => normAxis('Slice', ax, x.rank));
  if (steps && (steps.length !== axes.length || steps.some((t) => !Number.isInteger(t) || t < 1))) {
    throw new RangeError(`Slice: steps ${fmtShape(steps)} must be ${axes.length} positive integers`);
  }
  norm.forEach((ax, i) => {
    const s = starts[i]!;
    const e = Math.min(ends[i]!, x.shape[ax]!);
    if (s < 0 || e <= s) throw new RangeError(`Slice: range [${s}, ${ends[i]}) is empty or negative on axis ${ax} of input shape ${fmtShape(x.shape)}`);
    shape[ax] = Math.ceil((e - s) / (steps?.[i] ?? 1));
  });
  const g = x.graph;
  const inputs = [x, g.ints(starts), g.ints(ends), g.ints(norm)];
  if (steps && steps.some((t) => t !== 1)) inputs.push(g.ints(steps));
  return one(g, 'Slice', inputs, x.dtype, shape);
}

/** Zero-pad (constant mode): pads = [begin0, begin1, …, end0, end1, …]. */
export function pad(x: Tensor, pads: readonly number[]): Tensor {
  if (pads.length !== 2 * x.rank) throw new RangeError(`Pad: pads ${fmtShape(pads)} needs ${2 * x.rank} entries for input shape ${fmtShape(x.shape)}`);
  const shape = x.shape.map((d, i) => d + pads[i]! + pads[i + x.rank]!);
  return one(x.graph, 'Pad', [x, x.graph.ints(pads)], x.dtype, shape);
}

/** Broadcast to `shape`. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const out = broadcastShapes('Expand', shape, x.shape, 'shape', 'X');
  return one(x.graph, 'Expand', [x, x.graph.ints(shape)], x.dtype, out);
}

/** Gather along `axis` with int64 (or int32) indices. */
export function gather(data: Tensor, indices: Tensor, axis = 0): Tensor {
  expectDType('Gather', 'indices', indices, ['int64', 'int32']);
  const a = normAxis('Gather', axis, data.rank);
  const shape = [...data.shape.slice(0, a), ...indices.shape, ...data.shape.slice(a + 1)];
  return one(graphOf(data, indices), 'Gather', [data, indices], data.dtype, shape, { axis: { i: a } });
}

/** One-hot along a new last axis, as `dtype` (float32 default). */
export function oneHot(indices: Tensor, depth: number, dtype: DType = 'float32'): Tensor {
  expectDType('OneHot', 'indices', indices, ['int64', 'int32']);
  const g = indices.graph;
  const values = g.constant(dtype === 'float32' ? new Float32Array([0, 1]) : new Float64Array([0, 1]), dtype, [2], 'onehot_values');
  return one(g, 'OneHot', [indices, g.ints([depth]), values], dtype, [...indices.shape, depth], { axis: { i: -1 } });
}

function reduced(op: string, x: Tensor, axes: readonly number[] | undefined, keepdims: boolean): { axes: number[]; shape: number[] } {
  const all = axes === undefined ? x.shape.map((_, i) => i) : axes.map((a) => normAxis(op, a, x.rank));
  const shape: number[] = [];
  x.shape.forEach((d, i) => {
    if (!all.includes(i)) shape.push(d);
    else if (keepdims) shape.push(1);
  });
  return { axes: all, shape };
}

/** Sum over `axes` (all if omitted). */
export function reduceSum(x: Tensor, axes?: readonly number[], keepdims = false): Tensor {
  const r = reduced('ReduceSum', x, axes, keepdims);
  return one(x.graph, 'ReduceSum', [x, x.graph.ints(r.axes)], x.dtype, r.shape, { keepdims: { i: keepdims ? 1 : 0 } });
}

/** Mean over `axes` (all if omitted). */
export function reduceMean(x: Tensor, axes?: readonly number[], keepdims = false): Tensor {
  const r = reduced('ReduceMean', x, axes, keepdims);
  return one(x.graph, 'ReduceMean', [x], x.dtype, r.shape, { axes: { ints: r.axes }, keepdims: { i: keepdims ? 1 : 0 } });
}

/** Max over `axes` (all if omitted). */
export function reduceMax(x: Tensor, axes?: readonly number[], keepdims = false): Tensor {
  const r = reduced('ReduceMax', x, axes, keepdims);
  return one(x.graph, 'ReduceMax', [x], x.dtype, r.shape, { axes: { ints: r.axes }, keepdims: { i: keepdims ? 1 : 0 } });
}

/** Index of the maximum along `axis` (int64). */
export function argMax(x: Tensor, axis = -1, keepdims = false): Tensor {
  const r = reduced('ArgMax', x, [axis], keepdims);
  return one(x.graph, 'ArgMax', [x], 'int64', r.shape, { axis: { i: r.axes[0]! }, keepdims: { i: keepdims ? 1 : 0 } });
}

/** Clamp to [lo, hi] (numbers become scalar constants). */
export function clip(x: Tensor, lo: TensorLike, hi: TensorLike): Tensor {
  const g = graphOf(x, lo, hi);
  const tl = lift(g, lo, x.dtype);
  const th = lift(g, hi, x.dtype);
  for (const [n, t] of [
    ['min', tl],
    ['max', th],
  ] as const) {
    if (t.rank !== 0) throw new RangeError(`Clip: input ${n} must be a scalar but has shape ${fmtShape(t.shape)}`);
    sameDType('Clip', x, t, 'input', n);
  }
  return one(g, 'Clip', [x, tl, th], x.dtype, x.shape);
}

/** cond ? x : y (broadcasting). */
export function where(cond: Tensor, x: TensorLike, y: TensorLike): Tensor {
  expectDType('Where', 'condition', cond, ['bool']);
  const g = graphOf(cond, x, y);
  const dt = typeof x === 'number' ? (typeof y === 'number' ? 'float32' : y.dtype) : x.dtype;
  const tx = lift(g, x, dt);
  const ty = lift(g, y, dt);
  sameDType('Where', tx, ty, 'X', 'Y');
  const s = broadcastShapes('Where', broadcastShapes('Where', cond.shape, tx.shape, 'condition', 'X'), ty.shape, 'condition·X', 'Y');
  return one(g, 'Where', [cond, tx, ty], dt, s);
}

/** Sum of many tensors of the same shape. */
export function sum(xs: readonly Tensor[]): Tensor {
  if (xs.length === 1) return xs[0]!;
  let acc = xs[0]!;
  for (const x of xs.slice(1)) acc = add(acc, x);
  return acc;
}

/** x * x. */
export function square(x: Tensor): Tensor {
  return mul(x, x);
}

/** Checks `x` is a float tensor (for losses and models). */
export function expectFloat(op: string, what: string, x: Tensor): void {
  if (!isFloat(x.dtype)) throw new TypeError(`${op}: input ${what} must be float32 or float64 but is ${x.dtype}`);
}

/** Checks `x` has exactly `shape`. */
export function expectShape(op: string, what: string, x: Tensor, shape: readonly number[]): void {
  if (x.rank !== shape.length || x.shape.some((d, i) => d !== shape[i])) {
    throw new RangeError(`${op}: input ${what} shape ${fmtShape(x.shape)} does not match expected shape ${fmtShape(shape)}`);
  }
}
