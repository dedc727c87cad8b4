/**
 * A float64 reference interpreter for the ops the builder emits. Gradient checks evaluate the
 * forward graph here (central differences need more precision than float32 gives) and compare
 * with the gradient graph run by ORT. Slow and simple on purpose: small shapes only.
 */
import { type Node, type Tensor, sizeOf } from './tensor.js';

/** A float64 array with its shape (integer and bool values are stored as numbers too). */
export interface RefArray {
  /** Shape. */
  shape: number[];
  /** Values, row-major. */
  data: Float64Array;
}

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Strides of `shape` seen as broadcast into `out` (0 on broadcast axes). */
function bstrides(shape: readonly number[], out: readonly number[]): number[] {
  const st = strides(shape);
  return out.map((d, i) => {
    const j = i - (out.length - shape.length);
    return j < 0 || shape[j] === 1 ? 0 : st[j]!;
  });
}

function broadcastMap(out: readonly number[], ins: RefArray[], f: (...v: number[]) => number): RefArray {
  const n = sizeOf(out);
  const data = new Float64Array(n);
  const bs = ins.map((a) => bstrides(a.shape, out));
  const idx = new Array<number>(out.length).fill(0);
  const offs = new Array<number>(ins.length).fill(0);
  const vals = new Array<number>(ins.length);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < ins.length; j++) vals[j] = ins[j]!.data[offs[j]!]!;
    data[k] = f(...vals);
    for (let ax = out.length - 1; ax >= 0; ax--) {
      idx[ax]!++;
      for (let j = 0; j < ins.length; j++) offs[j]! += bs[j]![ax]!;
      if (idx[ax]! < out[ax]!) break;
      for (let j = 0; j < ins.length; j++) offs[j]! -= bs[j]![ax]! * out[ax]!;
      idx[ax] = 0;
    }
  }
  return { shape: [...out], data };
}

function bshape(...shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const v = s[s.length - rank + i] ?? 1;
      if (v !== 1) d = v;
    }
    out.push(d);
  }
  return out;
}

function ints(a: RefArray): number[] {
  return Array.from(a.data);
}

function attrI(node: Node, name: string, dflt: number): number {
  const a = node.attrs[name];
  return a && 'i' in a ? a.i : dflt;
}
function attrF(node: Node, name: string, dflt: number): number {
  const a = node.attrs[name];
  return a && 'f' in a ? a.f : dflt;
}
function attrInts(node: Node, name: string, dflt: number[]): number[] {
  const a = node.attrs[name];
  return a && 'ints' in a ? [...a.ints] : dflt;
}

/** Moves `axis` last, applies `f` to each row, moves it back. */
function alongAxis(x: RefArray, axis: number, f: (row: Float64Array) => Float64Array): RefArray {
  const outer = sizeOf(x.shape.slice(0, axis));
  const len = x.shape[axis]!;
  const inner = sizeOf(x.shape.slice(axis + 1));
  const out = new Float64Array(x.data.length);
  const row = new Float64Array(len);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      for (let k = 0; k < len; k++) row[k] = x.data[(o * len + k) * inner + i]!;
      const r = f(row);
      for (let k = 0; k < len; k++) out[(o * len + k) * inner + i] = r[k]!;
    }
  }
  return { shape: [...x.shape], data: out };
}

function reduce(x: RefArray, axes: number[], keep: boolean, init: number, f: (acc: number, v: number) => number): RefArray {
  const ax = axes.length === 0 ? x.shape.map((_, i) => i) : axes.map((a) => (a < 0 ? a + x.shape.length : a));
  const keptShape = x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const out = new Float64Array(sizeOf(keptShape)).fill(init);
  const os = bstrides(keptShape, x.shape);
  const idx = new Array<number>(x.shape.length).fill(0);
  for (let k = 0; k < x.data.length; k++) {
    let o = 0;
    for (let i = 0; i < idx.length; i++) o += idx[i]! * os[i]!;
    out[o] = f(out[o]!, x.data[k]!);
    for (let i = idx.length - 1; i >= 0; i--) {
      if (++idx[i]! < x.shape[i]!) break;
      idx[i] = 0;
    }
  }
  return { shape: keep ? keptShape : x.shape.filter((_, i) => !ax.includes(i)), data: out };
}

