// The tile classifier of runtime schedules: `classify_tile(b, l, h, qt, kt)` evaluates a rule's
// mask over one tile in interval / three-valued logic (the model is src/analysis/interval.ts)
// and returns EMPTY (0), FULL (1) or PARTIAL (2), soundly: never FULL when some in-range
// element is masked, never EMPTY when one is allowed. q and k range over the tile's in-range
// positions; runtime atoms read the per-tile summaries of runtime.ts's helper kernels. What
// cannot be bounded is "either" (PARTIAL), never a guess.
import type { IrNode, IrProgram } from '../../src/ir/schema.ts';
import type { Tile } from './pattern.ts';
import type { BufferRegistry } from './buffers.ts';
import { add, clampInt, max, min, mk, mul, sub } from './build.ts';
import { dispatchSwitch, lowerDispatch } from './dispatch.ts';
import { ExprLowering, flatIndex, type PositionVar } from './expr.ts';
import { ruleOfPairs } from './hooks.ts';
import { int, lit, ref, type LBuffer, type LExpr, type LFunction, type LStmt } from './ir.ts';
import type { SummaryRegistry } from './runtimeSummaries.ts';
import { commentText } from './text.ts';

export const TILE_EMPTY = 0, TILE_FULL = 1, TILE_PARTIAL = 2;
const INT_MAX = 2147483647, INT_MIN = -2147483648;

/** An abstract value over a tile: exact (independent of q and k), an int range, a bool pair. */
type AVal =
  | { kind: 'point'; e: LExpr }
  | { kind: 'range'; lo: LExpr; hi: LExpr }
  /** t: true somewhere in the tile; f: false somewhere. */
  | { kind: 'bool'; t: LExpr; f: LExpr }
  | { kind: 'unknown' };

const TRUE = lit('bool', true);
const and = (a: LExpr, b: LExpr) => mk('and', 'bool', a, b);
const or = (a: LExpr, b: LExpr) => mk('or', 'bool', a, b);
const not = (a: LExpr) => mk('not', 'bool', a);
const cmp = (o: 'lt' | 'le' | 'eq' | 'ne', a: LExpr, b: LExpr) => mk(o, 'bool', a, b);
const select = (c: LExpr, x: LExpr, y: LExpr) => mk('select', x.type, c, x, y);

function children(n: IrNode): number[] {
  switch (n.kind) {
    case 'op': case 'table': case 'input': return n.args;
    case 'member': return [n.value, ...n.args];
    default: return [];
  }
}

class TileClassifier {
  readonly stmts: LStmt[] = [];
  private memo = new Map<number, AVal>();
  private dependsMemo = new Map<number, boolean>();
  private exact: ExprLowering;

  constructor(
    private readonly ir: IrProgram,
    private readonly buffers: BufferRegistry,
    private readonly summaries: SummaryRegistry,
    private readonly tile: Tile,
    private readonly fresh: () => string,
    root: number,
  ) {
    const vars: Partial<Record<PositionVar, LExpr>> = { b: ref('b', 'int'), l: ref('l', 'int'), h: ref('h', 'int') };
    this.exact = new ExprLowering({ ir, buffers, vars, fresh }, [root]);
  }

  /** Whether a node's value varies with q or k inside a tile. */
  private depends(id: number): boolean {
    const hit = this.dependsMemo.get(id);
    if (hit !== undefined) return hit;
    const n = this.ir.nodes[id]!;
    const d = n.kind === 'var' ? n.name === 'q' || n.name === 'k' || n.name === 's'
      : n.kind === 'topk_blocks' || n.kind === 'random_blocks' ? true
        : children(n).some((c) => this.depends(c));
    this.dependsMemo.set(id, d);
    return d;
  }

  private bind(e: LExpr): LExpr {
    if (e.kind === 'lit' || e.kind === 'ref' || e.kind === 'param') return e;
    const name = this.fresh();
    this.stmts.push({ kind: 'let', name, type: e.type, value: e });
    return ref(name, e.type);
  }

