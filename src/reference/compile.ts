// Compiles the IR expression DAG into a tree of JS closures for one binding (layer, head,
// batch): everything that does not depend on q, k or s is folded to a constant, q-only
// subtrees are cached per row and k-only subtrees are tabulated over [0, Nk). Values are
// numbers; booleans are 0 / 1.
import type { IrNode, IrProgram, Sizes } from '../ir/schema.ts';
import { clampIndex, floatFloorDiv, floatFloorMod, floorDiv, floorMod, roundHalfAway } from './int.ts';
import { randomBlocksTable } from './random.ts';
import type { QkData, ResolvedInput } from './runtime.ts';
import { topkBlocksTable } from './topk.ts';
import { ceilDiv } from './int.ts';

/** A compiled expression: the value at (q, k) with scaled logit s. */
export type ExprFn = (q: number, k: number, s: number) => number;

const DEP_Q = 1;
const DEP_K = 2;
const DEP_S = 4;

/** Which of q, k, s every node depends on (bit set), in one pass over the topologically ordered DAG. */
export function nodeDependencies(ir: IrProgram): Uint8Array {
  const deps = new Uint8Array(ir.nodes.length);
  const of = (id: number, self: number): number => {
    if (id >= self) throw new Error(`IR node ${self} refers forward to node ${id}`);
    return deps[id]!;
  };
  ir.nodes.forEach((node, id) => {
    switch (node.kind) {
      case 'var':
        deps[id] = node.name === 'q' ? DEP_Q : node.name === 'k' ? DEP_K : node.name === 's' ? DEP_S : 0;
        break;
      case 'op': case 'table': case 'input':
        deps[id] = node.args.reduce((acc, a) => acc | of(a, id), 0);
        break;
      case 'member':
        deps[id] = node.args.reduce((acc, a) => acc | of(a, id), of(node.value, id));
        break;
      case 'random_blocks': case 'topk_blocks':
        deps[id] = DEP_Q | DEP_K;
        break;
      default:
        deps[id] = 0;
    }
  });
  return deps;
}

export interface Binding {
  l: number;
  h: number;
  b: number;
  sizes: Sizes;
  inputs: Map<string, ResolvedInput>;
  qk: QkData | undefined;
}

function strides(dims: number[]): number[] {
  const st = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) st[i] = st[i + 1]! * dims[i + 1]!;
  return st;
}

/** Offset of a clamped multi-index built from compiled index expressions. */
function indexer(args: ExprFn[], dims: number[]): (q: number, k: number, s: number) => number {
  const st = strides(dims);
  if (args.length !== dims.length) throw new Error(`lookup has ${args.length} indices for ${dims.length} dimensions`);
  if (args.length === 1) {
    const [a] = args as [ExprFn];
    const n = dims[0]!;
    return (q, k, s) => clampIndex(a(q, k, s), n);
  }
  if (args.length === 2) {
    const [a, b] = args as [ExprFn, ExprFn];
    const [n0, n1] = dims as [number, number];
    return (q, k, s) => clampIndex(a(q, k, s), n0) * n1 + clampIndex(b(q, k, s), n1);
  }
  return (q, k, s) => {
    let off = 0;
    for (let i = 0; i < args.length; i++) off += clampIndex(args[i]!(q, k, s), dims[i]!) * st[i]!;
    return off;
  };
}

