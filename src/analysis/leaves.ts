// Analysis stage, step 3: the value of one leaf along one query-tile row, per key tile. A leaf
// is a comparison, a random / top-k block atom, a runtime lookup, or a whole subexpression over
// k only (or q only). Key-only leaves are solved once, exactly, at element granularity (a
// "profile") and summarised per key tile; they are shared by every row. Query-only leaves
// likewise per query tile. Leaves over both are bisected along the row down to single tiles.
import type { AnalysisContext } from './context.ts';
import { DEP_K, DEP_Q } from './fold.ts';
import { floorDiv } from '../reference/int.ts';
import { affineLeaf, refineRect } from './refine.ts';
import { modLeaf } from './count.ts';

const F = 0, T = 1, M = 2, U = 3, R = 4;

/** Element-granular runs of a one-variable leaf over [0, n), with prefix counts of allowed positions. */
export interface Profile {
  ends: Int32Array;
  vals: Uint8Array;
  /** cum[i] = allowed positions before ends[i] (T and R count as allowed). */
  cum: Float64Array;
}

export interface KTileRuns {
  ends: Int32Array; vals: Uint8Array;
  /** cum[t]: allowed keys of tiles 0 .. t-1 (length nkt + 1). */
  cum: Float64Array;
  /**
   * The runs that are not FALSE (start, end, value) and, per tile, how many tiles before it are
   * MIXED / TRUE / RUNTIME; null when some run is UNKNOWN. A residual copied into many rows is
   * then emitted without visiting its FALSE runs (S2: one MIXED tile in four).
   */
  live: { start: Int32Array; end: Int32Array; val: Uint8Array; cumM: Int32Array; cumT: Int32Array; cumR: Int32Array } | null;
}

/** Per-tile summary of a one-variable leaf: value and allowed positions along its variable. */
export interface TileSummary { val: Uint8Array; count: Float64Array }

export function profileOf(ctx: AnalysisContext, id: number, axis: 'q' | 'k'): Profile {
  const cache = axis === 'k' ? ctx.kProfiles : ctx.qProfiles;
  let p = cache.get(id);
  if (p) return p;
  const prog = ctx.program(id);
  const n = axis === 'k' ? ctx.Nk : ctx.Nq;
  const ends: number[] = [], vals: number[] = [];
  const push = (end: number, v: number) => {
    if (vals.length && vals[vals.length - 1] === v) ends[ends.length - 1] = end;
    else { ends.push(end); vals.push(v); }
  };
  const stack: number[] = [0, n - 1];
  while (stack.length) {
    const b = stack.pop()!, a = stack.pop()!;
    const v = axis === 'k' ? prog.eval(0, 0, a, b) : prog.eval(a, b, 0, 0);
    if (v === T || v === F || v === R || a === b) { push(b + 1, v === M ? U : v); continue; }
    const mid = (a + b) >> 1;
    stack.push(mid + 1, b, a, mid);
  }
  const cum = new Float64Array(ends.length);
  let acc = 0, start = 0;
  for (let i = 0; i < ends.length; i++) {
    const len = ends[i]! - start;
    acc += vals[i] === T || vals[i] === R ? len : vals[i] === U ? len / 2 : 0;
    cum[i] = acc;
    start = ends[i]!;
  }
  p = { ends: Int32Array.from(ends), vals: Uint8Array.from(vals), cum };
  cache.set(id, p);
  return p;
}

/** Value of a profile at position x. */
export function profileValueAt(p: Profile, x: number): number {
  let lo = 0, hi = p.ends.length;
  while (lo < hi) { const m = (lo + hi) >> 1; if (p.ends[m]! <= x) lo = m + 1; else hi = m; }
  return p.vals[Math.min(lo, p.vals.length - 1)]!;
}

/** Append the run boundaries of a profile strictly inside (a, b) to out. */
export function profileBoundaries(p: Profile, a: number, b: number, out: number[]): void {
  let lo = 0, hi = p.ends.length;
  while (lo < hi) { const m = (lo + hi) >> 1; if (p.ends[m]! <= a) lo = m + 1; else hi = m; }
  for (let i = lo; i < p.ends.length && p.ends[i]! < b; i++) { out.push(p.ends[i]!); if (out.length > 16) return; }
}