function transposeRef(x: RefArray, perm: number[]): RefArray {
  const shape = perm.map((p) => x.shape[p]!);
  const st = strides(x.shape);
  const pst = perm.map((p) => st[p]!);
  const out = new Float64Array(x.data.length);
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < out.length; k++) {
    let o = 0;
    for (let i = 0; i < idx.length; i++) o += idx[i]! * pst[i]!;
    out[k] = x.data[o]!;
    for (let i = idx.length - 1; i >= 0; i--) {
      if (++idx[i]! < shape[i]!) break;
      idx[i] = 0;
    }
  }
  return { shape, data: out };
}

function matmulRef(a: RefArray, b: RefArray, ta: boolean, tb: boolean): RefArray {
  const A = ta ? transposeRef(a, [1, 0]) : a;
  const B = tb ? transposeRef(b, [1, 0]) : b;
  const [m, k] = A.shape as [number, number];
  const n = B.shape[1]!;
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++) {
      const av = A.data[i * k + p]!;
      for (let j = 0; j < n; j++) out[i * n + j]! += av * B.data[p * n + j]!;
    }
  return { shape: [m, n], data: out };
}

function convRef(node: Node, x: RefArray, w: RefArray, b?: RefArray): RefArray {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [O, , KH, KW] = w.shape as [number, number, number, number];
  const [sh, sw] = attrInts(node, 'strides', [1, 1]) as [number, number];
  const [pt, pl, pb, pr] = attrInts(node, 'pads', [0, 0, 0, 0]) as [number, number, number, number];
  const [dh, dw] = attrInts(node, 'dilations', [1, 1]) as [number, number];
  const OH = Math.floor((H + pt + pb - dh * (KH - 1) - 1) / sh) + 1;
  const OW = Math.floor((W + pl + pr - dw * (KW - 1) - 1) / sw) + 1;
  const out = new Float64Array(N * O * OH * OW);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let acc = b ? b.data[o]! : 0;
          for (let c = 0; c < C; c++)
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * sh + kh * dh - pt;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * sw + kw * dw - pl;
                if (iw < 0 || iw >= W) continue;
                acc += x.data[((n * C + c) * H + ih) * W + iw]! * w.data[((o * C + c) * KH + kh) * KW + kw]!;
              }
            }
          out[((n * O + o) * OH + oh) * OW + ow] = acc;
        }
  return { shape: [N, O, OH, OW], data: out };
}

function convTransposeRef(node: Node, x: RefArray, w: RefArray, shape: readonly number[]): RefArray {
  const [N, CI, H, W] = x.shape as [number, number, number, number];
  const [, CO, KH, KW] = w.shape as [number, number, number, number];
  const [sh, sw] = attrInts(node, 'strides', [1, 1]) as [number, number];
  const [pt, pl] = attrInts(node, 'pads', [0, 0, 0, 0]) as [number, number];
  const [dh, dw] = attrInts(node, 'dilations', [1, 1]) as [number, number];
  const OH = shape[2]!;
  const OW = shape[3]!;
  const out = new Float64Array(N * CO * OH * OW);
  for (let n = 0; n < N; n++)
    for (let ci = 0; ci < CI; ci++)
      for (let h = 0; h < H; h++)
        for (let x0 = 0; x0 < W; x0++) {
          const v = x.data[((n * CI + ci) * H + h) * W + x0]!;
          for (let co = 0; co < CO; co++)
            for (let kh = 0; kh < KH; kh++) {
              const oh = h * sh + kh * dh - pt;
              if (oh < 0 || oh >= OH) continue;
              for (let kw = 0; kw < KW; kw++) {
                const ow = x0 * sw + kw * dw - pl;
                if (ow < 0 || ow >= OW) continue;
                out[((n * CO + co) * OH + oh) * OW + ow]! += v * w.data[((ci * CO + co) * KH + kh) * KW + kw]!;
              }
            }
        }
  return { shape: [...shape], data: out };
}

function sliceRef(x: RefArray, starts: number[], axes: number[], steps: number[] | undefined, outShape: readonly number[]): RefArray {
  const st = strides(x.shape);
  const begin = x.shape.map(() => 0);
  const step = x.shape.map(() => 1);
  axes.forEach((a, i) => {
    begin[a] = starts[i]!;
    step[a] = steps?.[i] ?? 1;
  });
  const out = new Float64Array(sizeOf(outShape));
  const idx = new Array<number>(outShape.length).fill(0);
  for (let k = 0; k < out.length; k++) {
    let o = 0;
    for (let i = 0; i < idx.length; i++) o += (idx[i]! * step[i]! + begin[i]!) * st[i]!;
    out[k] = x.data[o]!;
    for (let i = idx.length - 1; i >= 0; i--) {
      if (++idx[i]! < outShape[i]!) break;
      idx[i] = 0;
    }
  }
  return { shape: [...outShape], data: out };
}