/** Compile node `root` (and what it needs) for one binding. */
export function compileExpr(ir: IrProgram, deps: Uint8Array, root: number, bind: Binding): ExprFn {
  const memo = new Map<number, ExprFn>();
  const { sizes } = bind;

  const build = (id: number): ExprFn => {
    const hit = memo.get(id);
    if (hit) return hit;
    let f = raw(ir.nodes[id]!);
    const d = deps[id]!;
    if (d === 0) {
      const v = f(0, 0, 0);
      f = () => v;
    } else if (d === DEP_Q && ir.nodes[id]!.kind !== 'var') {
      f = rowCached(f);
    } else if (d === DEP_K && ir.nodes[id]!.kind !== 'var') {
      f = columnTabulated(f, sizes.Nk);
    }
    memo.set(id, f);
    return f;
  };

  const raw = (node: IrNode): ExprFn => {
    switch (node.kind) {
      case 'int': case 'float': { const v = node.value; return () => v; }
      case 'bool': { const v = node.value ? 1 : 0; return () => v; }
      case 'size': { const v = sizes[node.name]; return () => v; }
      case 'var':
        switch (node.name) {
          case 'q': return (q) => q;
          case 'k': return (_q, k) => k;
          case 's': return (_q, _k, s) => s;
          case 'h': { const v = bind.h; return () => v; }
          case 'l': { const v = bind.l; return () => v; }
        }
        break;
      case 'op': return compileOp(node.op, node.type, node.args.map(build));
      case 'table': {
        const decl = ir.tables.find((t) => t.name === node.name);
        if (!decl) throw new Error(`unknown table '${node.name}'`);
        const at = indexer(node.args.map(build), decl.shape);
        const data = decl.data;
        return (q, k, s) => data[at(q, k, s)]!;
      }
      case 'input': {
        const input = lookupInput(bind, node.name);
        const at = indexer(node.args.map(build), input.dims);
        let base = -1;
        let data: ArrayLike<number> = [];
        return (q, k, s) => {
          if (base < 0) { data = input.data; base = Math.min(bind.b, input.batches - 1) * input.stride; }
          return data[base + at(q, k, s)]!;
        };
      }
      case 'member': return compileMember(node, bind, build);
      case 'random_blocks': {
        const seed = build(node.seed)(0, 0, 0);
        const spec = { r: node.r, block: node.block, seed, causal: node.causal };
        return blockTableLookup(() => randomBlocksTable(spec, sizes.Nq, sizes.Nk), node.block, sizes);
      }
      case 'topk_blocks': {
        return blockTableLookup(() => {
          const qk = bind.qk;
          if (!qk) throw new Error('topk_blocks needs Q and K');
          const { H, Hkv, Nq, Nk } = sizes;
          const b = Math.min(bind.b, qk.B - 1);
          const hkv = Math.floor(bind.h / (H / Hkv));
          return topkBlocksTable({
            q: qk.q, qOffset: ((b * H + bind.h) * Nq) * qk.D,
            k: qk.k, kOffset: ((b * Hkv + hkv) * Nk) * qk.D,
            Nq, Nk, D: qk.D, topk: node.k, block: node.block, causal: node.causal,
          });
        }, node.block, sizes);
      }
    }
    throw new Error(`cannot evaluate IR node ${JSON.stringify(node)}`);
  };

  return build(root);
}

function lookupInput(bind: Binding, name: string): ResolvedInput {
  const input = bind.inputs.get(name);
  if (!input) throw new Error(`unknown runtime input '${name}'`);
  return input;
}

function rowCached(f: ExprFn): ExprFn {
  let lastQ = NaN;
  let v = 0;
  return (q, k, s) => {
    if (q !== lastQ) { v = f(q, k, s); lastQ = q; }
    return v;
  };
}

/** Tabulate a k-only expression over [0, nk) on first use. */
function columnTabulated(f: ExprFn, nk: number): ExprFn {
  let col: Float64Array | undefined;
  return (q, k, s) => {
    if (k >= 0 && k < nk && Number.isInteger(k)) {
      if (!col) { col = new Float64Array(nk); for (let i = 0; i < nk; i++) col[i] = f(0, i, 0); }
      return col[k]!;
    }
    return f(q, k, s);
  };
}

/** `table[qb * nkb + kb]` of a lazily built per-binding block table (random / top-k blocks). */
function blockTableLookup(make: () => Uint8Array, block: number, sizes: Sizes): ExprFn {
  const nqb = ceilDiv(sizes.Nq, block);
  const nkb = ceilDiv(sizes.Nk, block);
  let table: Uint8Array | undefined;
  return (q, k) => {
    const qb = floorDiv(q, block);
    const kb = floorDiv(k, block);
    if (qb < 0 || qb >= nqb || kb < 0 || kb >= nkb) return 0;
    table ??= make();
    return table[qb * nkb + kb]!;
  };
}