  private range(lo: LExpr, hi: LExpr): AVal { return { kind: 'range', lo: this.bind(lo), hi: this.bind(hi) }; }

  /**
   * [lo, hi] unless the int32 arithmetic that produced it can wrap around somewhere in the
   * tile (`over`), then every int: the kernels wrap, so a wrapped bound would be unsound.
   */
  private wrapping(over: LExpr, lo: LExpr, hi: LExpr): AVal {
    const o = this.bind(over);
    return this.range(select(o, int(INT_MIN), lo), select(o, int(INT_MAX), hi));
  }

  private bool(t: LExpr, f: LExpr): AVal { return { kind: 'bool', t: this.bind(t), f: this.bind(f) }; }

  private asRange(v: AVal): { lo: LExpr; hi: LExpr } | null {
    if (v.kind === 'range') return v;
    if (v.kind === 'point' && v.e.type === 'int') return { lo: v.e, hi: v.e };
    return null;
  }

  asBool(v: AVal): { t: LExpr; f: LExpr } {
    if (v.kind === 'bool') return v;
    if (v.kind === 'point' && v.e.type === 'bool') return { t: v.e, f: not(v.e) };
    return { t: TRUE, f: TRUE };
  }

  value(id: number): AVal {
    const hit = this.memo.get(id);
    if (hit) return hit;
    let v: AVal;
    if (!this.depends(id)) {
      const e = this.exact.lower(id);
      this.stmts.push(...this.exact.stmts.splice(0));
      v = { kind: 'point', e };
    } else {
      v = this.node(this.ir.nodes[id]!, id);
    }
    this.memo.set(id, v);
    return v;
  }

  /** In-range positions of the tile along q or k. */
  private position(name: 'q' | 'k'): AVal {
    const size = name === 'q' ? this.tile.blockM : this.tile.blockN;
    const n = name === 'q' ? this.buffers.sizes.Nq : this.buffers.sizes.Nk;
    const lo = mul(ref(name === 'q' ? 'qt' : 'kt', 'int'), int(size));
    return this.range(lo, sub(min(add(lo, int(size)), int(n)), int(1)));
  }

  private node(n: IrNode, id: number): AVal {
    switch (n.kind) {
      case 'var': return n.name === 'q' || n.name === 'k' ? this.position(n.name) : { kind: 'unknown' };
      case 'op': return this.op(n.op, n.type, n.args.map((a) => this.value(a)), n.args);
      case 'input': return this.input(n);
      case 'member': return this.member(n);
      case 'topk_blocks': return this.topk(n, id);
      default: return { kind: 'unknown' }; // tables at a varying index, random blocks
    }
  }

