/**
 * Serialises a Graph to an ONNX ModelProto (IR version 8, opset 17) with our protobuf writer
 * (src/util/protobuf-writer.ts, shared with the TensorBoard event writer).
 * Field numbers follow onnx.proto.
 */
import { ProtobufWriter } from '../util/protobuf-writer.js';
import { type Attr, type Graph, type Tensor, type TensorData, ONNX_DTYPE } from './tensor.js';

/** ONNX opset the builder targets. */
export const OPSET = 17;
/** ONNX IR version written into models. */
export const IR_VERSION = 8;

/** Options of `toModel`. */
export interface ModelOptions {
  /**
   * How parameters appear: 'inputs' (fed at every run, so one session serves changing weights) or
   * 'baked' (initializers holding `values` or the initial values; lets ORT pre-pack weights).
   */
  params?: 'inputs' | 'baked';
  /** Parameter values to bake in, by name (defaults to each parameter's initial values). */
  values?: ReadonlyMap<string, Float32Array> | Record<string, Float32Array>;
  /** Written as producer_name. */
  producer?: string;
}

function rawBytes(data: TensorData): Uint8Array {
  // Little-endian on every platform Node ships for; copy so the view covers exactly the data.
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
}

function writeTensor(w: ProtobufWriter, name: string, dtype: number, shape: readonly number[], data: TensorData): void {
  for (const d of shape) w.varint(1, d);
  w.varint(2, dtype);
  w.string(8, name);
  w.bytes(9, rawBytes(data));
}

function writeValueInfo(w: ProtobufWriter, t: Tensor, name = t.name): void {
  w.string(1, name);
  w.message(2, (type) =>
    type.message(1, (tt) => {
      tt.varint(1, ONNX_DTYPE[t.dtype]);
      tt.message(2, (shape) => {
        for (const d of t.shape) shape.message(1, (dim) => dim.varint(1, d));
      });
    }),
  );
}

function writeAttr(w: ProtobufWriter, name: string, a: Attr, opts: ModelOptions): void {
  w.string(1, name);
  if ('i' in a) w.varint(3, a.i).varint(20, 2);
  else if ('f' in a) w.float(2, a.f).varint(20, 1);
  else if ('s' in a) w.string(4, a.s).varint(20, 3);
  else if ('ints' in a) w.packedVarints(8, a.ints).varint(20, 7);
  else if ('floats' in a) w.packedFloats(7, a.floats).varint(20, 6);
  else w.message(6, (gw) => writeGraph(gw, a.g, opts, false)).varint(20, 5);
}

function paramValue(t: Tensor, opts: ModelOptions): Float32Array {
  const v = opts.values instanceof Map ? opts.values.get(t.name) : (opts.values as Record<string, Float32Array> | undefined)?.[t.name];
  const data = v ?? (t.data as Float32Array);
  if (data.length !== t.size) throw new RangeError(`Expected a Float32Array of length ${t.size} for parameter ${t.name} but received ${data.length} values`);
  return data;
}

function writeGraph(w: ProtobufWriter, g: Graph, opts: ModelOptions, top: boolean): void {
  for (const node of g.nodes) {
    w.message(1, (nw) => {
      for (const i of node.inputs) nw.string(1, i ? i.name : '');
      for (const o of node.outputs) nw.string(2, o.name);
      nw.string(3, node.outputs[0]!.name);
      nw.string(4, node.op);
      for (const [k, a] of Object.entries(node.attrs)) nw.message(5, (aw) => writeAttr(aw, k, a, opts));
    });
  }
  w.string(2, g.name);
  const baked = opts.params === 'baked';
  for (const c of g.constants) w.message(5, (tw) => writeTensor(tw, c.name, ONNX_DTYPE[c.dtype], c.shape, c.data!));
  if (top && baked) {
    for (const p of g.params) w.message(5, (tw) => writeTensor(tw, p.name, ONNX_DTYPE.float32, p.shape, paramValue(p, opts)));
  }
  for (const i of g.inputs) w.message(11, (vw) => writeValueInfo(vw, i));
  if (top && !baked) for (const p of g.params) w.message(11, (vw) => writeValueInfo(vw, p));
  for (const o of g.outputs) w.message(12, (vw) => writeValueInfo(vw, o.tensor, o.name));
}

/** Serialises `graph` as an ONNX model. */
export function toModel(graph: Graph, options: ModelOptions = {}): Uint8Array {
  if (graph.parent) throw new Error(`Graph '${graph.name}' is a subgraph; serialise its top-level graph`);
  if (graph.outputs.length === 0) throw new Error(`Graph '${graph.name}' has no outputs; declare them with graph.output(name, tensor)`);
  const w = new ProtobufWriter();
  w.varint(1, IR_VERSION);
  w.string(2, options.producer ?? 'mario-rl');
  w.message(7, (gw) => writeGraph(gw, graph, options, true));
  w.message(8, (ow) => ow.string(1, '').varint(2, OPSET));
  return w.finish();
}
