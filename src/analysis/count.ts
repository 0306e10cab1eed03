// Analysis helper: exact element counts of conjunctions of simple leaves over a rectangle, one
// query row at a time and in closed form per row: affine comparisons give an interval of keys,
// query-only leaves a yes / no, and at most one further leaf (a periodic `(affine) % m` test or
// a key-only leaf) is counted inside that interval. This decides and counts tiles such as
// `causal and dilated(...)` on the band edges without splitting down to elements.
import type { AnalysisContext } from './context.ts';
import { DEP_K, DEP_Q } from './fold.ts';
import { profileCount, profileOf } from './leaves.ts';
import { affineLeaf, linearOf } from './refine.ts';
import { floorMod } from '../reference/int.ts';

interface Linear { a: number; b: number; c: number; da: number; db: number }
interface ModLeaf { lin: Linear; m: number; lo: number; hi: number; neg: boolean }

type Part =
  | { kind: 'affine'; lin: Linear; lo: number; hi: number }
  | { kind: 'mod'; leaf: ModLeaf }
  | { kind: 'k'; id: number }
  | { kind: 'q'; id: number };

export interface CountPlan {
  rows: Part[];
  inner: Part | null;
  /** Counts by rectangle: heads that differ only in a substituted leaf count the same pieces. */
  memo?: Map<string, number>;
}

/** `(affine) % m` compared with a constant, as residues in [lo, hi] (neg: outside). */
export function modLeaf(ctx: AnalysisContext, id: number): ModLeaf | null {
  const n = ctx.pool.nodes[id]!;
  if (n.kind !== 'op' || !['lt', 'le', 'eq', 'ne'].includes(n.op)) return null;
  const [x, y] = n.args as [number, number];
  const cx = ctx.pool.constOf(x), cy = ctx.pool.constOf(y);
  const modSide = cx === undefined ? x : y;
  const c = cx === undefined ? cy : cx;
  if (c === undefined) return null;
  const mn = ctx.pool.nodes[modSide]!;
  if (mn.kind !== 'op' || mn.op !== 'mod' || mn.type !== 'int') return null;
  const m = ctx.pool.constOf(mn.args[1]!);
  const lin = linearOf(ctx, mn.args[0]!);
  if (m === undefined || m <= 0 || !lin || Math.abs(lin.b) !== 1 || lin.da !== 1 || lin.db !== 1) return null;
  const modLeft = modSide === x;
  let lo = 0, hi = m - 1, neg = false;
  switch (n.op) {
    case 'eq': lo = hi = c; break;
    case 'ne': lo = hi = c; neg = true; break;
    case 'le': if (modLeft) hi = c; else lo = c; break;
    case 'lt': if (modLeft) hi = c - 1; else lo = c + 1; break;
  }
  return { lin, m, lo: Math.max(lo, 0), hi: Math.min(hi, m - 1), neg };
}

/** Number of j in [0, p) with (r0 + j) mod m in [lo, hi]. */
function residues(r0: number, p: number, m: number, lo: number, hi: number): number {
  if (hi < lo || p <= 0) return 0;
  const width = hi - lo + 1;
  let n = Math.floor(p / m) * width;
  const rem = p % m;
  if (rem > 0) {
    const end = r0 + rem - 1;
    n += end < m ? overlap(r0, end, lo, hi) : overlap(r0, m - 1, lo, hi) + overlap(0, end - m, lo, hi);
  }
  return n;
}

function overlap(a: number, b: number, lo: number, hi: number): number {
  return Math.max(0, Math.min(b, hi) - Math.max(a, lo) + 1);
}

function partOf(ctx: AnalysisContext, id: number): Part | null {
  const dep = ctx.pool.dep[id]!;
  if (dep === DEP_K) return { kind: 'k', id };
  if (dep === DEP_Q) return { kind: 'q', id };
  const aff = affineLeaf(ctx, id);
  if (aff && !aff.ne) return { kind: 'affine', lin: aff.lin, lo: aff.lo, hi: aff.hi };
  const mod = modLeaf(ctx, id);
  return mod ? { kind: 'mod', leaf: mod } : null;
}

/** A plan when `root` is a leaf or a conjunction of countable leaves (at most one not an interval). */
export function countPlan(ctx: AnalysisContext, root: number): CountPlan | null {
  const cached = ctx.countPlans.get(root);
  if (cached !== undefined) return cached;
  const n = ctx.pool.nodes[root]!;
  const kids = n.kind === 'op' && n.op === 'and' ? n.args : [root];
  const rows: Part[] = [];
  let inner: Part | null = null;
  let plan: CountPlan | null = { rows, inner: null };
  for (const id of kids) {
    const p = partOf(ctx, id);
    if (!p) { plan = null; break; }
    if (p.kind === 'affine' || p.kind === 'q') rows.push(p);
    else if (inner) { plan = null; break; }
    else inner = p;
  }
  if (plan) plan.inner = inner;
  ctx.countPlans.set(root, plan);
  return plan;
}

/** Allowed elements of the plan over the rectangle, row by row. */
export function countRows(ctx: AnalysisContext, plan: CountPlan, q0: number, q1: number, k0: number, k1: number): number {
  if (q1 - q0 < 8) return countRowsNow(ctx, plan, q0, q1, k0, k1);
  const memo = plan.memo ?? (plan.memo = new Map());
  const key = `${q0},${q1},${k0},${k1}`;
  let n = memo.get(key);
  if (n === undefined) { n = countRowsNow(ctx, plan, q0, q1, k0, k1); memo.set(key, n); }
  return n;
}

function countRowsNow(ctx: AnalysisContext, plan: CountPlan, q0: number, q1: number, k0: number, k1: number): number {
  let total = 0;
  const inner = plan.inner;
  const kProf = inner?.kind === 'k' ? profileOf(ctx, inner.id, 'k') : null;
  for (let q = q0; q <= q1; q++) {
    let ka = k0, kb = k1, ok = true;
    for (const p of plan.rows) {
      if (p.kind === 'q') { if (profileCount(profileOf(ctx, p.id, 'q'), q, q) < 1) { ok = false; break; } continue; }
      if (p.kind !== 'affine') continue;
      const { a, b, c, da, db } = p.lin;
      const t = a * Math.floor(q / da) + c;
      if (b === 0) { if (t < p.lo || t > p.hi) { ok = false; break; } continue; }
      let lo: number, hi: number;
      if (b > 0) { lo = Math.ceil((p.lo - t) / b); hi = Math.floor((p.hi - t) / b); }
      else { lo = Math.ceil((p.hi - t) / b); hi = Math.floor((p.lo - t) / b); }
      lo = lo * db; hi = hi * db + db - 1;
      if (lo > ka) ka = lo;
      if (hi < kb) kb = hi;
      if (ka > kb) { ok = false; break; }
    }
    if (!ok || ka > kb) continue;
    const width = kb - ka + 1;
    if (!inner) { total += width; continue; }
    if (kProf) { total += profileCount(kProf, ka, kb); continue; }
    if (inner.kind === 'mod') {
      const { lin, m, lo, hi, neg } = inner.leaf;
      const t = lin.a * q + lin.c;
      const r0 = lin.b > 0 ? floorMod(t + ka, m) : floorMod(t - kb, m);
      const n = residues(r0, width, m, lo, hi);
      total += neg ? width - n : n;
    }
  }
  return total;
}