  private op(o: string, type: string, a: AVal[], argIds: number[]): AVal {
    if (type === 'bool') {
      if (o === 'and' || o === 'or' || o === 'not') {
        const x = this.asBool(a[0]!);
        if (o === 'not') return this.bool(x.f, x.t);
        const y = this.asBool(a[1]!);
        return o === 'and' ? this.bool(and(x.t, y.t), or(x.f, y.f)) : this.bool(or(x.t, y.t), and(x.f, y.f));
      }
      if (o === 'select') {
        const [c, x, y] = a.map((v) => this.asBool(v));
        return this.bool(or(and(c!.t, x!.t), and(c!.f, y!.t)), or(and(c!.t, x!.f), and(c!.f, y!.f)));
      }
      const bothBool = argIds.every((i) => this.isBool(i));
      if ((o === 'eq' || o === 'ne') && bothBool) {
        const [x, y] = a.map((v) => this.asBool(v));
        const same = or(and(x!.t, y!.t), and(x!.f, y!.f));
        const differ = or(and(x!.t, y!.f), and(x!.f, y!.t));
        return o === 'eq' ? this.bool(same, differ) : this.bool(differ, same);
      }
      const x = this.asRange(a[0]!), y = this.asRange(a[1]!);
      if (!x || !y) return { kind: 'unknown' };
      switch (o) {
        case 'lt': return this.bool(cmp('lt', x.lo, y.hi), cmp('le', y.lo, x.hi));
        case 'le': return this.bool(cmp('le', x.lo, y.hi), cmp('lt', y.lo, x.hi));
        case 'gt': return this.bool(cmp('lt', y.lo, x.hi), cmp('le', x.lo, y.hi));
        case 'ge': return this.bool(cmp('le', y.lo, x.hi), cmp('lt', x.lo, y.hi));
        case 'eq': case 'ne': {
          const meet = and(cmp('le', x.lo, y.hi), cmp('le', y.lo, x.hi));
          const single = and(and(cmp('eq', x.lo, x.hi), cmp('eq', y.lo, y.hi)), cmp('eq', x.lo, y.lo));
          return o === 'eq' ? this.bool(meet, not(single)) : this.bool(not(single), meet);
        }
      }
      return { kind: 'unknown' };
    }
    if (type !== 'int') return { kind: 'unknown' }; // float intervals would need f32 rounding
    if (o === 'select') {
      const c = this.asBool(a[0]!), x = this.asRange(a[1]!), y = this.asRange(a[2]!);
      if (!x || !y) return { kind: 'unknown' };
      const pick = (fx: LExpr, fy: LExpr, both: LExpr) => select(not(c.f), fx, select(not(c.t), fy, both));
      return this.range(pick(x.lo, y.lo, min(x.lo, y.lo)), pick(x.hi, y.hi, max(x.hi, y.hi)));
    }
    const x = this.asRange(a[0]!);
    if (!x) return { kind: 'unknown' };
    if (o === 'neg') return this.wrapping(cmp('eq', x.lo, int(INT_MIN)), mk('neg', 'int', x.hi), mk('neg', 'int', x.lo));
    if (o === 'abs') {
      const lo = select(cmp('le', int(0), x.lo), x.lo, select(cmp('le', x.hi, int(0)), mk('neg', 'int', x.hi), int(0)));
      return this.wrapping(cmp('eq', x.lo, int(INT_MIN)), lo, max(mk('neg', 'int', x.lo), x.hi));
    }
    const y = this.asRange(a[1]!);
    if (!y) return { kind: 'unknown' };
    const constant = (v: AVal) => (v.kind === 'point' && v.e.kind === 'lit' ? (v.e.value as number) : null);
    switch (o) {
      case 'add': {
        const over = or(and(cmp('lt', int(0), y.hi), cmp('lt', sub(int(INT_MAX), y.hi), x.hi)), and(cmp('lt', y.lo, int(0)), cmp('lt', x.lo, sub(int(INT_MIN), y.lo))));
        return this.wrapping(over, add(x.lo, y.lo), add(x.hi, y.hi));
      }
      case 'sub': {
        const over = or(and(cmp('lt', y.lo, int(0)), cmp('lt', add(int(INT_MAX), y.lo), x.hi)), and(cmp('lt', int(0), y.hi), cmp('lt', x.lo, add(int(INT_MIN), y.hi))));
        return this.wrapping(over, sub(x.lo, y.hi), sub(x.hi, y.lo));
      }
      case 'min': return this.range(min(x.lo, y.lo), min(x.hi, y.hi));
      case 'max': return this.range(max(x.lo, y.lo), max(x.hi, y.hi));
      case 'mul': {
        const [r, c] = constant(a[1]!) !== null ? [x, constant(a[1]!)!] : constant(a[0]!) !== null ? [y, constant(a[0]!)!] : [null, 0];
        if (!r) return { kind: 'unknown' };
        const limit = Math.floor(INT_MAX / Math.max(1, Math.abs(c)));
        const over = or(cmp('lt', int(limit), r.hi), cmp('lt', r.lo, int(-limit)));
        return c >= 0 ? this.wrapping(over, mul(r.lo, int(c)), mul(r.hi, int(c))) : this.wrapping(over, mul(r.hi, int(c)), mul(r.lo, int(c)));
      }
      case 'floordiv': case 'mod': {
        const d = constant(a[1]!);
        if (d === null || d <= 0) return { kind: 'unknown' };
        const fd = (e: LExpr) => mk('floordiv', 'int', e, int(d));
        if (o === 'floordiv') return this.range(fd(x.lo), fd(x.hi));
        const one = cmp('eq', fd(x.lo), fd(x.hi));
        const fm = (e: LExpr) => mk('floormod', 'int', e, int(d));
        return this.range(select(one, fm(x.lo), int(0)), select(one, fm(x.hi), int(d - 1)));
      }
    }
    return { kind: 'unknown' };
  }