function compileMember(node: Extract<IrNode, { kind: 'member' }>, bind: Binding, build: (id: number) => ExprFn): ExprFn {
  const input = lookupInput(bind, node.name);
  const lead = input.dims.slice(0, -1);
  const last = input.dims[input.dims.length - 1]!;
  if (node.args.length !== lead.length) throw new Error(`'in ${node.name}[...]' has ${node.args.length} indices for ${lead.length} leading dimensions`);
  const value = build(node.value);
  const at = lead.length === 0 ? () => 0 : indexer(node.args.map(build), lead);
  const sets = new Map<number, Set<number>>();
  return (q, k, s) => {
    const b = Math.min(bind.b, input.batches - 1);
    const base = b * input.stride + at(q, k, s) * last;
    let set = sets.get(base);
    if (!set) {
      set = new Set();
      const data = input.data;
      for (let i = 0; i < last; i++) { const x = data[base + i]!; if (x >= 0) set.add(x); }
      sets.set(base, set);
    }
    const v = value(q, k, s);
    return v >= 0 && set.has(v) ? 1 : 0;
  };
}

function compileOp(op: string, type: string, a: ExprFn[]): ExprFn {
  const [x, y, z] = a as [ExprFn, ExprFn, ExprFn];
  const isInt = type === 'int';
  switch (op) {
    case 'add': return (q, k, s) => x(q, k, s) + y(q, k, s);
    case 'sub': return (q, k, s) => x(q, k, s) - y(q, k, s);
    case 'mul': return (q, k, s) => x(q, k, s) * y(q, k, s);
    case 'div': return (q, k, s) => x(q, k, s) / y(q, k, s);
    case 'floordiv': return isInt ? (q, k, s) => floorDiv(x(q, k, s), y(q, k, s)) : (q, k, s) => floatFloorDiv(x(q, k, s), y(q, k, s));
    case 'mod': return isInt ? (q, k, s) => floorMod(x(q, k, s), y(q, k, s)) : (q, k, s) => floatFloorMod(x(q, k, s), y(q, k, s));
    case 'min': return (q, k, s) => Math.min(x(q, k, s), y(q, k, s));
    case 'max': return (q, k, s) => Math.max(x(q, k, s), y(q, k, s));
    case 'neg': return (q, k, s) => -x(q, k, s);
    case 'abs': return (q, k, s) => Math.abs(x(q, k, s));
    case 'floor': return (q, k, s) => Math.floor(x(q, k, s));
    case 'ceil': return (q, k, s) => Math.ceil(x(q, k, s));
    case 'round': return (q, k, s) => roundHalfAway(x(q, k, s));
    case 'tofloat': return x;
    case 'tanh': return (q, k, s) => Math.tanh(x(q, k, s));
    case 'exp': return (q, k, s) => Math.exp(x(q, k, s));
    case 'log': return (q, k, s) => Math.log(x(q, k, s));
    case 'sqrt': return (q, k, s) => Math.sqrt(x(q, k, s));
    case 'eq': return (q, k, s) => (x(q, k, s) === y(q, k, s) ? 1 : 0);
    case 'ne': return (q, k, s) => (x(q, k, s) !== y(q, k, s) ? 1 : 0);
    case 'lt': return (q, k, s) => (x(q, k, s) < y(q, k, s) ? 1 : 0);
    case 'le': return (q, k, s) => (x(q, k, s) <= y(q, k, s) ? 1 : 0);
    case 'gt': return (q, k, s) => (x(q, k, s) > y(q, k, s) ? 1 : 0);
    case 'ge': return (q, k, s) => (x(q, k, s) >= y(q, k, s) ? 1 : 0);
    case 'and':
      if (a.length === 2) return (q, k, s) => (x(q, k, s) !== 0 && y(q, k, s) !== 0 ? 1 : 0);
      return (q, k, s) => (a.every((f) => f(q, k, s) !== 0) ? 1 : 0);
    case 'or':
      if (a.length === 2) return (q, k, s) => (x(q, k, s) !== 0 || y(q, k, s) !== 0 ? 1 : 0);
      return (q, k, s) => (a.some((f) => f(q, k, s) !== 0) ? 1 : 0);
    case 'not': return (q, k, s) => (x(q, k, s) !== 0 ? 0 : 1);
    case 'select': return (q, k, s) => (x(q, k, s) !== 0 ? y(q, k, s) : z(q, k, s));
  }
  throw new Error(`unknown IR op '${op}'`);
}
