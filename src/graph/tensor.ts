/**
 * The graph builder's core: typed tensors with static shapes, the nodes that produce them and the
 * graphs that own them. Ops (src/graph/ops.ts) create nodes; the ONNX writer serialises a graph;
 * autodiff walks producers backwards.
 */

/** Element types the builder supports, named as in ONNX. */
export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool';

/** ONNX TensorProto.DataType codes. */
export const ONNX_DTYPE: Record<DType, number> = {
  float32: 1,
  uint8: 2,
  int32: 6,
  int64: 7,
  bool: 9,
  float64: 11,
};

/** Typed array used to hold values of each dtype. */
export type TensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

/** An attribute value, tagged so ints and floats stay distinct on the wire. */
export type Attr = { i: number } | { f: number } | { s: string } | { ints: readonly number[] } | { floats: readonly number[] } | { g: Graph };

/** Where a tensor comes from. */
export type TensorKind = 'input' | 'param' | 'const' | 'node';

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Formats a shape for error messages: `[2, 3]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** True for float dtypes (the ones gradients flow through). */
export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

/** A symbolic value in a graph: name, dtype and static shape. */
export class Tensor {
  /** Graph that defines this value. */
  readonly graph: Graph;
  /** Unique name within the model (the ONNX value name); `Graph.output` may rename it once. */
  name: string;
  /** Element type. */
  readonly dtype: DType;
  /** Static shape; `[]` is a scalar. */
  readonly shape: readonly number[];
  /** Input, parameter, constant or node output. */
  readonly kind: TensorKind;
  /** The node producing it (kind 'node' only). */
  producer: Node | undefined;
  /** Values for constants and parameters (parameter values are the initial ones). */
  data: TensorData | undefined;

  constructor(graph: Graph, name: string, dtype: DType, shape: readonly number[], kind: TensorKind) {
    this.graph = graph;
    this.name = name;
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.kind = kind;
  }

  /** Number of elements. */
  get size(): number {
    return sizeOf(this.shape);
  }

  /** Rank (number of dimensions). */
  get rank(): number {
    return this.shape.length;
  }
}

/** One ONNX node. */
export interface Node {
  /** ONNX op type, e.g. `Conv`. */
  readonly op: string;
  /** Input tensors in ONNX order; `undefined` marks an omitted optional input. */
  readonly inputs: readonly (Tensor | undefined)[];
  /** Output tensors. */
  readonly outputs: readonly Tensor[];
  /** Attributes. */
  readonly attrs: Readonly<Record<string, Attr>>;
}

/** Shared counter so names are unique across a model and its subgraphs. */
class NameSource {
  #used = new Set<string>();
  #next = 0;

  fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.#next++}`;
    while (this.#used.has(name));
    this.#used.add(name);
    return name;
  }

  claim(name: string): void {
    if (this.#used.has(name)) throw new Error(`Graph value name '${name}' is already used`);
    this.#used.add(name);
  }
}

/**
 * A graph under construction. Subgraphs (Loop bodies) are created with `subgraph()` and may use
 * tensors of their ancestors by name, as ONNX allows.
 */
export class Graph {
  /** Graph name written into the model. */
  readonly name: string;
  /** Enclosing graph of a subgraph. */
  readonly parent: Graph | undefined;
  /** Nodes in creation (hence topological) order. */
  readonly nodes: Node[] = [];
  /** Declared inputs, in order. */
  readonly inputs: Tensor[] = [];
  /** Trainable parameters, in declaration order. */
  readonly params: Tensor[] = [];
  /** Constants (written as initializers). */
  readonly constants: Tensor[] = [];
  /** Declared outputs: ONNX name → tensor. */
  readonly outputs: { name: string; tensor: Tensor }[] = [];
  #names: NameSource;
  #scalarCache = new Map<string, Tensor>();

  constructor(name = 'mario_rl', parent?: Graph) {
    this.name = name;
    this.parent = parent;
    this.#names = parent ? parent.#names : new NameSource();
  }

  /** A nested graph (e.g. a Loop body) sharing this graph's name space. */
  subgraph(name: string): Graph {
    return new Graph(name, this);
  }

  /** True if tensors of `other` may be used here (same graph or an ancestor). */
  canSee(other: Graph): boolean {
    if (this === other) return true;
    for (let g = this.parent; g; g = g.parent) if (g === other) return true;
    return false;
  }

  /** Reserves a fresh value name starting with `prefix`. */
  freshName(prefix: string): string {
    return this.#names.fresh(prefix);
  }

  /** Declares a graph input with a fixed name. */
  input(name: string, dtype: DType, shape: readonly number[]): Tensor {
    checkShape(shape, `input ${name}`);
    this.#names.claim(name);
    const t = new Tensor(this, name, dtype, shape, 'input');
    this.inputs.push(t);
    return t;
  }