  private isBool(id: number): boolean {
    const n = this.ir.nodes[id]!;
    if (n.kind === 'op' || n.kind === 'table' || n.kind === 'input') return n.type === 'bool';
    return n.kind === 'bool' || n.kind === 'member' || n.kind === 'topk_blocks' || n.kind === 'random_blocks';
  }

  private batchBase(buf: LBuffer): LExpr {
    return mul(ref('b', 'int'), { kind: 'param', type: 'int', name: `${buf.name}_bstride` });
  }

  /** Leading indices (all exact) as a flat row of `shape`, or null. */
  private leadingRow(args: number[], shape: number[]): LExpr | null {
    const vals = args.map((a) => this.value(a));
    if (vals.some((v) => v.kind !== 'point')) return null;
    return flatIndex(vals.map((v) => (v as { e: LExpr }).e), shape);
  }

  /** x[..., q] / x[..., k] over a tile: min and max from the tile summary. */
  private input(n: Extract<IrNode, { kind: 'input' }>): AVal {
    if (n.type === 'float') return { kind: 'unknown' };
    const last = this.ir.nodes[n.args[n.args.length - 1]!]!;
    if (last.kind !== 'var' || (last.name !== 'q' && last.name !== 'k')) return { kind: 'unknown' };
    const src = this.buffers.input(n.name);
    const len = src.shape[src.shape.length - 1]!;
    const { Nq, Nk } = this.buffers.sizes;
    // every in-range position must index the row unclamped, so that the tile summary covers it
    if (len < (last.name === 'q' ? Nq : Nk)) return { kind: 'unknown' };
    const row = this.leadingRow(n.args.slice(0, -1), src.shape.slice(0, -1));
    if (!row) return { kind: 'unknown' };
    const tileSize = last.name === 'q' ? this.tile.blockM : this.tile.blockN;
    const s = this.summaries.tileMinMax(src, tileSize);
    const at = add(this.batchBase(s.buffer), mul(add(mul(row, int(s.tiles)), ref(last.name === 'q' ? 'qt' : 'kt', 'int')), int(2)));
    const lo = this.bind({ kind: 'load', type: 'int', buffer: s.buffer.name, index: at });
    const hi = this.bind({ kind: 'load', type: 'int', buffer: s.buffer.name, index: add(at, int(1)) });
    if (n.type === 'bool') return this.bool(or(cmp('ne', lo, int(0)), cmp('ne', hi, int(0))), and(cmp('le', lo, int(0)), cmp('le', int(0), hi)));
    return { kind: 'range', lo, hi };
  }

  /** Listed values of a sorted list row within [lo, hi]: any (t) and not all (f). */
  private listed(list: LBuffer, base: LExpr, count: number, lo: LExpr, hi: LExpr): { t: LExpr; f: LExpr } {
    const name = this.fresh();
    this.stmts.push({ kind: 'count_sorted', name, buffer: list.name, base: this.bind(base), count, lo, hi });
    const c = ref(name, 'int');
    // not all of [lo, hi] listed: c < hi - lo + 1, as lo + c <= hi (a wrapped lo + c errs to "not all")
    return { t: cmp('lt', int(0), c), f: cmp('le', add(lo, c), hi) };
  }