/** Allowed positions of a profile in [a, b] (inclusive). */
export function profileCount(p: Profile, a: number, b: number): number {
  return prefix(p, b + 1) - prefix(p, a);
}

function prefix(p: Profile, x: number): number {
  // first run with end > x - 1, i.e. end >= x
  let lo = 0, hi = p.ends.length;
  while (lo < hi) { const m = (lo + hi) >> 1; if (p.ends[m]! < x) lo = m + 1; else hi = m; }
  if (lo >= p.ends.length) return p.cum[p.cum.length - 1] ?? 0;
  const before = lo ? p.cum[lo - 1]! : 0;
  const start = lo ? p.ends[lo - 1]! : 0;
  const v = p.vals[lo]!;
  const w = v === T || v === R ? 1 : v === U ? 0.5 : 0;
  return before + w * (x - start);
}

export function tileSummary(ctx: AnalysisContext, id: number, axis: 'q' | 'k'): TileSummary {
  const cache = axis === 'k' ? ctx.kTiles : ctx.qTiles;
  let s = cache.get(id);
  if (s) return s;
  const p = profileOf(ctx, id, axis);
  const nt = axis === 'k' ? ctx.nkt : ctx.nqt;
  const b = axis === 'k' ? ctx.tile.bk : ctx.tile.bq;
  const n = axis === 'k' ? ctx.Nk : ctx.Nq;
  const val = new Uint8Array(nt), count = new Float64Array(nt);
  let i = 0;
  for (let t = 0; t < nt; t++) {
    const s0 = t * b, s1 = Math.min(n, s0 + b);
    while (p.ends[i]! <= s0) i++;
    let sawT = false, sawF = false, sawR = false, sawU = false;
    for (let j = i; j < p.ends.length; j++) {
      const v = p.vals[j]!;
      if (v === T) sawT = true; else if (v === F) sawF = true; else if (v === R) sawR = true; else sawU = true;
      if (p.ends[j]! >= s1) break;
    }
    val[t] = sawR ? R : sawU ? U : sawT && sawF ? M : sawT ? T : F;
    count[t] = profileCount(p, s0, s1 - 1);
  }
  s = { val, count };
  cache.set(id, s);
  return s;
}

/** Tile runs of a key-only leaf's summary: ends, values, and prefix sums of allowed keys per tile. */
export function kTileRuns(ctx: AnalysisContext, id: number): KTileRuns {
  let r = ctx.kTileRuns.get(id);
  if (r) return r;
  const { val, count } = tileSummary(ctx, id, 'k');
  const cum = new Float64Array(val.length + 1);
  for (let t = 0; t < val.length; t++) cum[t + 1] = cum[t]! + count[t]!;
  const ends: number[] = [], vals: number[] = [];
  for (let t = 0; t < val.length; t++) {
    if (vals.length && vals[vals.length - 1] === val[t]) ends[ends.length - 1] = t + 1;
    else { ends.push(t + 1); vals.push(val[t]!); }
  }
  r = { ends: Int32Array.from(ends), vals: Uint8Array.from(vals), cum, live: liveRuns(ends, vals, val) };
  ctx.kTileRuns.set(id, r);
  return r;
}

function liveRuns(ends: number[], vals: number[], val: Uint8Array): KTileRuns['live'] {
  if (vals.includes(U)) return null;
  const start: number[] = [], end: number[] = [], v: number[] = [];
  for (let i = 0; i < ends.length; i++) {
    if (vals[i] === F) continue;
    start.push(i ? ends[i - 1]! : 0); end.push(ends[i]!); v.push(vals[i]!);
  }
  const n = val.length;
  const cumM = new Int32Array(n + 1), cumT = new Int32Array(n + 1), cumR = new Int32Array(n + 1);
  for (let t = 0; t < n; t++) {
    cumM[t + 1] = cumM[t]! + (val[t] === M ? 1 : 0);
    cumT[t + 1] = cumT[t]! + (val[t] === T ? 1 : 0);
    cumR[t + 1] = cumR[t]! + (val[t] === R ? 1 : 0);
  }
  return { start: Int32Array.from(start), end: Int32Array.from(end), val: Uint8Array.from(v), cumM, cumT, cumR };
}

