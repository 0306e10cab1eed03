// Analysis stage, step 5: the tile classes of one folded mask. Per query-tile row, the leaves'
// runs are combined through the boolean skeleton (and / or / not / select) with five-valued
// logic; a conjunction evaluates its cheaper side first and the rest only where that side is
// not FALSE. The row's runs are then projected onto key tiles; a tile with an UNKNOWN piece is
// refined by splitting. Allowed elements are counted on the way.
import type { AnalysisContext } from './context.ts';
import { DEP_K, DEP_Q } from './fold.ts';
import { F, M, R, T, U, isSkeleton } from './interval.ts';
import { leafRow } from './leaves.ts';
import { leafCount, refineRect } from './refine.ts';
import { emptyRuns, hullNot, mergeRuns, notRuns, pushRun, sliceRuns, uniformRuns, type Runs } from './runs.ts';
import { EMPTY, FULL, PARTIAL, PARTIAL_RUNTIME, PARTIAL_UNDECIDED, TileMapBuilder, type TileMap } from './tilemap.ts';

export interface Classification {
  root: number;
  map: TileMap;
  /** Tiles per code: [EMPTY, FULL, PARTIAL, PARTIAL_UNDECIDED, PARTIAL_RUNTIME]. */
  tiles: number[];
  /** Allowed (q, k) pairs; runtime-dependent pieces count as allowed (static envelope). */
  allowed: number;
  /** False when some partial tile's count was estimated (budget) or the mask is runtime. */
  allowedExact: boolean;
  runtime: boolean;
}