  private member(n: Extract<IrNode, { kind: 'member' }>): AVal {
    const v = this.asRange(this.value(n.value));
    if (!v) return { kind: 'unknown' };
    const src = this.buffers.input(n.name);
    const len = src.shape[src.shape.length - 1]!;
    const row = this.leadingRow(n.args, src.shape.slice(0, -1));
    if (!row) return { kind: 'unknown' };
    const s = this.summaries.sortedList(src);
    const r = this.listed(s.buffer, add(this.batchBase(s.buffer), mul(row, int(len))), len, v.lo, v.hi);
    return this.bool(r.t, r.f);
  }

  /** topk_blocks: the query blocks the tile spans (a static bound on how many), each a sorted row. */
  private topk(n: Extract<IrNode, { kind: 'topk_blocks' }>, id: number): AVal {
    const src = this.buffers.topk(id, n.k, n.block, n.causal);
    const [H, nqb] = src.shape as [number, number];
    const s = this.summaries.sortedList(src);
    const q = this.asRange(this.position('q'))!, k = this.asRange(this.position('k'))!;
    const fd = (e: LExpr) => mk('floordiv', 'int', e, int(n.block));
    const qb0 = this.bind(clampInt(fd(q.lo), 0, nqb - 1)), qb1 = this.bind(clampInt(fd(q.hi), 0, nqb - 1));
    const kb0 = this.bind(fd(k.lo)), kb1 = this.bind(fd(k.hi));
    const head = clampInt(ref('h', 'int'), 0, H - 1);
    const span = Math.min(nqb, Math.floor((this.tile.blockM - 1) / n.block) + 2);
    let t: LExpr = lit('bool', false), f: LExpr = lit('bool', false);
    for (let i = 0; i < span; i++) {
      const qb = i === 0 ? qb0 : min(add(qb0, int(i)), qb1);
      const base = add(this.batchBase(s.buffer), mul(add(mul(head, int(nqb)), qb), int(n.k)));
      const r = this.listed(s.buffer, base, n.k, kb0, kb1);
      t = or(t, r.t);
      f = or(f, r.f);
    }
    return this.bool(t, f);
  }
}

/** `classify_tile(b, l, h, qt, kt)`: each rule's classifier behind the rule dispatch. */
export function lowerTileClassifier(ir: IrProgram, buffers: BufferRegistry, summaries: SummaryRegistry, tile: Tile): { fn: LFunction; tables: LBuffer[] } {
  const { L, H } = buffers.sizes;
  let counter = 0;
  const fresh = () => `c${counter++}`;
  const groupOf = ruleOfPairs(ir, L, H);
  const bodies = new Map<number, LStmt[]>();
  for (const g of [...new Set(groupOf)].sort((a, b) => a - b)) {
    const rule = ir.rules[g]!;
    const c = new TileClassifier(ir, buffers, summaries, tile, fresh, rule.mask);
    const v = c.asBool(c.value(rule.mask));
    const where = rule.span ? ` (line ${rule.span.line})` : '';
    bodies.set(g, [
      { kind: 'comment', text: commentText(`rule ${g}${where}`) },
      ...c.stmts,
      { kind: 'return', value: select(not(v.t), int(TILE_EMPTY), select(not(v.f), int(TILE_FULL), int(TILE_PARTIAL))) },
    ]);
  }
  const d = lowerDispatch(groupOf, H, 'rule_of_pair', 'pair');
  return {
    fn: {
      name: 'classify_tile',
      params: ['b', 'l', 'h', 'qt', 'kt'].map((name) => ({ name, type: 'int' as const })),
      outs: [], ret: 'int', body: dispatchSwitch(d, groupOf, bodies),
    },
    tables: d.table ? [d.table] : [],
  };
}
