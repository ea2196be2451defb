/**
 * TF.js graph models (model.json + binary weight shards): the node list and the weights,
 * validated so a truncated shard or an unknown weight format fails with a message, not a
 * wrong model.
 */
import { ModelLoadError } from '../../src/core/errors.ts';

export type TfDtype = 'float32' | 'int32' | 'bool';

export interface TfNode {
  name: string;
  op: string;
  input: string[];
  attr: Record<string, TfAttr>;
}

export type TfAttr = {
  type?: number | string;
  i?: string | number;
  b?: boolean;
  s?: string | number[];
  f?: number;
  list?: { i?: (string | number)[]; s?: unknown[] };
  shape?: { dim?: { size: string | number }[] };
};

export interface TfWeight {
  dtype: TfDtype;
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

export interface TfjsGraph {
  nodes: TfNode[];
  weights: Map<string, TfWeight>;
}

interface ModelJson {
  modelTopology?: { node?: TfNode[]; library?: { function?: unknown[] } };
  weightsManifest?: { paths: string[]; weights: { name: string; shape: number[]; dtype: string; quantization?: unknown }[] }[];
}

const BYTES: Record<TfDtype, number> = { float32: 4, int32: 4, bool: 1 };

/** `read(name)` gives a file of the model folder (model.json, the shards), or null when absent. */
export async function readTfjsGraph(read: (name: string) => Promise<Uint8Array | null>): Promise<TfjsGraph> {
  const jsonBytes = await read('model.json');
  if (!jsonBytes) throw new ModelLoadError('model.json', 'is missing');
  let json: ModelJson;
  try {
    json = JSON.parse(new TextDecoder().decode(jsonBytes));
  } catch {
    throw new ModelLoadError('model.json', 'is not valid JSON');
  }
  const nodes = json.modelTopology?.node;
  if (!Array.isArray(nodes)) throw new ModelLoadError('model.json', 'has no modelTopology.node list: it is not a TF.js graph model');
  if (json.modelTopology?.library?.function?.length) {
    throw new ModelLoadError('model.json', 'uses graph functions (control flow), which the converter does not handle');
  }
  const weights = new Map<string, TfWeight>();
  for (const group of json.weightsManifest ?? []) {
    const shards: Uint8Array[] = [];
    for (const path of group.paths) {
      const bytes = await read(path);
      if (!bytes) throw new ModelLoadError(path, 'is missing (model.json lists it)');
      shards.push(bytes);
    }
    const total = shards.reduce((n, s) => n + s.length, 0);
    const buffer = new Uint8Array(total);
    let at = 0;
    for (const s of shards) {
      buffer.set(s, at);
      at += s.length;
    }
    const needed = group.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1) * (BYTES[w.dtype as TfDtype] ?? 0), 0);
    if (needed > total) {
      throw new ModelLoadError(group.paths.join(', '), `are truncated: the weights need ${needed} bytes, the shards hold ${total}`);
    }
    let offset = 0;
    for (const w of group.weights) {
      if (w.quantization) throw new ModelLoadError('model.json', `weight ${w.name} is quantized; convert from an unquantized TF.js model`);
      const dtype = w.dtype as TfDtype;
      if (!(dtype in BYTES)) throw new ModelLoadError('model.json', `weight ${w.name} has dtype ${w.dtype}, which the converter does not read`);
      const count = w.shape.reduce((a, b) => a * b, 1);
      const bytes = buffer.slice(offset, offset + count * BYTES[dtype]);
      offset += count * BYTES[dtype];
      const data = dtype === 'float32' ? new Float32Array(bytes.buffer) : dtype === 'int32' ? new Int32Array(bytes.buffer) : bytes;
      weights.set(w.name, { dtype, shape: w.shape, data });
    }
  }
  return { nodes, weights };
}

export function attrInt(node: TfNode, name: string, fallback = 0): number {
  const a = node.attr?.[name];
  return a?.i !== undefined ? Number(a.i) : fallback;
}

export function attrInts(node: TfNode, name: string): number[] {
  return (node.attr?.[name]?.list?.i ?? []).map(Number);
}

export function attrBool(node: TfNode, name: string): boolean {
  return node.attr?.[name]?.b === true;
}

export function attrString(node: TfNode, name: string): string {
  const s = node.attr?.[name]?.s;
  if (s === undefined) return '';
  if (Array.isArray(s)) return String.fromCharCode(...s);
  // TF.js stores bytes attributes base64-encoded.
  try {
    return atob(s);
  } catch {
    return s;
  }
}

/** TF DataType enum → our dtype (1 float, 3 int32, 9 int64, 10 bool). */
export function attrType(node: TfNode, name: string): TfDtype | 'int64' | null {
  const t = node.attr?.[name]?.type;
  const map: Record<string, TfDtype | 'int64'> = { '1': 'float32', DT_FLOAT: 'float32', '3': 'int32', DT_INT32: 'int32', '9': 'int64', DT_INT64: 'int64', '10': 'bool', DT_BOOL: 'bool' };
  return t === undefined ? null : (map[String(t)] ?? null);
}
