// Analysis stage, step 1: specialise the IR mask of one (layer, head) to concrete sizes, fold
// everything that does not depend on q or k, and hash-cons the result into one node pool
// shared by all heads. Two heads with the same folded root id have the same mask: that is the
// equivalence used for schedule classes.
import type { IrNode, IrProgram, OpName, ScalarType, Sizes, TableDecl } from '../ir/schema.ts';
import { clampIndex, floatFloorDiv, floatFloorMod, floorDiv, floorMod, roundHalfAway } from '../reference/int.ts';

export const DEP_Q = 1;
export const DEP_K = 2;

export type ANode =
  | { kind: 'const'; type: ScalarType; value: number }
  | { kind: 'var'; name: 'q' | 'k' }
  | { kind: 'op'; op: OpName; type: ScalarType; args: number[] }
  | { kind: 'table'; decl: TableDecl; type: ScalarType; args: number[] }
  | { kind: 'input'; name: string; type: ScalarType; args: number[] }
  | { kind: 'member'; name: string; value: number; args: number[] }
  /** Union of random_blocks draws with these seeds (one seed for a single built-in). */
  | { kind: 'random'; r: number; block: number; seeds: number[]; causal: boolean }
  | { kind: 'topk'; k: number; block: number; causal: boolean };

/** Hash-consed pool of folded nodes; ids are topologically ordered (children first). */
export class NodePool {
  readonly nodes: ANode[] = [];
  /** Bit set of DEP_Q / DEP_K per node. */
  readonly dep: number[] = [];
  /** True when the node reads a runtime input or a runtime built-in. */
  readonly runtime: boolean[] = [];
  private readonly ids = new Map<string, number>();

  intern(node: ANode): number {
    const key = nodeKey(node);
    const hit = this.ids.get(key);
    if (hit !== undefined) return hit;
    const id = this.nodes.length;
    this.nodes.push(node);
    let dep = 0;
    let rt = false;
    const kids = children(node);
    for (const c of kids) { dep |= this.dep[c]!; rt ||= this.runtime[c]!; }
    if (node.kind === 'var') dep = node.name === 'q' ? DEP_Q : DEP_K;
    if (node.kind === 'random' || node.kind === 'topk') dep = DEP_Q | DEP_K;
    if (node.kind === 'input' || node.kind === 'member' || node.kind === 'topk') rt = true;
    this.dep.push(dep);
    this.runtime.push(rt);
    this.ids.set(key, id);
    return id;
  }

  constOf(id: number): number | undefined {
    const n = this.nodes[id]!;
    return n.kind === 'const' ? n.value : undefined;
  }

  bool(value: boolean): number { return this.intern({ kind: 'const', type: 'bool', value: value ? 1 : 0 }); }
  int(value: number): number { return this.intern({ kind: 'const', type: 'int', value }); }
  v(name: 'q' | 'k'): number { return this.intern({ kind: 'var', name }); }