/** Runs of a two-variable leaf on row qt: quads [t0, t1, value, count or NaN] covering [0, nkt) (cached). */
export function leafRow(ctx: AnalysisContext, id: number, qt: number): number[] {
  let rows = ctx.rowRuns.get(id);
  if (!rows) { rows = new Array(ctx.nqt); ctx.rowRuns.set(id, rows); }
  let r = rows[qt];
  if (!r) { r = computeRow(ctx, id, qt); rows[qt] = r; }
  return r;
}


/** Append run [t0, t1) of value v to row quads, merging with an equal previous run (MIXED tiles stay single). */
function pushRun(out: number[], t0: number, t1: number, v: number): void {
  if (t1 <= t0) return;
  const n = out.length;
  if (n && out[n - 2] === v && v !== M && out[n - 3] === t0) out[n - 3] = t1;
  else out.push(t0, t1, v, NaN);
}

// (no closures created per row below: under tsx every named closure costs a property definition)
function computeRow(ctx: AnalysisContext, id: number, qt: number): number[] {
  const node = ctx.pool.nodes[id]!;
  const q0 = qt * ctx.tile.bq, q1 = Math.min(ctx.Nq, q0 + ctx.tile.bq) - 1;
  if (node.kind === 'random') return randomRow(ctx, id, q0, q1);
  const { nkt, Nk } = ctx;
  const bk = ctx.tile.bk;
  const out: number[] = [];
  if (node.kind === 'topk') {
    if (!node.causal) return [0, nkt, R, NaN];
    const end = Math.min(Nk, (floorDiv(q1, node.block) + 1) * node.block);
    const te = Math.ceil(end / bk);
    pushRun(out, 0, te, R); pushRun(out, te, nkt, F);
    return out;
  }
  const aff = affineLeaf(ctx, id);
  const plainEq = aff && Math.abs(aff.lin.b) === 1 && Math.abs(aff.lin.a) <= 1 && aff.lin.da === 1 && aff.lin.db === 1;
  if (aff && !aff.ne && aff.lin.b !== 0 && (aff.lo !== aff.hi || plainEq)) {
    affineRow(aff.lin, aff.lo, aff.hi, q0, q1, bk, Nk, nkt, out);
    return out;
  }
  // (q - k) % m in S: periodic, mixed on every tile once a tile spans m residues (dilated)
  const mod = modLeaf(ctx, id);
  if (mod && Math.abs(mod.lin.a) === 1 && q1 - q0 + 1 >= mod.m) {
    const all = mod.hi - mod.lo + 1 >= mod.m, none = mod.hi < mod.lo;
    const v = all || none ? ((all !== mod.neg) ? T : F) : M;
    out.push(0, nkt, v, NaN);
    return out;
  }
  const prog = ctx.program(id);
  const stack: number[] = [0, nkt];
  while (stack.length) {
    const b = stack.pop()!, a = stack.pop()!;
    const k0 = a * bk, k1 = Math.min(b * bk, Nk) - 1;
    let v: number = prog.eval(q0, q1, k0, k1);
    if (v === T || v === F || v === R) { pushRun(out, a, b, v); continue; }
    if (b - a > 1) {
      const mid = (a + b) >> 1;
      stack.push(mid, b, a, mid);
      continue;
    }
    if (v === U) v = refineRect(ctx, prog, q0, q1, k0, k1, false).value;
    pushRun(out, a, b, v);
  }
  return out;
}

/** Value of an affine-with-floors comparison over a rectangle, or -1 when not such a leaf. */
export function affineValue(ctx: AnalysisContext, id: number, q0: number, q1: number, k0: number, k1: number): number {
  const aff = affineLeaf(ctx, id);
  if (!aff || aff.ne) return -1;
  const { a, b, c, da, db } = aff.lin;
  const qa = a * Math.floor(q0 / da), qz = a * Math.floor(q1 / da);
  const ka = b * Math.floor(k0 / db), kz = b * Math.floor(k1 / db);
  const lmin = Math.min(qa, qz) + Math.min(ka, kz) + c, lmax = Math.max(qa, qz) + Math.max(ka, kz) + c;
  if (aff.lo <= lmin && lmax <= aff.hi) return T;
  if (lmax < aff.lo || lmin > aff.hi) return F;
  // straddling: both outcomes occur (extremes are attained at corners), except equality with gaps
  if (aff.lo !== aff.hi) return M;
  return Math.abs(b) === 1 && Math.abs(a) <= 1 && da === 1 && db === 1 ? M : U;
}

