// Analysis stage, step 4: deciding an undecided rectangle by splitting it into sub-rectangles
// (at aligned points, so block-structured masks decide quickly) until every piece is decided
// or the budget runs out, and counting its allowed elements. MIXED pieces whose value is one
// affine comparison or one random-blocks atom are counted in closed form instead of split.
import type { AnalysisContext } from './context.ts';
import type { Program } from './interval.ts';
import { floorDiv } from '../reference/int.ts';
import { DEP_K, DEP_Q } from './fold.ts';
import { profileCount, profileOf } from './leaves.ts';
import { countPlan, countRows } from './count.ts';

const F = 0, T = 1, M = 2, U = 3, R = 4;

export interface Refined {
  /** T, F, M (both values proven), R (runtime-dependent) or U (budget exhausted, unproven). */
  value: number;
  /** Allowed elements (runtime pieces count as allowed: the static envelope). */
  count: number;
  exact: boolean;
}

/** Split point of [a, b] (a < b) at the most aligned position: returns m, halves [a, m-1], [m, b]. */
export function alignedSplit(a: number, b: number): number {
  const x = a ^ b;
  const p = 31 - Math.clz32(x);
  return (b >> p) << p;
}

export function refineRect(
  ctx: AnalysisContext, prog: Program, q0: number, q1: number, k0: number, k1: number, wantCount: boolean,
): Refined {
  let sawT = false, sawF = false, sawR = false, undecided = false;
  let count = 0, exact = true;
  let budget = Math.min(ctx.tileBudget, ctx.totalBudget - ctx.evals);
  const stack: number[] = [q0, q1, k0, k1];
  while (stack.length) {
    const b1 = stack.pop()!, b0 = stack.pop()!, a1 = stack.pop()!, a0 = stack.pop()!;
    const area = (a1 - a0 + 1) * (b1 - b0 + 1);
    if (budget <= 0) { undecided = true; count += area / 2; exact = false; continue; }
    budget--;
    const v = prog.eval(a0, a1, b0, b1);
    if (v === T) { sawT = true; count += area; }
    else if (v === F) { sawF = true; }
    else if (v === R) { sawR = true; count += area; }
    else {
      if (v === M) {
        sawT = sawF = true;
        if (!wantCount) break;
        const src = prog.rootSrc();
        const c = src >= 0 ? leafCount(ctx, src, a0, a1, b0, b1) : undefined;
        if (c !== undefined) { count += c; continue; }
      }
      const plan = countPlan(ctx, prog.root);
      if (plan) {
        const c = countRows(ctx, plan, a0, a1, b0, b1);
        count += c;
        if (c > 0) sawT = true;
        if (c < area) sawF = true;
        if (!wantCount && sawT && sawF) break;
        continue;
      }
      if (area === 1) { undecided = true; count += 0.5; exact = false; continue; }
      if (a1 - a0 >= b1 - b0) {
        const m = alignedSplit(a0, a1);
        stack.push(m, a1, b0, b1, a0, m - 1, b0, b1);
      } else {
        const m = alignedSplit(b0, b1);
        stack.push(a0, a1, m, b1, a0, a1, b0, m - 1);
      }
    }
    if (!wantCount && sawT && sawF) break;
  }
  let value: number;
  if (sawR) value = R;
  else if (sawT && sawF) value = M;
  else if (undecided) value = U;
  else value = sawT ? T : F;
  return { value, count, exact: exact && !sawR };
}

// --- closed-form counting of single leaves

interface Linear { a: number; b: number; c: number; da: number; db: number }
const linearCache = new WeakMap<AnalysisContext, Map<number, { lin: Linear; lo: number; hi: number; ne: boolean } | null>>();

/**
 * The node as a * floor(q / da) + b * floor(k / db) + c with integer coefficients and positive
 * divisors (da = db = 1: affine in q and k), or null.
 */
function join(p: Linear, r: Linear, sign: number): Linear | null {
  const da = p.a === 0 ? r.da : r.a === 0 ? p.da : p.da === r.da ? p.da : 0;
  const db = p.b === 0 ? r.db : r.b === 0 ? p.db : p.db === r.db ? p.db : 0;
  if (!da || !db) return null;
  return { a: p.a + sign * r.a, b: p.b + sign * r.b, c: p.c + sign * r.c, da, db };
}