  /** Build an op node with folding and boolean simplification. */
  op(op: OpName, type: ScalarType, args: number[]): number {
    const consts = args.map((a) => this.constOf(a));
    if (op === 'and' || op === 'or') return this.junction(op, args);
    // |x| <= c is -c <= x and x <= c (two affine leaves instead of one non-monotone one)
    if ((op === 'le' || op === 'lt') && consts[1] !== undefined) {
      const x = this.nodes[args[0]!]!;
      if (x.kind === 'op' && x.op === 'abs' && x.type === 'int') {
        const c = op === 'le' ? consts[1] : consts[1] - 1;
        if (!Number.isInteger(c)) return this.intern({ kind: 'op', op, type, args });
        return this.op('and', 'bool', [this.op('le', 'bool', [this.int(-c), x.args[0]!]), this.op('le', 'bool', [x.args[0]!, this.int(c)])]);
      }
    }
    // canonical comparisons: a > b is b < a, a >= b is b <= a
    if (op === 'gt') return this.op('lt', type, [args[1]!, args[0]!]);
    if (op === 'ge') return this.op('le', type, [args[1]!, args[0]!]);
    // integer constant reassociation: x - c = x + (-c), (x + c1) + c2 = x + (c1 + c2),
    // (x + c) % m = (x + c % m) % m, so that per-head offsets that agree modulo m fold alike
    if (type === 'int' && op === 'sub' && consts[1] !== undefined && consts[1] !== 0) return this.op('add', type, [args[0]!, this.int(-consts[1])]);
    if (type === 'int' && op === 'add' && consts[0] !== undefined && consts[1] === undefined) return this.op('add', type, [args[1]!, args[0]!]);
    if (type === 'int' && op === 'add' && consts[1] !== undefined) {
      const x = this.nodes[args[0]!]!;
      if (x.kind === 'op' && x.op === 'add' && x.type === 'int') {
        const c1 = this.constOf(x.args[1]!);
        if (c1 !== undefined) return this.op('add', type, [x.args[0]!, this.int(c1 + consts[1])]);
      }
    }
    if (type === 'int' && op === 'mod' && consts[1] !== undefined && consts[1] > 0) {
      const x = this.nodes[args[0]!]!;
      if (x.kind === 'op' && x.op === 'add' && x.type === 'int') {
        const c = this.constOf(x.args[1]!);
        if (c !== undefined && (c < 0 || c >= consts[1])) {
          return this.op('mod', type, [this.op('add', type, [x.args[0]!, this.int(floorMod(c, consts[1]))]), args[1]!]);
        }
      }
    }
    // x + 0, x - 0, x * 1
    if (type === 'int' && (op === 'add' || op === 'sub') && consts[1] === 0) return args[0]!;
    if (type === 'int' && op === 'add' && consts[0] === 0) return args[1]!;
    if (type === 'int' && op === 'mul' && consts[1] === 1) return args[0]!;
    if (type === 'int' && op === 'mul' && consts[0] === 1) return args[1]!;
    if (op === 'not') {
      const a = this.nodes[args[0]!]!;
      if (a.kind === 'op' && a.op === 'not') return a.args[0]!;
    }
    if (op === 'select') {
      const c = consts[0];
      if (c !== undefined) return c !== 0 ? args[1]! : args[2]!;
      if (args[1] === args[2]) return args[1]!;
    }
    if (op === 'tofloat' && consts[0] !== undefined) return this.intern({ kind: 'const', type: 'float', value: consts[0] });
    if (consts.every((c) => c !== undefined)) {
      return this.intern({ kind: 'const', type, value: evalOp(op, type, consts as number[]) });
    }
    return this.intern({ kind: 'op', op, type, args });
  }

  private argsOf(id: number, op: 'and' | 'or'): number[] {
    const n = this.nodes[id]!;
    return n.kind === 'op' && n.op === op ? n.args : [id];
  }

