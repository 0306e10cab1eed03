// Analysis stage, step 3: the value of one leaf (a comparison, a random/top-k block atom, a
// runtime lookup) along one query-tile row, as runs over key positions. Key-only leaves are
// solved once at element granularity and shared by every row; query-only leaves are one value
// per row; leaves over both are bisected along the row down to single key tiles.
import type { AnalysisContext } from './context.ts';
import { DEP_K, DEP_Q } from './fold.ts';
import { F, M, R, T, U } from './interval.ts';
import { emptyRuns, pushRun, uniformRuns, type Runs } from './runs.ts';
import { floorDiv } from '../reference/int.ts';
import { refineRect } from './refine.ts';

/** Runs of leaf `id` over [0, Nk) for query tile qt (cached). */
export function leafRow(ctx: AnalysisContext, id: number, qt: number): Runs {
  const dep = ctx.pool.dep[id]!;
  if (!(dep & DEP_Q)) {
    let r = ctx.kRuns.get(id);
    if (!r) { r = kOnlyRuns(ctx, id); ctx.kRuns.set(id, r); }
    return r;
  }
  let rows = ctx.rowRuns.get(id);
  if (!rows) { rows = new Array(ctx.nqt); ctx.rowRuns.set(id, rows); }
  let r = rows[qt];
  if (!r) { r = computeRow(ctx, id, qt); rows[qt] = r; }
  return r;
}

/** Element-granular runs of a leaf that does not depend on q. */
function kOnlyRuns(ctx: AnalysisContext, id: number): Runs {
  const prog = ctx.program(id);
  const out = emptyRuns(0);
  if (!(ctx.pool.dep[id]! & DEP_K)) {
    pushRun(out, ctx.Nk, prog.eval(0, 0, 0, 0), -1);
    return out;
  }
  // depth-first, left to right, so runs come out in order
  const stack: number[] = [0, ctx.Nk - 1];
  while (stack.length) {
    const k1 = stack.pop()!, k0 = stack.pop()!;
    const v = prog.eval(0, 0, k0, k1);
    if (v === T || v === F || v === R || k0 === k1) {
      pushRun(out, k1 + 1, v === M ? U : v, -1);
      continue;
    }
    const mid = (k0 + k1) >> 1;
    stack.push(mid + 1, k1, k0, mid);
  }
  return out;
}

function computeRow(ctx: AnalysisContext, id: number, qt: number): Runs {
  const node = ctx.pool.nodes[id]!;
  const [q0, q1] = ctx.qRange(qt);
  const { Nk } = ctx;
  if (node.kind === 'random') return randomRow(ctx, id, q0, q1);
  if (node.kind === 'topk') {
    if (!node.causal) return uniformRuns(0, Nk, R);
    const end = Math.min(Nk, (floorDiv(q1, node.block) + 1) * node.block);
    const r = emptyRuns(0);
    pushRun(r, end, R, -1);
    pushRun(r, Nk, F, -1);
    return r;
  }
  const prog = ctx.program(id);
  if (!(ctx.pool.dep[id]! & DEP_K)) {
    const v = prog.eval(q0, q1, 0, Nk - 1);
    return uniformRuns(0, Nk, v, v === M ? id * 2 : -1);
  }
  // bisect over key tiles [a, b)
  const bk = ctx.tile.bk;
  const out = emptyRuns(0);
  const stack: number[] = [0, ctx.nkt];
  while (stack.length) {
    const b = stack.pop()!, a = stack.pop()!;
    const k0 = a * bk, k1 = Math.min(b * bk, Nk) - 1;
    let v: number = prog.eval(q0, q1, k0, k1);
    if (v === T || v === F || v === R) { pushRun(out, k1 + 1, v, -1); continue; }
    if (b - a > 1) {
      const mid = (a + b) >> 1;
      stack.push(mid, b, a, mid);
      continue;
    }
    if (v === U) v = refineRect(ctx, prog, q0, q1, k0, k1, false).value;
    pushRun(out, k1 + 1, v, v === M ? id * 2 : -1);
  }
  return out;
}

/** Runs of a random_blocks leaf over one row: T where every query block of the row chose the key block. */
function randomRow(ctx: AnalysisContext, id: number, q0: number, q1: number): Runs {
  const node = ctx.pool.nodes[id]!;
  if (node.kind !== 'random') throw new Error('not a random_blocks node');
  const idx = ctx.randomIndex(node);
  const block = node.block;
  const qb0 = floorDiv(q0, block), qb1 = floorDiv(q1, block);
  const nq = qb1 - qb0 + 1;
  const hits = new Map<number, number>();
  for (let qb = qb0; qb <= qb1; qb++) for (const kb of idx.chosen(qb)) hits.set(kb, (hits.get(kb) ?? 0) + 1);
  const kbs = [...hits.keys()].sort((x, y) => x - y);
  const out = emptyRuns(0);
  for (const kb of kbs) {
    pushRun(out, kb * block, F, -1);
    pushRun(out, Math.min(ctx.Nk, (kb + 1) * block), hits.get(kb) === nq ? T : M, id * 2);
  }
  pushRun(out, ctx.Nk, F, -1);
  return out;
}