export function linearOf(ctx: AnalysisContext, id: number): Linear | null {
  const n = ctx.pool.nodes[id]!;
  if (n.kind === 'const') return n.type === 'int' ? { a: 0, b: 0, c: n.value, da: 1, db: 1 } : null;
  if (n.kind === 'var') return n.name === 'q' ? { a: 1, b: 0, c: 0, da: 1, db: 1 } : { a: 0, b: 1, c: 0, da: 1, db: 1 };
  if (n.kind !== 'op' || n.type !== 'int') return null;
  const [x, y] = n.args.map((a) => linearOf(ctx, a));
  switch (n.op) {
    case 'add': return x && y ? join(x, y, 1) : null;
    case 'sub': return x && y ? join(x, y, -1) : null;
    case 'neg': return x ? { ...x, a: -x.a, b: -x.b, c: -x.c } : null;
    case 'mul':
      if (x && y && x.a === 0 && x.b === 0) return { ...y, a: y.a * x.c, b: y.b * x.c, c: y.c * x.c };
      if (x && y && y.a === 0 && y.b === 0) return { ...x, a: x.a * y.c, b: x.b * y.c, c: x.c * y.c };
      return null;
    case 'floordiv': {
      // floor(q / d) and floor(k / d) of a bare position
      const d = y && y.a === 0 && y.b === 0 ? y.c : 0;
      if (!x || d <= 0 || x.c !== 0 || x.da !== 1 || x.db !== 1) return null;
      if (x.a === 1 && x.b === 0) return { a: 1, b: 0, c: 0, da: d, db: 1 };
      if (x.a === 0 && x.b === 1) return { a: 0, b: 1, c: 0, da: 1, db: d };
      return null;
    }
    default: return null;
  }
}

/** A comparison a*floor(q/da) + b*floor(k/db) + c in [lo, hi] (ne: not in). */
export function affineLeaf(ctx: AnalysisContext, id: number) {
  let cache = linearCache.get(ctx);
  if (!cache) { cache = new Map(); linearCache.set(ctx, cache); }
  if (cache.has(id)) return cache.get(id)!;
  let res: { lin: Linear; lo: number; hi: number; ne: boolean } | null = null;
  const n = ctx.pool.nodes[id]!;
  if (n.kind === 'op' && ['lt', 'le', 'gt', 'ge', 'eq', 'ne'].includes(n.op)) {
    const x = linearOf(ctx, n.args[0]!), y = linearOf(ctx, n.args[1]!);
    if (x && y) {
      const lin = join(x, y, -1);
      const bounds: Record<string, [number, number]> = {
        lt: [-Infinity, -1], le: [-Infinity, 0], gt: [1, Infinity], ge: [0, Infinity], eq: [0, 0], ne: [0, 0],
      };
      const [lo, hi] = bounds[n.op]!;
      if (lin) res = { lin, lo, hi, ne: n.op === 'ne' };
    }
  }
  cache.set(id, res);
  return res;
}

/** Allowed elements of leaf `src >> 1` (negated when src is odd) over a rectangle, or undefined. */
export function leafCount(ctx: AnalysisContext, src: number, q0: number, q1: number, k0: number, k1: number): number | undefined {
  const id = src >> 1;
  const area = (q1 - q0 + 1) * (k1 - k0 + 1);
  const c = leafCountPositive(ctx, id, q0, q1, k0, k1);
  if (c === undefined) return undefined;
  return src & 1 ? area - c : c;
}

function leafCountPositive(ctx: AnalysisContext, id: number, q0: number, q1: number, k0: number, k1: number): number | undefined {
  const node = ctx.pool.nodes[id]!;
  const dep = ctx.pool.dep[id]!;
  if (!(dep & DEP_Q)) return (q1 - q0 + 1) * profileCount(profileOf(ctx, id, 'k'), k0, k1);
  if (!(dep & DEP_K)) return (k1 - k0 + 1) * profileCount(profileOf(ctx, id, 'q'), q0, q1);
  if (node.kind === 'random') {
    const idx = ctx.randomIndex(node);
    const bs = node.block;
    const kb0 = floorDiv(k0, bs), kb1 = floorDiv(k1, bs);
    let total = 0;
    for (let qb = floorDiv(q0, bs); qb <= floorDiv(q1, bs); qb++) {
      const rows = Math.min(q1, qb * bs + bs - 1) - Math.max(q0, qb * bs) + 1;
      const chosen = idx.chosen(qb);
      const [i0, i1] = idx.rangeIn(qb, kb0, kb1);
      for (let i = i0; i < i1; i++) {
        const kb = chosen[i]!;
        total += rows * (Math.min(k1, kb * bs + bs - 1) - Math.max(k0, kb * bs) + 1);
      }
    }
    return total;
  }
  const aff = affineLeaf(ctx, id);
  if (!aff) {
    const plan = countPlan(ctx, id);
    return plan ? countRows(ctx, plan, q0, q1, k0, k1) : undefined;
  }
  const { lin: { a, b, c, da, db }, lo, hi, ne } = aff;
  const width = k1 - k0 + 1;
  let total = 0;
  for (let q = q0; q <= q1; q++) {
    const t = a * Math.floor(q / da) + c;
    let n: number;
    if (b === 0) n = t >= lo && t <= hi ? width : 0;
    else {
      // j = floor(k / db) with lo <= b * j + t <= hi
      let ja: number, jz: number;
      if (b > 0) { ja = Math.ceil((lo - t) / b); jz = Math.floor((hi - t) / b); }
      else { ja = Math.ceil((hi - t) / b); jz = Math.floor((lo - t) / b); }
      let ka = ja * db, kz = jz * db + db - 1;
      if (!(ka >= k0)) ka = k0;
      if (!(kz <= k1)) kz = k1;
      n = kz >= ka ? kz - ka + 1 : 0;
    }
    total += ne ? width - n : n;
  }
  return total;
}