  /**
   * and / or with the simplifications the analysis relies on: constants, flattening,
   * duplicates, x and not (x and y) = x and not y, factoring common conjuncts out of a
   * disjunction, and grouping the children that depend on k only (or q only) into one node,
   * so that such a group is analysed as one exact key-only (query-only) leaf.
   */
  private junction(op: 'and' | 'or', args: number[]): number {
    const absorb = op === 'and' ? 0 : 1;
    let kept: number[] = [];
    for (const a of args) {
      for (const x of this.argsOf(a, op)) {
        const c = this.constOf(x);
        if (c === absorb) return this.bool(absorb === 1);
        if (c === undefined && !kept.includes(x)) kept.push(x);
      }
    }
    if (op === 'and' && kept.length > 1) {
      // x and not (x and y) = x and not y
      kept = kept.map((x) => {
        const n = this.nodes[x]!;
        if (n.kind !== 'op' || n.op !== 'not') return x;
        const inner = this.argsOf(n.args[0]!, 'and');
        if (inner.length < 2 || !inner.some((y) => kept.includes(y))) return x;
        const rest = inner.filter((y) => !kept.includes(y));
        return this.op('not', 'bool', [this.op('and', 'bool', rest)]);
      });
      if (kept.some((x) => this.constOf(x) === 0)) return this.bool(false);
      kept = kept.filter((x) => this.constOf(x) !== 1);
    }
    if (op === 'or' && kept.length > 1) {
      const sets = kept.map((x) => this.argsOf(x, 'and'));
      const common = sets[0]!.filter((y) => sets.every((s) => s.includes(y)));
      if (common.length) {
        const rests = sets.map((s) => s.filter((y) => !common.includes(y)));
        if (rests.some((r) => r.length === 0)) return this.op('and', 'bool', common);
        return this.op('and', 'bool', [...common, this.op('or', 'bool', rests.map((r) => this.op('and', 'bool', r)))]);
      }
    }
    // random_blocks draws of one shape under `or`: one leaf with the union of the seeds
    if (op === 'or') {
      const groups = new Map<string, number[]>();
      for (const x of kept) {
        const n = this.nodes[x]!;
        if (n.kind !== 'random') continue;
        const key = `${n.r},${n.block},${n.causal}`;
        groups.set(key, [...(groups.get(key) ?? []), x]);
      }
      for (const xs of groups.values()) {
        if (xs.length < 2) continue;
        const first = this.nodes[xs[0]!]! as Extract<ANode, { kind: 'random' }>;
        const seeds = [...new Set(xs.flatMap((x) => (this.nodes[x] as Extract<ANode, { kind: 'random' }>).seeds))].sort((a, b) => a - b);
        const merged = this.intern({ kind: 'random', r: first.r, block: first.block, seeds, causal: first.causal });
        kept = [...kept.filter((x) => !xs.includes(x)), merged];
      }
    }
    // x and not x = false, x or not x = true
    for (const x of kept) {
      const n = this.nodes[x]!;
      if (n.kind === 'op' && n.op === 'not' && kept.includes(n.args[0]!)) return this.bool(absorb === 1);
    }
    if (kept.length === 0) return this.bool(absorb === 0);
    if (kept.length === 1) return kept[0]!;
    for (const only of [DEP_K, DEP_Q]) {
      const group = kept.filter((x) => this.dep[x] === only);
      if (group.length >= 2 && group.length < kept.length) {
        kept = [...kept.filter((x) => this.dep[x] !== only), this.junction(op, group)];
      }
    }
    kept.sort((a, b) => a - b);
    return this.intern({ kind: 'op', op, type: 'bool', args: kept });
  }
}

function children(n: ANode): number[] {
  switch (n.kind) {
    case 'op': case 'table': case 'input': return n.args;
    case 'member': return [n.value, ...n.args];
    default: return [];
  }
}

function nodeKey(n: ANode): string {
  switch (n.kind) {
    case 'const': return `c${n.type[0]}${n.value}`;
    case 'var': return n.name;
    case 'op': return `${n.op}:${n.type[0]}(${n.args.join(',')})`;
    case 'table': return `T${n.decl.name}(${n.args.join(',')})`;
    case 'input': return `I${n.name}(${n.args.join(',')})`;
    case 'member': return `M${n.name}:${n.value}(${n.args.join(',')})`;
    case 'random': return `R${n.r},${n.block},${n.seeds.join('+')},${n.causal}`;
    case 'topk': return `K${n.k},${n.block},${n.causal}`;
  }
}

/** The language's operator semantics on constants (same as the reference evaluator). */
export function evalOp(op: OpName, type: ScalarType, v: number[]): number {
  const [x = 0, y = 0, z = 0] = v;
  const isInt = type === 'int';
  switch (op) {
    case 'add': return x + y;
    case 'sub': return x - y;
    case 'mul': return x * y;
    case 'div': return x / y;
    case 'floordiv': return isInt ? floorDiv(x, y) : floatFloorDiv(x, y);
    case 'mod': return isInt ? floorMod(x, y) : floatFloorMod(x, y);
    case 'min': return Math.min(x, y);
    case 'max': return Math.max(x, y);
    case 'neg': return -x;
    case 'abs': return Math.abs(x);
    case 'floor': return Math.floor(x);
    case 'ceil': return Math.ceil(x);
    case 'round': return roundHalfAway(x);
    case 'tofloat': return x;
    case 'tanh': return Math.tanh(x);
    case 'exp': return Math.exp(x);
    case 'log': return Math.log(x);
    case 'sqrt': return Math.sqrt(x);
    case 'eq': return x === y ? 1 : 0;
    case 'ne': return x !== y ? 1 : 0;
    case 'lt': return x < y ? 1 : 0;
    case 'le': return x <= y ? 1 : 0;
    case 'gt': return x > y ? 1 : 0;
    case 'ge': return x >= y ? 1 : 0;
    case 'and': return v.every((a) => a !== 0) ? 1 : 0;
    case 'or': return v.some((a) => a !== 0) ? 1 : 0;
    case 'not': return x !== 0 ? 0 : 1;
    case 'select': return x !== 0 ? y : z;
  }
}

