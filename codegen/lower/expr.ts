// Lowering of the pattern IR's expression DAG to the lowered expression IR: typed, with int ->
// float conversions explicit, clamped flat indices for tables and inputs, membership loops,
// and common subexpressions (IR nodes used more than once) bound to `let` temporaries.
import type { IrNode, IrProgram } from '../../src/ir/schema.ts';
import type { BufferRegistry } from './buffers.ts';
import { add, clampInt, mk, mul } from './build.ts';
import { int, lit, type LBuffer, type LExpr, type LStmt, type LType } from './ir.ts';

export type PositionVar = 'q' | 'k' | 'h' | 'l' | 's' | 'b';

export interface ExprScope {
  ir: IrProgram;
  buffers: BufferRegistry;
  /** How position variables read in this function (hook arguments or literals). */
  vars: Partial<Record<PositionVar, LExpr>>;
  /** Fresh temporary names (shared counter per function). */
  fresh: () => string;
}

export function coerce(e: LExpr, want: LType): LExpr {
  if (want === 'float' && e.type === 'int') return mk('tofloat', 'float', e);
  return e;
}

function childrenOf(n: IrNode): number[] {
  switch (n.kind) {
    case 'op': case 'table': case 'input': return n.args;
    case 'member': return [n.value, ...n.args];
    default: return [];
  }
}

/** Row-major flat index with every index clamped to its dimension. */
export function flatIndex(indices: LExpr[], shape: number[]): LExpr {
  let acc: LExpr = int(0);
  for (let d = 0; d < shape.length; d++) {
    acc = add(mul(acc, int(shape[d])), clampInt(indices[d], 0, shape[d] - 1));
  }
  return acc;
}

function batchBase(buf: LBuffer, b: LExpr): LExpr {
  return buf.batched ? mul(b, { kind: 'param', type: 'int', name: `${buf.name}_bstride` }) : int(0);
}

export class ExprLowering {
  readonly stmts: LStmt[] = [];
  private memo = new Map<number, LExpr>();
  private uses = new Map<number, number>();

  constructor(private readonly scope: ExprScope, roots: number[]) {
    const seen = new Set<number>();
    const visit = (id: number) => {
      this.uses.set(id, (this.uses.get(id) ?? 0) + 1);
      if (seen.has(id)) return;
      seen.add(id);
      for (const c of childrenOf(scope.ir.nodes[id])) visit(c);
    };
    for (const r of roots) visit(r);
  }

  private bind(e: LExpr): LExpr {
    if (e.kind === 'lit' || e.kind === 'ref' || e.kind === 'param') return e;
    const name = this.scope.fresh();
    this.stmts.push({ kind: 'let', name, type: e.type, value: e });
    return { kind: 'ref', type: e.type, name };
  }

  lower(id: number): LExpr {
    const hit = this.memo.get(id);
    if (hit) return hit;
    let e = this.lowerNode(id, this.scope.ir.nodes[id]);
    if ((this.uses.get(id) ?? 0) > 1) e = this.bind(e);
    this.memo.set(id, e);
    return e;
  }

  private variable(name: PositionVar): LExpr {
    const v = this.scope.vars[name];
    if (!v) throw new Error(`position variable ${name} is not available here`);
    return v;
  }

  private member(value: LExpr, buf: LBuffer, base: LExpr, count: number): LExpr {
    const name = this.scope.fresh();
    this.stmts.push({ kind: 'member', name, value, buffer: buf.name, base: this.bind(base), count });
    return { kind: 'ref', type: 'bool', name };
  }