function padRef(x: RefArray, pads: number[], outShape: readonly number[]): RefArray {
  const r = x.shape.length;
  const ost = strides(outShape);
  const out = new Float64Array(sizeOf(outShape));
  const idx = new Array<number>(r).fill(0);
  for (let k = 0; k < x.data.length; k++) {
    let o = 0;
    for (let i = 0; i < r; i++) o += (idx[i]! + pads[i]!) * ost[i]!;
    out[o] = x.data[k]!;
    for (let i = r - 1; i >= 0; i--) {
      if (++idx[i]! < x.shape[i]!) break;
      idx[i] = 0;
    }
  }
  return { shape: [...outShape], data: out };
}

function evalNode(node: Node, ins: (RefArray | undefined)[]): RefArray {
  const [a, b, c] = ins;
  const out = node.outputs[0]!;
  const u = (f: (v: number) => number): RefArray => ({ shape: [...a!.shape], data: a!.data.map(f) });
  const bin = (f: (x: number, y: number) => number): RefArray => broadcastMap(bshape(a!.shape, b!.shape), [a!, b!], f);
  switch (node.op) {
    case 'Add':
      return bin((x, y) => x + y);
    case 'Sub':
      return bin((x, y) => x - y);
    case 'Mul':
      return bin((x, y) => x * y);
    case 'Div':
      return bin((x, y) => x / y);
    case 'Pow':
      return bin((x, y) => x ** y);
    case 'Min':
      return bin((x, y) => Math.min(x, y));
    case 'Max':
      return bin((x, y) => Math.max(x, y));
    case 'Equal':
      return bin((x, y) => (x === y ? 1 : 0));
    case 'Less':
      return bin((x, y) => (x < y ? 1 : 0));
    case 'Greater':
      return bin((x, y) => (x > y ? 1 : 0));
    case 'Or':
      return bin((x, y) => (x || y ? 1 : 0));
    case 'Not':
      return u((x) => (x ? 0 : 1));
    case 'Relu':
      return u((x) => Math.max(x, 0));
    case 'Elu': {
      const al = attrF(node, 'alpha', 1);
      return u((x) => (x > 0 ? x : al * Math.expm1(x)));
    }
    case 'Tanh':
      return u(Math.tanh);
    case 'Sigmoid':
      return u((x) => 1 / (1 + Math.exp(-x)));
    case 'Exp':
      return u(Math.exp);
    case 'Log':
      return u(Math.log);
    case 'Sqrt':
      return u(Math.sqrt);
    case 'Neg':
      return u((x) => -x);
    case 'Abs':
      return u(Math.abs);
    case 'Sign':
      return u(Math.sign);
    case 'Identity':
      return u((x) => x);
    case 'Cast': {
      const to = attrI(node, 'to', 1);
      if (to === 9) return u((x) => (x ? 1 : 0));
      if (to === 7 || to === 6) return u(Math.trunc);
      return u((x) => x);
    }
    case 'Softmax':
    case 'LogSoftmax': {
      const logMode = node.op === 'LogSoftmax';
      return alongAxis(a!, attrI(node, 'axis', -1), (row) => {
        const m = Math.max(...row);
        let s = 0;
        for (const v of row) s += Math.exp(v - m);
        return row.map((v) => (logMode ? v - m - Math.log(s) : Math.exp(v - m) / s));
      });
    }
    case 'MatMul':
      return matmulRef(a!, b!, false, false);
    case 'Gemm': {
      const p = matmulRef(a!, b!, attrI(node, 'transA', 0) === 1, attrI(node, 'transB', 0) === 1);
      const al = attrF(node, 'alpha', 1);
      const be = attrF(node, 'beta', 1);
      if (!c) return { shape: p.shape, data: p.data.map((v) => al * v) };
      return broadcastMap(p.shape, [p, c], (x, y) => al * x + be * y);
    }
    case 'Conv':
      return convRef(node, a!, b!, c);
    case 'ConvTranspose':
      return convTransposeRef(node, a!, b!, out.shape);
    case 'Reshape':
    case 'Flatten':
      return { shape: [...out.shape], data: a!.data.slice() };
    case 'Transpose':
      return transposeRef(a!, attrInts(node, 'perm', []));
    case 'Concat': {
      const axis = attrI(node, 'axis', 0);
      const outer = sizeOf(out.shape.slice(0, axis));
      const inner = sizeOf(out.shape.slice(axis + 1));
      const data = new Float64Array(sizeOf(out.shape));
      let off = 0;
      const total = out.shape[axis]!;
      for (const x of ins as RefArray[]) {
        const len = x.shape[axis]!;
        for (let o = 0; o < outer; o++) for (let k = 0; k < len * inner; k++) data[(o * total + off) * inner + k] = x.data[o * len * inner + k]!;
        off += len;
      }
      return { shape: [...out.shape], data };
    }
    case 'Slice':
      return sliceRef(a!, ints(b!), ints(ins[3]!), ins[4] ? ints(ins[4]) : undefined, out.shape);
    case 'Pad':
      return padRef(a!, ints(b!), out.shape);
    case 'Expand':
      return broadcastMap(out.shape, [a!], (x) => x);
    case 'Gather': {
      const axis = attrI(node, 'axis', 0);
      const outer = sizeOf(a!.shape.slice(0, axis));
      const len = a!.shape[axis]!;
      const inner = sizeOf(a!.shape.slice(axis + 1));
      const idx = b!.data;
      const data = new Float64Array(sizeOf(out.shape));
      for (let o = 0; o < outer; o++)
        for (let j = 0; j < idx.length; j++) {
          const r = idx[j]! < 0 ? idx[j]! + len : idx[j]!;
          for (let k = 0; k < inner; k++) data[(o * idx.length + j) * inner + k] = a!.data[(o * len + r) * inner + k]!;
        }
      return { shape: [...out.shape], data };
    }
    case 'OneHot': {
      const depth = b!.data[0]!;
      const data = new Float64Array(a!.data.length * depth).fill(c!.data[0]!);
      a!.data.forEach((v, i) => (data[i * depth + (v < 0 ? v + depth : v)] = c!.data[1]!));
      return { shape: [...out.shape], data };
    }
    case 'ReduceSum':
      return reduce(a!, ints(b!), attrI(node, 'keepdims', 1) === 1, 0, (s, v) => s + v);
    case 'ReduceMean': {
      const axes = attrInts(node, 'axes', []);
      const r = reduce(a!, axes, attrI(node, 'keepdims', 1) === 1, 0, (s, v) => s + v);
      const n = a!.data.length / r.data.length;
      return { shape: r.shape, data: r.data.map((v) => v / n) };
    }
    case 'ReduceMax':
      return reduce(a!, attrInts(node, 'axes', []), attrI(node, 'keepdims', 1) === 1, -Infinity, Math.max);
    case 'ArgMax': {
      const axis = attrI(node, 'axis', 0);
      const full = alongAxis(a!, axis, (row) => {
        let best = 0;
        for (let k = 1; k < row.length; k++) if (row[k]! > row[best]!) best = k;
        return row.map(() => best);
      });
      const sl = sliceRef(
        full,
        [0],
        [1],
        [axis],
        full.shape.map((d, i) => (i === axis ? 1 : d)),
      );
      return { shape: [...out.shape], data: sl.data };
    }
    case 'Clip':
      return u((x) => Math.min(Math.max(x, b!.data[0]!), c!.data[0]!));
    case 'Where':
      return broadcastMap(bshape(a!.shape, b!.shape, c!.shape), [a!, b!, c!], (k, x, y) => (k ? x : y));
    default:
      throw new Error(`The float64 reference interpreter does not implement op ${node.op}`);
  }
}