/**
 * Runs of a comparison a*floor(q/da) + b*floor(k/db) + c in [lo, hi] along one row, without evaluating
 * rectangles: along the row the tiles go F* M* T* M* F*, and the four boundaries are found by
 * binary search on monotone predicates of the exact range of the affine form over each tile.
 */
function affineRow(
  lin: { a: number; b: number; c: number; da: number; db: number }, lo: number, hi: number, q0: number, q1: number,
  bk: number, Nk: number, nkt: number, out: number[],
): void {
  const fa = Math.floor(q0 / lin.da), fz = Math.floor(q1 / lin.da);
  const qa = Math.min(lin.a * fa, lin.a * fz) + lin.c, qz = Math.max(lin.a * fa, lin.a * fz) + lin.c;
  const g: AffineRowGeom = { qa, qz, b: lin.b, db: lin.db, bk, Nk, nkt };
  let pa: number, pb: number, pc: number, pd: number;
  if (lin.b > 0) {
    pa = firstTile(g, MAX_GE, lo); pb = firstTile(g, MIN_GE, lo);
    pc = firstTile(g, MAX_GT, hi); pd = firstTile(g, MIN_GT, hi);
  } else {
    pa = firstTile(g, MIN_LE, hi); pb = firstTile(g, MAX_LE, hi);
    pc = firstTile(g, MIN_LT, lo); pd = firstTile(g, MAX_LT, lo);
  }
  pushRun(out, 0, pa, F);
  const ts = Math.max(pa, pb), te = Math.min(pc, pd);
  if (ts < te) {
    for (let t = pa; t < ts; t++) pushRun(out, t, t + 1, M);
    pushRun(out, ts, te, T);
    for (let t = te; t < pd; t++) pushRun(out, t, t + 1, M);
  } else for (let t = pa; t < pd; t++) pushRun(out, t, t + 1, M);
  pushRun(out, pd, nkt, F);
}

interface AffineRowGeom { qa: number; qz: number; b: number; db: number; bk: number; Nk: number; nkt: number }
/** Monotone predicates of affineRow: (min | max of the form over tile kt) (>= | > | <= | <) x. */
const MAX_GE = 0, MIN_GE = 1, MAX_GT = 2, MIN_GT = 3, MIN_LE = 4, MAX_LE = 5, MIN_LT = 6, MAX_LT = 7;

/** First key tile where the predicate holds (nkt if none): binary search, the predicate is monotone along the row. */
function firstTile(g: AffineRowGeom, pred: number, x: number): number {
  let l = 0, h = g.nkt;
  while (l < h) {
    const kt = (l + h) >> 1;
    const e0 = g.b * Math.floor((kt * g.bk) / g.db), e1 = g.b * Math.floor((Math.min(kt * g.bk + g.bk, g.Nk) - 1) / g.db);
    const lmin = g.qa + Math.min(e0, e1), lmax = g.qz + Math.max(e0, e1);
    let ok: boolean;
    switch (pred) {
      case MAX_GE: ok = lmax >= x; break;
      case MIN_GE: ok = lmin >= x; break;
      case MAX_GT: ok = lmax > x; break;
      case MIN_GT: ok = lmin > x; break;
      case MIN_LE: ok = lmin <= x; break;
      case MAX_LE: ok = lmax <= x; break;
      case MIN_LT: ok = lmin < x; break;
      default: ok = lmax < x;
    }
    if (ok) h = kt; else l = kt + 1;
  }
  return l;
}

let hitScratch = new Float64Array(1024), mergeScratch = new Float64Array(1024);

/** The tiles a random_blocks leaf hits on one row, in order (randomHits). */
export interface RandomHits { n: number; tile: Int32Array; value: Uint8Array; count: Float64Array }
export const newRandomHits = (): RandomHits => ({ n: 0, tile: new Int32Array(256), value: new Uint8Array(256), count: new Float64Array(256) });
const rowHits = newRandomHits();

/**
 * The key tiles a random_blocks leaf hits on rows [q0, q1], ascending, with T where every
 * (query block, key block) pair of the tile is chosen (else M) and the allowed elements, written
 * into `hits` (reused: valid until the next call with the same object).
 */