export function classify(ctx: AnalysisContext, root: number): Classification {
  const { nqt, nkt, Nk, Nq } = ctx;
  const { bk } = ctx.tile;
  const prog = ctx.program(root);
  const builder = new TileMapBuilder(nqt, nkt);
  const tiles = [0, 0, 0, 0, 0];
  let allowed = 0, allowedExact = true, runtime = false;
  const costs = new Map<number, number>();

  const cost = (id: number): number => {
    let c = costs.get(id);
    if (c !== undefined) return c;
    const n = ctx.pool.nodes[id]!;
    if (n.kind === 'const') c = 0;
    else if (!isSkeleton(ctx.pool, id)) c = ctx.pool.dep[id]! === DEP_K ? leafRow(ctx, id, 0).end.length : 4;
    else c = (n.kind === 'op' ? n.args : []).reduce((s, a) => s + cost(a), 1);
    costs.set(id, c);
    return c;
  };

  const evalRuns = (id: number, qt: number, lo: number, hi: number): Runs => {
    const n = ctx.pool.nodes[id]!;
    if (n.kind === 'const') return uniformRuns(lo, hi, n.value ? T : F);
    if (!isSkeleton(ctx.pool, id)) {
      const r = leafRow(ctx, id, qt);
      return lo === 0 && hi === Nk ? r : sliceRuns(r, lo, hi);
    }
    if (n.kind !== 'op') throw new Error('unexpected skeleton node');
    switch (n.op) {
      case 'not': return notRuns(evalRuns(n.args[0]!, qt, lo, hi));
      case 'and': case 'or': {
        const isAnd = n.op === 'and';
        const kids = [...n.args].sort((a, b) => cost(a) - cost(b));
        let acc = evalRuns(kids[0]!, qt, lo, hi);
        for (let i = 1; i < kids.length; i++) {
          const hull = hullNot(acc, isAnd ? F : T);
          if (!hull) return acc;
          const part = evalRuns(kids[i]!, qt, hull[0], hull[1]);
          acc = mergeRuns(acc, pad(part, lo, hi, isAnd ? F : T), isAnd);
        }
        return acc;
      }
      case 'select': {
        const c = evalRuns(n.args[0]!, qt, lo, hi);
        const a = evalRuns(n.args[1]!, qt, lo, hi);
        const b = evalRuns(n.args[2]!, qt, lo, hi);
        return mergeRuns(mergeRuns(c, a, true), mergeRuns(notRuns(c), b, true), false);
      }
      case 'eq': case 'ne': {
        const a = evalRuns(n.args[0]!, qt, lo, hi);
        const b = evalRuns(n.args[1]!, qt, lo, hi);
        const eq = mergeRuns(mergeRuns(a, b, true), mergeRuns(notRuns(a), notRuns(b), true), false);
        return n.op === 'eq' ? eq : notRuns(eq);
      }
      default: throw new Error(`unexpected skeleton op ${n.op}`);
    }
  };

  for (let qt = 0; qt < nqt; qt++) {
    builder.startRow(qt);
    const [q0, q1] = ctx.qRange(qt);
    const rows = q1 - q0 + 1;
    const runs = evalRuns(root, qt, 0, Nk);
    const nr = runs.end.length;
    let i = 0;
    let kt = 0;
    while (kt < nkt) {
      const ks = kt * bk;
      const ke = Math.min(ks + bk, Nk);
      // advance to the run containing ks
      while (runs.end[i]! <= ks) i++;
      const rs = i ? runs.end[i - 1]! : 0;
      const re = runs.end[i]!;
      const v = runs.val[i]!;
      if (re >= ke && rs <= ks && (v === T || v === F || v === R)) {
        // bulk: every tile fully inside this run
        const ktEnd = re >= Nk ? nkt : Math.floor(re / bk);
        const code = v === T ? FULL : v === F ? EMPTY : PARTIAL_RUNTIME;
        builder.add(kt, ktEnd, code);
        tiles[code]! += ktEnd - kt;
        if (v !== F) allowed += rows * (Math.min(ktEnd * bk, Nk) - ks);
        if (v === R) runtime = true;
        kt = ktEnd;
        continue;
      }
      // one tile made of several pieces
      let sawT = false, sawF = false, sawR = false, unknown = false, cnt = 0;
      for (let j = i; j < nr; j++) {
        const ps = Math.max(j ? runs.end[j - 1]! : 0, ks);
        const pe = Math.min(runs.end[j]!, ke);
        if (ps >= ke) break;
        let pv = runs.val[j]!;
        const whole = (j ? runs.end[j - 1]! : 0) >= ks && runs.end[j]! <= ke;
        if (pv === M && !whole) pv = U;
        if (pv === T) { sawT = true; cnt += rows * (pe - ps); }
        else if (pv === F) sawF = true;
        else if (pv === R) { sawR = true; cnt += rows * (pe - ps); }
        else if (pv === M) {
          sawT = sawF = true;
          const c = runs.src[j]! >= 0 ? leafCount(ctx, runs.src[j]!, q0, q1, ps, pe - 1) : undefined;
          if (c === undefined) unknown = true; else cnt += c;
        } else unknown = true;
      }
      let code: number;
      if (sawR && !unknown) { code = PARTIAL_RUNTIME; runtime = true; }
      else if (unknown) {
        const ref = refineRect(ctx, prog, q0, q1, ks, ke - 1, true);
        cnt = ref.count;
        if (!ref.exact) allowedExact = false;
        code = ref.value === T ? FULL : ref.value === F ? EMPTY : ref.value === M ? PARTIAL : ref.value === R ? PARTIAL_RUNTIME : PARTIAL_UNDECIDED;
        if (code === PARTIAL_RUNTIME) runtime = true;
      } else code = sawT && sawF ? PARTIAL : sawT ? FULL : EMPTY;
      builder.add(kt, kt + 1, code);
      tiles[code]!++;
      allowed += cnt;
      kt++;
    }
  }
  void Nq; void DEP_Q;
  if (runtime) allowedExact = false;
  return { root, map: builder.finish(), tiles, allowed, allowedExact, runtime };
}

/** Extend runs over [a, b) to [lo, hi) with `v` outside. */
function pad(r: Runs, lo: number, hi: number, v: number): Runs {
  if (r.start === lo && (r.end.length ? r.end[r.end.length - 1] : r.start) === hi) return r;
  const out = emptyRuns(lo);
  pushRun(out, r.start, v, -1);
  for (let i = 0; i < r.end.length; i++) {
    if (r.val[i] === M) { out.end.push(r.end[i]!); out.val.push(M); out.src.push(r.src[i]!); }
    else pushRun(out, r.end[i]!, r.val[i]!, -1);
  }
  pushRun(out, hi, v, -1);
  return out;
}
