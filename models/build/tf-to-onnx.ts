/**
 * TF.js graph → ONNX (opset 17), op by op. TF's int32 tensors become int64 in ONNX (shapes,
 * indices and Shape's output are int64 there), so the integer arithmetic of the graph needs no
 * casts. Each tensor's kind (float/int/bool) and rank are tracked, which is what the ops that
 * need them (BatchMatMul's transposes, ConstantOfShape's zero) require. An op without a rule
 * fails the conversion with the op and node named — never a half-written model.
 */
import { DataType, encodeModel, rawOf, type AttributeValue, type NodeSpec, type TensorValue, type ValueInfo } from '../../src/core/onnx/proto.ts';
import { attrBool, attrInt, attrInts, attrString, attrType, type TfjsGraph, type TfNode } from './tfjs-graph.ts';

export class ConversionError extends Error {
  override name = 'ConversionError';
}

type Kind = 'float' | 'int' | 'bool';

interface Value {
  name: string;
  kind: Kind;
  rank: number | null;
  /** Values of small constant int/float tensors (axes, perms, slice bounds). */
  constant?: { values: number[]; shape: number[] };
  /** Static length of a 1-D int tensor (a shape), when known. */
  length?: number;
  /** Columns of an [n, k] index matrix from Where/NonZero. */
  columns?: number;
}

const INT64_MAX = 9223372036854775807n;
const KIND_TYPE = { float: DataType.FLOAT, int: DataType.INT64, bool: DataType.BOOL } as const;

export interface ConvertOptions {
  /** ONNX graph inputs, and ONNX tensors standing in for the TF graph's placeholders. */
  frontEnd: (e: Emitter) => { inputs: ValueInfo[]; placeholders: Record<string, { name: string; kind: Kind; rank: number; columns?: number }> };
  /** TF tensor to expose, and its ONNX output name and symbolic shape. */
  outputs: { tf: string; name: string; shape: (number | string)[] }[];
  docString?: string;
  metadata?: Record<string, string>;
}

export class Emitter {
  readonly nodes: NodeSpec[] = [];
  readonly initializers: TensorValue[] = [];
  private used = new Set<string>();