export function randomHits(ctx: AnalysisContext, id: number, q0: number, q1: number, hits: RandomHits): RandomHits {
  const node = ctx.pool.nodes[id]!;
  if (node.kind !== 'random') throw new Error('not a random_blocks node');
  const idx = ctx.randomIndex(node);
  const bs = node.block, bk = ctx.tile.bk, Nk = ctx.Nk;
  const qb0 = Math.floor(q0 / bs), qb1 = Math.floor(q1 / bs);
  const nq = qb1 - qb0 + 1;
  // (tile, allowed elements of one chosen block pair in it), packed as tile * 2^24 + elements,
  // in a reused scratch buffer; each query block's hits come out sorted (its list is sorted)
  const { flat, off } = idx.table();
  let nHit = 0, split = 0;
  for (let qb = qb0; qb <= qb1; qb++) {
    if (qb === qb0 + 1) split = nHit;
    const rowsIn = Math.min(q1, qb * bs + bs - 1) - Math.max(q0, qb * bs) + 1;
    for (let j = off[qb]!; j < off[qb + 1]!; j++) {
      const kb = flat[j]!;
      const kEnd = Math.min(Nk, kb * bs + bs);
      const t0 = Math.floor((kb * bs) / bk), t1 = Math.floor((kEnd - 1) / bk);
      for (let t = t0; t <= t1; t++) {
        const cols = Math.min(kEnd, t * bk + bk) - Math.max(kb * bs, t * bk);
        if (nHit === hitScratch.length) { const g = new Float64Array(hitScratch.length * 2); g.set(hitScratch); hitScratch = g; }
        hitScratch[nHit++] = t * 16777216 + rowsIn * cols;
      }
    }
  }
  // one query block: sorted; two (a tile of two blocks): merge; few hits: insertion sort; else native sort
  let sorted = hitScratch;
  if (nq === 2 && nHit > 16) {
    if (mergeScratch.length < nHit) mergeScratch = new Float64Array(hitScratch.length);
    let a = 0, b = split, o = 0;
    while (a < split && b < nHit) mergeScratch[o++] = hitScratch[a]! <= hitScratch[b]! ? hitScratch[a++]! : hitScratch[b++]!;
    while (a < split) mergeScratch[o++] = hitScratch[a++]!;
    while (b < nHit) mergeScratch[o++] = hitScratch[b++]!;
    sorted = mergeScratch;
  } else if (nq > 1 && nHit > 48) hitScratch.subarray(0, nHit).sort();
  else if (nq > 1) {
    for (let i = 1; i < nHit; i++) {
      const x = hitScratch[i]!;
      let j = i - 1;
      while (j >= 0 && hitScratch[j]! > x) { hitScratch[j + 1] = hitScratch[j]!; j--; }
      hitScratch[j + 1] = x;
    }
  }
  let n = 0;
  for (let i = 0; i < nHit;) {
    const t = Math.floor(sorted[i]! / 16777216);
    let j = i, count = 0;
    while (j < nHit && Math.floor(sorted[j]! / 16777216) === t) { count += sorted[j]! % 16777216; j++; }
    // key blocks overlapping tile t
    const kbs = Math.floor((Math.min(Nk, t * bk + bk) - 1) / bs) - Math.floor((t * bk) / bs) + 1;
    if (n === hits.tile.length) {
      const cap = n * 2;
      const t32 = new Int32Array(cap); t32.set(hits.tile); hits.tile = t32;
      const v8 = new Uint8Array(cap); v8.set(hits.value); hits.value = v8;
      const c64 = new Float64Array(cap); c64.set(hits.count); hits.count = c64;
    }
    hits.tile[n] = t; hits.value[n] = j - i === nq * kbs ? T : M; hits.count[n] = count;
    n++;
    i = j;
  }
  hits.n = n;
  return hits;
}

/** A random_blocks leaf on one row as run quads (F between the hit tiles). */
function randomRow(ctx: AnalysisContext, id: number, q0: number, q1: number): number[] {
  const h = randomHits(ctx, id, q0, q1, rowHits);
  const out: number[] = [];
  let pos = 0;
  for (let i = 0; i < h.n; i++) {
    const t = h.tile[i]!;
    if (t > pos) out.push(pos, t, F, NaN);
    out.push(t, t + 1, h.value[i]!, h.count[i]!);
    pos = t + 1;
  }
  if (pos < ctx.nkt) out.push(pos, ctx.nkt, F, NaN);
  return out;
}