  /**
   * Declares a float32 parameter with initial values. When the model is written, parameters
   * become either graph inputs or initializers (see `toModel` in onnx-writer.ts).
   */
  param(name: string, shape: readonly number[], init: Float32Array): Tensor {
    checkShape(shape, `param ${name}`);
    if (init.length !== sizeOf(shape)) {
      throw new RangeError(`Parameter ${name} has shape ${fmtShape(shape)} (${sizeOf(shape)} values) but received ${init.length} values`);
    }
    this.#names.claim(name);
    const t = new Tensor(this, name, 'float32', shape, 'param');
    t.data = init;
    this.params.push(t);
    return t;
  }

  /** A constant tensor (an initializer). */
  constant(data: TensorData, dtype: DType, shape: readonly number[], prefix = 'const'): Tensor {
    checkShape(shape, 'constant');
    if (data.length !== sizeOf(shape)) {
      throw new RangeError(`Constant of shape ${fmtShape(shape)} needs ${sizeOf(shape)} values but received ${data.length}`);
    }
    const t = new Tensor(this, this.#names.fresh(prefix), dtype, shape, 'const');
    t.data = data;
    this.constants.push(t);
    return t;
  }

  /** A scalar (or a tensor of one value broadcastable as given shape), cached per graph. */
  scalar(value: number, dtype: DType = 'float32', shape: readonly number[] = []): Tensor {
    const key = `${dtype}:${value}:${shape.join('x')}`;
    const hit = this.#scalarCache.get(key);
    if (hit) return hit;
    const n = sizeOf(shape);
    const t = this.constant(fillData(dtype, n, value), dtype, shape, 'scalar');
    this.#scalarCache.set(key, t);
    return t;
  }

  /** An int64 1-D constant (shapes, axes, pads). */
  ints(values: readonly number[]): Tensor {
    const key = `ints:${values.join(',')}`;
    const hit = this.#scalarCache.get(key);
    if (hit) return hit;
    const t = this.constant(BigInt64Array.from(values.map((v) => BigInt(v))), 'int64', [values.length], 'ints');
    this.#scalarCache.set(key, t);
    return t;
  }

  /** Adds a node producing outputs of the given dtypes and shapes; returns the outputs. */
  addNode(
    op: string,
    inputs: readonly (Tensor | undefined)[],
    outs: readonly { dtype: DType; shape: readonly number[] }[],
    attrs: Record<string, Attr> = {},
  ): Tensor[] {
    for (const [i, t] of inputs.entries()) {
      if (t && !this.canSee(t.graph)) {
        throw new Error(`${op}: input ${i} (${t.name}) belongs to graph '${t.graph.name}', which is not visible from graph '${this.name}'`);
      }
    }
    const outputs = outs.map((o) => new Tensor(this, this.#names.fresh(op.toLowerCase()), o.dtype, o.shape, 'node'));
    const node: Node = { op, inputs, outputs, attrs };
    for (const o of outputs) o.producer = node;
    this.nodes.push(node);
    return outputs;
  }

  /**
   * Declares `tensor` as a graph output called `name`. A node output of this graph is renamed in
   * place (no copy); inputs, parameters, constants and values already output go through Identity.
   */
  output(name: string, tensor: Tensor): Tensor {
    if (!this.canSee(tensor.graph)) throw new Error(`Output ${name}: tensor ${tensor.name} is not visible from graph '${this.name}'`);
    this.#names.claim(name);
    if (tensor.kind === 'node' && tensor.graph === this && !this.outputs.some((o) => o.tensor === tensor)) {
      tensor.name = name;
      this.outputs.push({ name, tensor });
      return tensor;
    }
    const out = new Tensor(this, name, tensor.dtype, tensor.shape, 'node');
    const node: Node = { op: 'Identity', inputs: [tensor], outputs: [out], attrs: {} };
    out.producer = node;
    this.nodes.push(node);
    this.outputs.push({ name, tensor: out });
    return out;
  }
}

/** Typed array of `n` copies of `value` for `dtype`. */
export function fillData(dtype: DType, n: number, value: number): TensorData {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n).fill(value);
    case 'float64':
      return new Float64Array(n).fill(value);
    case 'int64':
      return new BigInt64Array(n).fill(BigInt(Math.trunc(value)));
    case 'int32':
      return new Int32Array(n).fill(value);
    case 'uint8':
      return new Uint8Array(n).fill(value);
    case 'bool':
      return new Uint8Array(n).fill(value ? 1 : 0);
  }
}

function checkShape(shape: readonly number[], what: string): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new TypeError(`Expected a shape of non-negative integers for ${what} but received ${JSON.stringify(shape)}`);
  }
}