/** Converts any typed array of values to float64 numbers. */
export function toFloat64(data: ArrayLike<number | bigint>): Float64Array {
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]!);
  return out;
}

/**
 * Evaluates `targets` in float64. `values` maps input and parameter names to data; constants
 * come from the graph; parameters not in `values` use their initial data.
 */
export function evaluate(targets: readonly Tensor[], values: ReadonlyMap<string, ArrayLike<number | bigint>>): RefArray[] {
  const cache = new Map<Tensor, RefArray>();
  const visit = (t: Tensor): RefArray => {
    const hit = cache.get(t);
    if (hit) return hit;
    let r: RefArray;
    const given = values.get(t.name);
    if (given && t.kind !== 'node') r = { shape: [...t.shape], data: toFloat64(given) };
    else if (t.kind === 'const' || t.kind === 'param') r = { shape: [...t.shape], data: toFloat64(t.data as ArrayLike<number | bigint>) };
    else if (t.kind === 'input') throw new Error(`No value given for input ${t.name}`);
    else {
      const node = t.producer!;
      if (node.outputs.length !== 1) throw new Error(`The reference interpreter does not evaluate multi-output op ${node.op}`);
      r = evalNode(
        node,
        node.inputs.map((i) => (i ? visit(i) : undefined)),
      );
    }
    cache.set(t, r);
    return r;
  };
  return targets.map(visit);
}