  fresh(base: string): string {
    let name = base.replace(/[^\w/.:-]/g, '_');
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  op(op: string, inputs: string[], attributes?: Record<string, AttributeValue>, base = op): string {
    const out = this.fresh(base);
    this.nodes.push({ op, inputs, outputs: [out], attributes, name: out });
    return out;
  }

  opMulti(op: string, inputs: string[], count: number, attributes: Record<string, AttributeValue>, base: string): string[] {
    const outs = Array.from({ length: count }, (_, i) => this.fresh(i === 0 ? base : `${base}:${i}`));
    this.nodes.push({ op, inputs, outputs: outs, attributes, name: outs[0] });
    return outs;
  }

  int64(values: number[] | bigint[], dims: number[] = [values.length], base = 'const'): string {
    const name = this.fresh(base);
    this.initializers.push({ name, dataType: DataType.INT64, dims, raw: rawOf(BigInt64Array.from(values as (number | bigint)[], (v) => BigInt(v))) });
    return name;
  }

  tensor(base: string, dataType: TensorValue['dataType'], dims: number[], raw: Uint8Array): string {
    const name = this.fresh(base);
    this.initializers.push({ name, dataType, dims, raw });
    return name;
  }
}

export function convertTfjsGraph(graph: TfjsGraph, opts: ConvertOptions): Uint8Array {
  const e = new Emitter();
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const values = new Map<string, Value>(); // TF tensor name ("node" or "node:k") → ONNX value
  const front = opts.frontEnd(e);
  for (const [tf, v] of Object.entries(front.placeholders)) values.set(tf, { ...v });

  const input = (ref: string): Value => {
    const key = ref.endsWith(':0') ? ref.slice(0, -2) : ref;
    const v = values.get(key);
    if (!v) throw new ConversionError(`tensor "${ref}" is used before it is defined`);
    return v;
  };

  // Depth-first from the outputs: TF.js lists nodes in no guaranteed order.
  const order: TfNode[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string) => {
    if (state.get(name) === 'done' || front.placeholders[name]) return;
    if (state.get(name) === 'visiting') throw new ConversionError(`the graph has a cycle at "${name}"`);
    const node = byName.get(name);
    if (!node) throw new ConversionError(`node "${name}" is referenced but not defined`);
    state.set(name, 'visiting');
    for (const i of node.input) if (!i.startsWith('^')) visit(i.split(':')[0]);
    state.set(name, 'done');
    order.push(node);
  };
  for (const o of opts.outputs) visit(o.tf);

  for (const node of order) {
    const ins = node.input.filter((i) => !i.startsWith('^')).map(input);
    const outs = convertNode(e, node, ins, graph);
    outs.forEach((v, i) => values.set(i === 0 ? node.name : `${node.name}:${i}`, v));
  }

  const outputs: ValueInfo[] = opts.outputs.map((o) => {
    const v = input(o.tf);
    e.nodes.push({ op: 'Identity', inputs: [v.name], outputs: [o.name], name: o.name });
    return { name: o.name, elemType: KIND_TYPE[v.kind], shape: o.shape };
  });
  // Constants that only fed a rewritten op (a 1×1 Conv2D filter, now a MatMul weight) go.
  const used = new Set(e.nodes.flatMap((n) => n.inputs));
  return encodeModel({
    graphName: 'embedscope-converted',
    producer: 'embedscope tf-to-onnx',
    opsets: [{ domain: '', version: 17 }],
    nodes: e.nodes,
    initializers: e.initializers.filter((t) => used.has(t.name!)),
    inputs: front.inputs,
    outputs,
    docString: opts.docString,
    metadata: opts.metadata,
  });
}

function fail(node: TfNode, why: string): never {
  throw new ConversionError(`cannot convert ${node.op} node "${node.name}": ${why}`);
}

function constValues(node: TfNode, v: Value, what: string): number[] {
  if (!v.constant) fail(node, `its ${what} must be a constant`);
  return v.constant.values;
}

function convertNode(e: Emitter, node: TfNode, ins: Value[], graph: TfjsGraph): Value[] {
  const name = node.name;
  const [a, b] = ins;
  const same = (kind: Kind, rank: number | null, out: string, extra: Partial<Value> = {}): Value[] => [{ name: out, kind, rank, ...extra }];
  const maxRank = (...vs: Value[]) => (vs.some((v) => v.rank === null) ? null : Math.max(...vs.map((v) => v.rank!)));
  const unary = (op: string) => same(a.kind, a.rank, e.op(op, [a.name], undefined, name));
  // A 1-D result keeps a known length from either side (shape arithmetic: Add(Max(…), 1)).
  const binary = (op: string, kind: Kind = a.kind) =>
    same(kind, maxRank(a, b), e.op(op, [a.name, b.name], undefined, name), { length: a.length ?? b.length, columns: a.columns ?? b.columns });

  switch (node.op) {
    case 'Const': {
      const w = graph.weights.get(name);
      if (!w) fail(node, 'its value is not in the weights manifest');
      const kind: Kind = w.dtype === 'float32' ? 'float' : w.dtype === 'int32' ? 'int' : 'bool';
      const raw =
        w.dtype === 'int32' ? rawOf(BigInt64Array.from(w.data as Int32Array, (x) => BigInt(x))) : rawOf(w.data as Float32Array | Uint8Array);
      const out = e.tensor(name, KIND_TYPE[kind], w.shape, raw);
      const small = w.data.length <= 64 ? { values: Array.from(w.data as ArrayLike<number>), shape: w.shape } : undefined;
      return same(kind, w.shape.length, out, { constant: small, length: w.shape.length === 1 ? w.shape[0] : undefined });
    }
    case 'Identity':
      return [a];
    case 'Add':
    case 'AddV2':
    case 'BiasAdd':
      if (node.op === 'BiasAdd' && attrString(node, 'data_format') === 'NCHW') fail(node, 'NCHW bias is not supported');
      return binary('Add');
    case 'Sub':
      return binary('Sub');
    case 'Mul':
      return binary('Mul');
    case 'RealDiv':
      return binary('Div');
    case 'Maximum':
      return binary('Max');
    case 'Less':
      return binary('Less', 'bool');
    case 'Greater':
      return binary('Greater', 'bool');
    case 'LogicalNot':
      return same('bool', a.rank, e.op('Not', [a.name], undefined, name));
    case 'Square':
      return same(a.kind, a.rank, e.op('Mul', [a.name, a.name], undefined, name));
    case 'Rsqrt':
      return same(a.kind, a.rank, e.op('Reciprocal', [e.op('Sqrt', [a.name], undefined, `${name}/sqrt`)], undefined, name));
    case 'Relu':
    case 'Tanh':
    case 'Sin':
    case 'Cos':
      return unary(node.op);
    case 'Softmax':
      return same(a.kind, a.rank, e.op('Softmax', [a.name], { axis: -1 }, name));
    case 'Cast': {
      const to = attrType(node, 'DstT');
      if (!to) fail(node, 'unknown target type');
      const kind: Kind = to === 'float32' ? 'float' : to === 'bool' ? 'bool' : 'int';
      return same(kind, a.rank, e.op('Cast', [a.name], { to: KIND_TYPE[kind] }, name), { columns: a.columns, length: a.length });
    }
    case 'MatMul': {
      const x = attrBool(node, 'transpose_a') ? e.op('Transpose', [a.name], { perm: [1, 0] }, `${name}/ta`) : a.name;
      const y = attrBool(node, 'transpose_b') ? e.op('Transpose', [b.name], { perm: [1, 0] }, `${name}/tb`) : b.name;
      return same('float', 2, e.op('MatMul', [x, y], undefined, name));
    }
    case 'BatchMatMul':
    case 'BatchMatMulV2': {
      const swapLast = (v: Value, flag: string) => {
        if (!attrBool(node, flag)) return v.name;
        if (v.rank === null) fail(node, `${flag} needs the rank of its input`);
        const perm = Array.from({ length: v.rank }, (_, i) => i);
        [perm[v.rank - 1], perm[v.rank - 2]] = [perm[v.rank - 2], perm[v.rank - 1]];
        return e.op('Transpose', [v.name], { perm }, `${name}/${flag}`);
      };
      return same('float', maxRank(a, b), e.op('MatMul', [swapLast(a, 'adj_x'), swapLast(b, 'adj_y')], undefined, name));
    }
    case 'Conv2D': {
      // Transformers export dense layers as 1×1 convolutions: NHWC input × [1,1,in,out] filter = MatMul.
      const filter = graph.weights.get(node.input[1]);
      if (!filter || filter.shape.length !== 4 || filter.shape[0] !== 1 || filter.shape[1] !== 1) {
        fail(node, 'only 1×1 convolutions with a constant filter are supported');
      }
      if (attrString(node, 'data_format') === 'NCHW') fail(node, 'NCHW convolutions are not supported');
      for (const attr of ['strides', 'dilations']) if (attrInts(node, attr).some((s) => s !== 1)) fail(node, `${attr} other than 1`);
      const [, , cin, cout] = filter.shape;
      const w = e.tensor(`${node.input[1]}/as_matmul`, DataType.FLOAT, [cin, cout], rawOf(filter.data as Float32Array));
      return same('float', a.rank, e.op('MatMul', [a.name, w], undefined, name));
    }
    case 'Mean':
    case 'Sum':
    case 'Max':
    case 'Prod': {
      const axes = constValues(node, b, 'reduction axes');
      const keep = attrBool(node, 'keep_dims') ? 1 : 0;
      const rank = a.rank === null ? null : keep ? a.rank : a.rank - axes.length;
      const onnxOp = { Mean: 'ReduceMean', Sum: 'ReduceSum', Max: 'ReduceMax', Prod: 'ReduceProd' }[node.op]!;
      // Opset 17: ReduceSum takes axes as an input, the others as an attribute.
      const out =
        node.op === 'Sum'
          ? e.op('ReduceSum', [a.name, e.int64(axes, [axes.length], `${name}/axes`)], { keepdims: keep }, name)
          : e.op(onnxOp, [a.name], { axes, keepdims: keep }, name);
      // Reducing the rows of an [n, k] matrix leaves a vector of length k.
      const length = rank === 1 && a.rank === 2 && a.columns !== undefined && axes.length === 1 && (axes[0] === 0 || axes[0] === -2) ? a.columns : undefined;
      return same(a.kind, rank, out, { length });
    }
    case 'ConcatV2': {
      const axisValue = ins[ins.length - 1];
      const axis = constValues(node, axisValue, 'axis')[0];
      const parts = ins.slice(0, -1);
      const length = parts.every((p) => p.rank === 1 && p.length !== undefined) ? parts.reduce((n, p) => n + p.length!, 0) : undefined;
      return same(parts[0].kind, parts[0].rank, e.op('Concat', parts.map((p) => p.name), { axis }, name), { length });
    }
    case 'ExpandDims': {
      const axis = constValues(node, b, 'axis');
      return same(a.kind, a.rank === null ? null : a.rank + 1, e.op('Unsqueeze', [a.name, e.int64(axis, [1], `${name}/axes`)], undefined, name));
    }
    case 'Squeeze': {
      const axes = attrInts(node, 'squeeze_dims');
      if (axes.length === 0) fail(node, 'squeezing every size-1 dimension depends on runtime shapes; name the axes');
      return same(a.kind, a.rank === null ? null : a.rank - axes.length, e.op('Squeeze', [a.name, e.int64(axes, [axes.length], `${name}/axes`)], undefined, name));
    }
    case 'Pack': {
      const axis = attrInt(node, 'axis');
      const axes = e.int64([axis], [1], `${name}/axes`);
      const parts = ins.map((v, i) => e.op('Unsqueeze', [v.name, axes], undefined, `${name}/part${i}`));
      const rank = a.rank === null ? null : a.rank + 1;
      return same(a.kind, rank, e.op('Concat', parts, { axis }, name), { length: rank === 1 ? ins.length : undefined });
    }
    case 'Reshape': {
      const rank = b.constant ? b.constant.values.length : (b.length ?? null);
      return same(a.kind, rank, e.op('Reshape', [a.name, b.name], undefined, name));
    }
    case 'Shape':
      return same('int', 1, e.op('Shape', [a.name], undefined, name), { length: a.rank ?? undefined });
    case 'StridedSlice': {
      const [x, beginV, endV, stridesV] = ins;
      if (attrInt(node, 'ellipsis_mask') || attrInt(node, 'new_axis_mask')) fail(node, 'ellipsis and new-axis masks are not supported');
      const begin = constValues(node, beginV, 'begin');
      const end = constValues(node, endV, 'end');
      const strides = constValues(node, stridesV, 'strides');
      const beginMask = attrInt(node, 'begin_mask');
      const endMask = attrInt(node, 'end_mask');
      const shrink = attrInt(node, 'shrink_axis_mask');
      const starts: bigint[] = [];
      const ends: bigint[] = [];
      const squeeze: number[] = [];
      begin.forEach((s, i) => {
        const bit = 1 << i;
        if (shrink & bit) {
          starts.push(BigInt(s));
          ends.push(s === -1 ? INT64_MAX : BigInt(s + 1));
          squeeze.push(i);
          return;
        }
        if (strides[i] < 0) fail(node, 'negative strides are not supported');
        starts.push(beginMask & bit ? 0n : BigInt(s));
        ends.push(endMask & bit ? INT64_MAX : BigInt(end[i]));
      });
      const axes = begin.map((_, i) => i);
      let out = e.op(
        'Slice',
        [x.name, e.int64(starts, [starts.length], `${name}/starts`), e.int64(ends, [ends.length], `${name}/ends`), e.int64(axes, [axes.length], `${name}/axes`), e.int64(strides, [strides.length], `${name}/steps`)],
        undefined,
        squeeze.length ? `${name}/slice` : name,
      );
      if (squeeze.length) out = e.op('Squeeze', [out, e.int64(squeeze, [squeeze.length], `${name}/squeeze`)], undefined, name);
      const rank = x.rank === null ? null : x.rank - squeeze.length;
      // Slicing a shape vector of known length: the result's length is known too.
      let length: number | undefined;
      if (rank === 1 && x.rank === 1 && x.length !== undefined) {
        const clamp = (v: bigint) => Math.max(0, Math.min(x.length!, Number(v < 0n ? BigInt(x.length!) + v : v > BigInt(x.length!) ? BigInt(x.length!) : v)));
        length = Math.max(0, Math.ceil((clamp(ends[0]) - clamp(starts[0])) / strides[0]));
      }
      return same(x.kind, rank, out, { length });
    }
    case 'Slice': {
      const [x, beginV, sizeV] = ins;
      const k = beginV.constant?.values.length ?? beginV.length;
      if (k === undefined) fail(node, 'the number of sliced axes must be known');
      let ends: string;
      if (beginV.constant && sizeV.constant) {
        const bs = beginV.constant.values;
        ends = e.int64(sizeV.constant.values.map((s, i) => (s === -1 ? INT64_MAX : BigInt(bs[i] + s))), [k], `${name}/ends`);
      } else {
        // size −1 means "to the end".
        const minusOne = e.int64([-1], [1], `${name}/minus_one`);
        const max = e.int64([INT64_MAX], [1], `${name}/max`);
        ends = e.op('Where', [e.op('Equal', [sizeV.name, minusOne], undefined, `${name}/to_end`), max, e.op('Add', [beginV.name, sizeV.name], undefined, `${name}/end`)], undefined, `${name}/ends`);
      }
      const axes = e.int64(Array.from({ length: k }, (_, i) => i), [k], `${name}/axes`);
      let length: number | undefined;
      if (x.rank === 1 && beginV.constant && sizeV.constant) {
        const size = sizeV.constant.values[0];
        length = size === -1 ? (x.length === undefined ? undefined : x.length - beginV.constant.values[0]) : size;
      }
      return same(x.kind, x.rank, e.op('Slice', [x.name, beginV.name, ends, axes], undefined, name), { length });
    }
    case 'SplitV': {
      const [x, sizes, axisV] = ins;
      const split = constValues(node, sizes, 'split sizes');
      if (split.includes(-1)) fail(node, 'a split size of -1 is not supported');
      const axis = constValues(node, axisV, 'axis')[0];
      const outs = e.opMulti('Split', [x.name, e.int64(split, [split.length], `${name}/split`)], split.length, { axis }, name);
      return outs.map((o) => ({ name: o, kind: x.kind, rank: x.rank }));
    }
    case 'GatherV2': {
      const [params, indices, axisV] = ins;
      if (attrInt(node, 'batch_dims') !== 0) fail(node, 'batch_dims other than 0');
      const axis = constValues(node, axisV, 'axis')[0];
      const rank = params.rank === null || indices.rank === null ? null : params.rank + indices.rank - 1;
      // Picking rows of an [n, k] matrix keeps k columns.
      const columns = axis === 0 && params.rank === 2 && indices.rank === 1 ? params.columns : undefined;
      // Picking entries of a shape vector: as many as there are indices.
      const length = params.rank === 1 && indices.rank === 1 ? (indices.constant?.values.length ?? indices.length) : undefined;
      return same(params.kind, rank, e.op('Gather', [params.name, indices.name], { axis }, name), { columns, length });
    }
    case 'GatherNd': {
      const [params, indices] = ins;
      if (params.rank === null || indices.rank === null || indices.columns === undefined) {
        fail(node, `needs the ranks of its inputs (params rank ${params.rank}, indices rank ${indices.rank}, index width ${indices.columns})`);
      }
      return same(params.kind, indices.rank - 1 + params.rank - indices.columns, e.op('GatherND', [params.name, indices.name], undefined, name));
    }
    case 'ScatterNd': {
      const [indices, updates, shape] = ins;
      const zero = { tensor: { dataType: KIND_TYPE[updates.kind], dims: [1], raw: updates.kind === 'float' ? rawOf(new Float32Array(1)) : updates.kind === 'int' ? rawOf(new BigInt64Array(1)) : new Uint8Array(1) } };
      const data = e.op('ConstantOfShape', [shape.name], { value: zero }, `${name}/zeros`);
      return same(updates.kind, shape.constant?.values.length ?? shape.length ?? null, e.op('ScatterND', [data, indices.name, updates.name], undefined, name));
    }
    case 'SparseToDense': {
      const [indices, shape, vals, fill] = ins;
      if (indices.rank !== 2) fail(node, 'indices must be an [n, k] matrix');
      const dense = e.op('Expand', [fill.name, shape.name], undefined, `${name}/fill`);
      return same(vals.kind, shape.length ?? null, e.op('ScatterND', [dense, indices.name, vals.name], undefined, name));
    }
    case 'Where': {
      if (ins.length !== 1) fail(node, 'only the one-input form (positions of true values) is supported');
      const nz = e.op('NonZero', [a.name], undefined, `${name}/nonzero`);
      return same('int', 2, e.op('Transpose', [nz], { perm: [1, 0] }, name), { columns: a.rank ?? undefined });
    }
    case 'Range':
      return same(a.kind, 1, e.op('Range', [ins[0].name, ins[1].name, ins[2].name], undefined, name));
    case 'Transpose': {
      const perm = constValues(node, b, 'permutation');
      return same(a.kind, a.rank, e.op('Transpose', [a.name], { perm }, name));
    }
    default:
      fail(node, `no ONNX rule for op ${node.op}`);
  }
}