/**
 * Specialise IR node `root` for layer `l`, head `h` at concrete `sizes` into `pool`.
 * Returns the pool id of the folded root.
 */
export function instantiate(ir: IrProgram, sizes: Sizes, pool: NodePool, root: number, l: number, h: number): number {
  const memo = new Map<number, number>();
  const tables = new Map(ir.tables.map((t) => [t.name, t]));
  const go = (id: number): number => {
    const hit = memo.get(id);
    if (hit !== undefined) return hit;
    const r = build(ir.nodes[id]!);
    memo.set(id, r);
    return r;
  };
  const build = (n: IrNode): number => {
    switch (n.kind) {
      case 'int': return pool.int(n.value);
      case 'float': return pool.intern({ kind: 'const', type: 'float', value: n.value });
      case 'bool': return pool.bool(n.value);
      case 'size': return pool.int(sizes[n.name]);
      case 'var':
        if (n.name === 'h') return pool.int(h);
        if (n.name === 'l') return pool.int(l);
        if (n.name === 's') throw new Error('the score variable s cannot appear in a mask');
        return pool.v(n.name);
      case 'op': return pool.op(n.op, n.type, n.args.map(go));
      case 'table': {
        const decl = tables.get(n.name);
        if (!decl) throw new Error(`unknown table '${n.name}'`);
        const args = n.args.map(go);
        const idx = args.map((a) => pool.constOf(a));
        if (idx.every((i) => i !== undefined)) {
          let off = 0;
          for (let d = 0; d < decl.shape.length; d++) off = off * decl.shape[d]! + clampIndex(idx[d]!, decl.shape[d]!);
          const value = decl.data[off]!;
          return n.type === 'bool' ? pool.bool(value !== 0) : pool.intern({ kind: 'const', type: n.type, value });
        }
        return pool.intern({ kind: 'table', decl, type: n.type, args });
      }
      case 'input': return pool.intern({ kind: 'input', name: n.name, type: n.type, args: n.args.map(go) });
      case 'member': return pool.intern({ kind: 'member', name: n.name, value: go(n.value), args: n.args.map(go) });
      case 'random_blocks': {
        const seed = pool.constOf(go(n.seed));
        if (seed === undefined) throw new Error('random_blocks seed must depend only on h, l and sizes');
        if (n.r === 0) return pool.bool(false);
        return pool.intern({ kind: 'random', r: n.r, block: n.block, seeds: [seed], causal: n.causal });
      }
      case 'topk_blocks': return pool.intern({ kind: 'topk', k: n.k, block: n.block, causal: n.causal });
    }
  };
  return go(root);
}

/** Canonical text of a pool node (for reports and debugging). */
export function printNode(pool: NodePool, id: number): string {
  const n = pool.nodes[id]!;
  switch (n.kind) {
    case 'const': return n.type === 'bool' ? (n.value ? 'true' : 'false') : String(n.value);
    case 'var': return n.name;
    case 'op': return `${n.op}(${n.args.map((a) => printNode(pool, a)).join(', ')})`;
    case 'table': return `${n.decl.name}[${n.args.map((a) => printNode(pool, a)).join(', ')}]`;
    case 'input': return `${n.name}[${n.args.map((a) => printNode(pool, a)).join(', ')}]`;
    case 'member': return `${printNode(pool, n.value)} in ${n.name}[${n.args.map((a) => printNode(pool, a)).join(', ')}]`;
    case 'random': return n.seeds.map((seed) => `random_blocks(${n.r}, block=${n.block}, seed=${seed}, causal=${n.causal})`).join(' or ');
    case 'topk': return `topk_blocks(${n.k}, block=${n.block}, causal=${n.causal})`;
  }
}