  private lowerNode(id: number, n: IrNode): LExpr {
    const { ir, buffers } = this.scope;
    const sizes = buffers.sizes;
    switch (n.kind) {
      case 'int': return lit('int', n.value);
      case 'float': return lit('float', n.value);
      case 'bool': return lit('bool', n.value);
      case 'var': return this.variable(n.name);
      case 'size': return lit('int', sizes[n.name]);
      case 'op': return this.lowerOp(n.op, n.type, n.args.map((a) => this.lower(a)));
      case 'table': {
        const buf = buffers.table(n.name);
        const index = flatIndex(n.args.map((a) => this.lower(a)), buf.shape);
        return this.loadAs(buf, index, n.type);
      }
      case 'input': {
        const buf = buffers.input(n.name);
        const index = add(batchBase(buf, this.variable('b')), flatIndex(n.args.map((a) => this.lower(a)), buf.shape));
        return this.loadAs(buf, index, n.type);
      }
      case 'member': {
        const buf = buffers.input(n.name);
        const lead = buf.shape.slice(0, -1), last = buf.shape[buf.shape.length - 1];
        const row = flatIndex(n.args.map((a) => this.lower(a)), lead);
        const base = add(batchBase(buf, this.variable('b')), mul(row, int(last)));
        return this.member(coerce(this.lower(n.value), 'int'), buf, base, last);
      }
      case 'random_blocks': {
        const seedOf = (l: number, h: number) => {
          const sub = new ExprLowering({ ...this.scope, vars: { l: int(l), h: int(h) } }, [n.seed]);
          const v = sub.lower(n.seed);
          if (v.kind !== 'lit' || sub.stmts.length) throw new Error('random_blocks seed must be constant per (l, h)');
          return v.value as number;
        };
        const buf = buffers.randomBlocks(id, n.r, n.block, n.causal, seedOf);
        const { H, Nq } = sizes;
        const headRow = { kind: 'load', type: 'int', buffer: buf.name, index: add(mul(this.variable('l'), int(H)), this.variable('h')) } as LExpr;
        const qb = mk('floordiv', 'int', this.variable('q'), int(n.block));
        const base = add(headRow, mul(clampInt(qb, 0, Math.ceil(Nq / n.block) - 1), int(n.r)));
        if (n.r === 0) return lit('bool', false);
        return this.member(mk('floordiv', 'int', this.variable('k'), int(n.block)), buf, base, n.r);
      }
      case 'topk_blocks': {
        const buf = buffers.topk(id, n.k, n.block, n.causal);
        const [Hh, nqb] = buf.shape;
        const qb = clampInt(mk('floordiv', 'int', this.variable('q'), int(n.block)), 0, nqb - 1);
        const row = add(mul(clampInt(this.variable('h'), 0, Hh - 1), int(nqb)), qb);
        const base = add(batchBase(buf, this.variable('b')), mul(row, int(n.k)));
        return this.member(mk('floordiv', 'int', this.variable('k'), int(n.block)), buf, base, n.k);
      }
    }
  }

  private loadAs(buf: LBuffer, index: LExpr, type: LType): LExpr {
    const load: LExpr = { kind: 'load', type: buf.elem, buffer: buf.name, index };
    if (type === 'bool') return mk('ne', 'bool', load, int(0));
    return coerce(load, type);
  }

  private lowerOp(o: string, type: LType, a: LExpr[]): LExpr {
    const both = (t: LType) => a.map((x) => coerce(x, t));
    switch (o) {
      case 'add': case 'sub': case 'mul': case 'min': case 'max':
        return mk(o, type, ...both(type));
      case 'div': return mk('fdiv', 'float', ...both('float'));
      case 'floordiv': return mk('floordiv', type, ...both(type));
      case 'mod': return mk('floormod', type, ...both(type));
      case 'neg': case 'abs': return mk(o, type, ...both(type));
      case 'floor': case 'ceil': case 'round': return mk(o, 'int', coerce(a[0], 'float'));
      case 'tofloat': return coerce(a[0], 'float');
      case 'tanh': case 'exp': case 'log': case 'sqrt': return mk(o, 'float', coerce(a[0], 'float'));
      case 'eq': case 'ne': case 'lt': case 'le': case 'gt': case 'ge': {
        const t: LType = a.some((x) => x.type === 'float') ? 'float' : a[0].type;
        return mk(o, 'bool', ...both(t));
      }
      case 'and': case 'or': case 'not': return mk(o, 'bool', ...a);
      case 'select': {
        return mk('select', type, a[0], coerce(a[1], type), coerce(a[2], type));
      }
    }
    throw new Error(`unknown op ${o}`);
  }
}
