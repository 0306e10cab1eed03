// Analysis stage, step 6: the two checks. Coverage: do the heads of a layer together allow
// every causal pair (q >= k)? Decided exactly by classifying `causal and not (head_0 or ...)`,
// which must be EMPTY everywhere. Reachability: can every query receive information from every
// earlier key after n layers (with the residual stream)? Argued on query-tile-sized position
// blocks: an under-approximation (FULL tiles only, so "reachable" is sound) and an
// over-approximation (every non-empty tile, so "never" is sound).
import type { AnalysisContext } from './context.ts';
import { classify, type Classification } from './classify.ts';
import type { Program } from './interval.ts';
import type { CoverageReport, ReachabilityReport } from './schema.ts';
import { PARTIAL_RUNTIME, tileAt, type TileMap } from './tilemap.ts';
import { alignedSplit } from './refine.ts';

const T = 1, F = 0, M = 2, R = 4;

export interface LayerUnion {
  l: number;
  union: Classification;
  /** `causal and not union`: EMPTY everywhere iff the layer covers every causal pair. */
  gaps: Classification;
}

export function layerUnions(ctx: AnalysisContext, rootsByLayer: number[][]): LayerUnion[] {
  const { pool } = ctx;
  const causal = pool.op('le', 'bool', [pool.v('k'), pool.v('q')]);
  const cache = new Map<string, { union: Classification; gaps: Classification }>();
  return rootsByLayer.map((roots, l) => {
    const key = [...new Set(roots)].sort((a, b) => a - b).join(',');
    let hit = cache.get(key);
    if (!hit) {
      const u = pool.op('or', 'bool', [...new Set(roots)]);
      const g = pool.op('and', 'bool', [causal, pool.op('not', 'bool', [u])]);
      hit = { union: classify(ctx, u), gaps: classify(ctx, g) };
      cache.set(key, hit);
    }
    return { l, ...hit };
  });
}

/** An element where `prog` is TRUE inside the rectangle, by splitting; null if none found. */
function witness(ctx: AnalysisContext, prog: Program, q0: number, q1: number, k0: number, k1: number): { q: number; k: number } | null {
  const stack = [q0, q1, k0, k1];
  let budget = 20000;
  while (stack.length && budget-- > 0) {
    const b1 = stack.pop()!, b0 = stack.pop()!, a1 = stack.pop()!, a0 = stack.pop()!;
    const v = prog.eval(a0, a1, b0, b1);
    if (v === F || v === R) continue;
    if (v === T) return { q: a1, k: b0 };
    if (a0 === a1 && b0 === b1) continue;
    if (a1 - a0 >= b1 - b0) { const m = alignedSplit(a0, a1); stack.push(m, a1, b0, b1, a0, m - 1, b0, b1); }
    else { const m = alignedSplit(b0, b1); stack.push(a0, a1, m, b1, a0, a1, b0, m - 1); }
    void M;
  }
  return null;
}

export function coverageReport(ctx: AnalysisContext, unions: LayerUnion[]): CoverageReport {
  const layers = unions.map(({ l, gaps }) => {
    const m = gaps.map;
    if (m.code.length === 0) return { l, ok: true, undecided: false };
    const prog = ctx.program(gaps.root);
    let tried = 0;
    for (let x = 0; x < m.nqt; x++) {
      for (let i = m.rowPtr[x]!; i < m.rowPtr[x + 1]!; i++) {
        // runtime tiles cannot give a static witness; a few hundred static tiles are enough to find one
        if (m.code[i] === PARTIAL_RUNTIME || tried > 256) continue;
        for (let t = m.kt0[i]!; t < m.kt1[i]! && tried <= 256; t++, tried++) {
          const [q0, q1] = ctx.qRange(x), [k0, k1] = ctx.kRange(t);
          const w = witness(ctx, prog, q0, q1, k0, k1);
          if (w) return { l, ok: false, uncovered: w, undecided: false };
        }
      }
    }
    return { l, ok: false, undecided: true };
  });
  return { checked: true, ok: layers.every((x) => x.ok), layers };
}

/** Bit set rows over position blocks. */
class Bits {
  readonly words: number;
  readonly data: Uint32Array;
  constructor(readonly n: number) { this.words = (n + 31) >>> 5; this.data = new Uint32Array(n * this.words); }
  set(r: number, c: number) { this.data[r * this.words + (c >>> 5)]! |= 1 << (c & 31); }
  has(r: number, c: number) { return (this.data[r * this.words + (c >>> 5)]! & (1 << (c & 31))) !== 0; }
  /** OR row s of src into row r of this over words [0, upto); true when something changed. */
  orRow(r: number, src: Bits, s: number, upto = this.words): boolean {
    const w = this.words, d = this.data, o = src.data;
    let changed = 0;
    for (let i = 0; i < upto; i++) {
      const before = d[r * w + i]!;
      const after = before | o[s * w + i]!;
      changed |= before ^ after;
      d[r * w + i] = after;
    }
    return changed !== 0;
  }
  /** Rows of this set with every bit 0..n-1 set (computed on demand by markAllRows). */
  allRows: Uint8Array | null = null;
  /** Record which rows have every bit set (a row OR-ed from such a row becomes full at once). */
  markAllRows(): Uint8Array {
    const w = this.words, d = this.data, n = this.n;
    const out = new Uint8Array(n);
    const fullWords = n >>> 5, tail = n & 31, tailMask = tail ? (2 ** tail - 1) >>> 0 : 0;
    for (let r = 0; r < n; r++) {
      const o = r * w;
      let ok = true;
      for (let i = 0; i < fullWords; i++) if (d[o + i] !== 0xffffffff) { ok = false; break; }
      if (ok && tail && (d[o + fullWords]! >>> 0) !== tailMask) ok = false;
      out[r] = ok ? 1 : 0;
    }
    this.allRows = out;
    return out;
  }
  /** Set every bit 0..n-1 of row r; true when something changed. */
  fillRow(r: number): boolean {
    const w = this.words, d = this.data, n = this.n;
    const fullWords = n >>> 5, tail = n & 31, tailMask = tail ? (2 ** tail - 1) | 0 : 0;
    let changed = false;
    for (let i = 0; i < fullWords; i++) if (d[r * w + i] !== 0xffffffff) { d[r * w + i] = 0xffffffff; changed = true; }
    if (tail && d[r * w + fullWords] !== (tailMask >>> 0)) { d[r * w + fullWords] = tailMask; changed = true; }
    return changed;
  }
  /** Bits 0..r of row r all set. */
  rowComplete(r: number): boolean {
    const w = this.words, d = this.data;
    const full = (r + 1) >>> 5;
    for (let i = 0; i < full; i++) if (d[r * w + i] !== 0xffffffff) return false;
    for (let c = full * 32; c <= r; c++) if (!this.has(r, c)) return false;
    return true;
  }
  copy(): Bits { const b = new Bits(this.n); b.data.set(this.data); b.done = this.done; return b; }
  /** Rows below `done` are known complete (bits 0..r set); they stay so as bits are only added. */
  private done = 0;
  /** First (r, c) with c <= r not set, or null. */
  firstMissingCausal(): [number, number] | null {
    const w = this.words, d = this.data;
    for (let r = this.done; r < this.n; r++) {
      const full = (r + 1) >>> 5;
      for (let i = 0; i < full; i++) {
        if (d[r * w + i] !== 0xffffffff) {
          for (let c = i * 32; ; c++) if (!this.has(r, c)) { this.done = r; return [r, c]; }
        }
      }
      for (let c = full * 32; c <= r; c++) if (!this.has(r, c)) { this.done = r; return [r, c]; }
    }
    this.done = this.n;
    return null;
  }
}

interface LayerEdges { full: Array<Int32Array>; any: Array<Int32Array>; diag: Uint8Array }

function layerEdges(ctx: AnalysisContext, u: LayerUnion): LayerEdges {
  const nb = ctx.nqt, G = ctx.tile.bq, bk = ctx.tile.bk, Nk = ctx.Nk;
  const full: Int32Array[] = [], any: Int32Array[] = [];
  const diag = new Uint8Array(nb);
  const um: TileMap = u.union.map, gm: TileMap = u.gaps.map;
  const nkb = Math.ceil(Nk / G);
  // tiles overlapping key block m, and per row: non-empty / FULL tiles overlapping it
  const needed = new Int32Array(nkb), seen = new Int32Array(nkb), fullSeen = new Int32Array(nkb);
  for (let m = 0; m < nkb; m++) needed[m] = Math.floor((Math.min(Nk, m * G + G) - 1) / bk) - Math.floor((m * G) / bk) + 1;
  const touched: number[] = [];
  for (let b = 0; b < nb; b++) {
    if (bk === G) {
      // key tiles are the position blocks: the edges are the row's tiles, in order
      let nAny = 0, nFull = 0;
      for (let i = um.rowPtr[b]!; i < um.rowPtr[b + 1]!; i++) {
        const n = um.kt1[i]! - um.kt0[i]!;
        nAny += n;
        if (um.code[i] === 1) nFull += n;
      }
      const a = new Int32Array(nAny), f = new Int32Array(nFull);
      let pa = 0, pf = 0;
      for (let i = um.rowPtr[b]!; i < um.rowPtr[b + 1]!; i++) {
        const isFull = um.code[i] === 1;
        for (let t = um.kt0[i]!; t < um.kt1[i]!; t++) { a[pa++] = t; if (isFull) f[pf++] = t; }
      }
      full.push(f);
      any.push(a);
      diag[b] = b < gm.nkt && tileAt(gm, b, b) !== 0 ? 0 : 1;
      continue;
    }
    touched.length = 0;
    for (let i = um.rowPtr[b]!; i < um.rowPtr[b + 1]!; i++) {
      const isFull = um.code[i] === 1;
      for (let t = um.kt0[i]!; t < um.kt1[i]!; t++) {
        const m0 = Math.floor((t * bk) / G), m1 = Math.floor((Math.min(Nk, t * bk + bk) - 1) / G);
        for (let m = m0; m <= m1; m++) {
          if (seen[m] === 0) touched.push(m);
          seen[m]!++;
          if (isFull) fullSeen[m]!++;
        }
      }
    }
    const f: number[] = [];
    for (const m of touched) {
      if (fullSeen[m] === needed[m]) f.push(m);
      seen[m] = 0; fullSeen[m] = 0;
    }
    full.push(Int32Array.from(f));
    any.push(Int32Array.from(touched));
    // diagonal block: the layer allows every causal pair inside it
    const t0 = Math.floor((b * G) / bk), t1 = Math.floor((Math.min(Nk, b * G + G) - 1) / bk);
    let ok = true;
    for (let t = t0; t <= t1 && ok; t++) if (tileAt(gm, b, t) !== 0) ok = false;
    diag[b] = ok ? 1 : 0;
  }
  return { full, any, diag };
}

export function reachabilityReport(ctx: AnalysisContext, unions: LayerUnion[], L: number, maxLayers = 4096): ReachabilityReport {
  const G = ctx.tile.bq;
  const base = { checked: true, layers: L, granularity: G };
  if (ctx.Nq !== ctx.Nk) {
    return { ...base, checked: false, verdict: 'not_applicable', withinLayers: false, note: 'needs Nq = Nk (self-attention)' };
  }
  const nb = ctx.nqt;
  const edges = unions.map((u) => layerEdges(ctx, u));
  // causal-shaped layers (no edge to a later block): a row's bits above its own block are never
  // needed, so complete rows are final and only words up to the diagonal are relayed
  const causalShaped = edges.every((e) => e.any.every((ms, b) => ms.length === 0 || ms[ms.length - 1]! <= b)); // edge lists are ascending
  if (causalShaped) {
    const fast = intervalReach(edges, nb, maxLayers);
    if (fast) {
      if (fast.verdict === 'never') {
        const [b, m] = fast.missing!;
        return { ...base, verdict: 'never', withinLayers: false, example: { q: Math.min(ctx.Nq - 1, b * G + G - 1), k: m * G }, note: `key block ${m} never reaches query block ${b} (over-approximation with every non-empty tile as an edge)` };
      }
      if (fast.verdict === 'reachable') {
        return {
          ...base, verdict: 'reachable', layersNeeded: fast.layers, lowerBound: fast.lowerBound, withinLayers: fast.layers <= L,
          note: `every query position receives every earlier key after ${fast.layers} layer(s) (FULL tiles and causally complete diagonal blocks; layers beyond ${L} repeat the pattern's layers)`,
        };
      }
    }
  }
  let under = new Bits(nb), over = new Bits(nb);
  let underDone = -1, overDone = -1;
  let lastOverChange = 0, lastUnderChange = 0;
  const complete = new Uint8Array(nb);
  for (let layer = 1; layer <= maxLayers; layer++) {
    const e = edges[(layer - 1) % edges.length]!;
    const nu = under.copy(), no = overDone < 0 ? over.copy() : over;
    const first = layer === 1; // nothing to relay yet: only direct edges
    let uChanged = false, oChanged = false;
    // rows already holding every block: relaying one of them fills the target row at once
    // (only when whole rows are relayed; causal-shaped relays stop at the diagonal word)
    const uAll = first || causalShaped ? null : under.markAllRows();
    const oAll = first || causalShaped || overDone >= 0 ? null : over.markAllRows();
    for (let b = 0; b < nb; b++) {
      if (!complete[b]) {
        const upto = causalShaped ? (b >>> 5) + 1 : nu.words;
        let filled = false;
        if (uAll) for (const m of e.full[b]!) if (uAll[m]) { if (nu.fillRow(b)) uChanged = true; filled = true; break; }
        if (!filled) for (const m of e.full[b]!) {
          if (!nu.has(b, m)) { nu.set(b, m); uChanged = true; }
          if (!first && nu.orRow(b, under, m, upto)) uChanged = true;
        }
        if (e.diag[b] && !nu.has(b, b)) { nu.set(b, b); uChanged = true; }
        if (causalShaped && nu.rowComplete(b)) complete[b] = 1;
      }
      if (overDone < 0) {
        const upto = causalShaped ? (b >>> 5) + 1 : no.words;
        let filled = false;
        if (oAll) for (const m of e.any[b]!) if (oAll[m]) { if (no.fillRow(b)) oChanged = true; filled = true; break; }
        if (!filled) for (const m of e.any[b]!) {
          if (!no.has(b, m)) { no.set(b, m); oChanged = true; }
          if (!first && no.orRow(b, over, m, upto)) oChanged = true;
        }
      }
    }
    if (oChanged) lastOverChange = layer;
    if (uChanged) lastUnderChange = layer;
    under = nu; over = no;
    if (overDone < 0 && over.firstMissingCausal() === null) overDone = layer;
    if (under.firstMissingCausal() === null) { underDone = layer; break; }
    if (overDone < 0 && layer - lastOverChange >= edges.length) {
      const [b, m] = over.firstMissingCausal()!;
      const example = { q: Math.min(ctx.Nq - 1, b * G + G - 1), k: m * G };
      return { ...base, verdict: 'never', withinLayers: false, example, note: `key block ${m} never reaches query block ${b} (over-approximation with every non-empty tile as an edge)` };
    }
    if (layer - lastUnderChange >= edges.length) {
      return { ...base, verdict: 'unknown', withinLayers: false, ...(overDone > 0 ? { lowerBound: overDone } : {}), note: `the tile-level argument is inconclusive (partial tiles)${overDone > 0 ? `; at least ${overDone} layer(s) are needed` : ''}` };
    }
  }
  if (underDone > 0) {
    return {
      ...base, verdict: 'reachable', layersNeeded: underDone, lowerBound: overDone > 0 ? overDone : underDone, withinLayers: underDone <= L,
      note: `every query position receives every earlier key after ${underDone} layer(s) (FULL tiles and causally complete diagonal blocks; layers beyond ${L} repeat the pattern's layers)`,
    };
  }
  return { ...base, verdict: 'unknown', withinLayers: false, note: `not decided within ${maxLayers} layers` };
}

/**
 * The same fixpoint when every block's reach set stays one interval [lo, b] (banded causal
 * patterns): O(edges) per layer instead of bit sets. Null when some set is not an interval
 * (the caller then uses bit sets) or nothing is decided.
 */
function intervalReach(edges: LayerEdges[], nb: number, maxLayers: number):
  { verdict: 'reachable' | 'never'; layers: number; lowerBound?: number; missing?: [number, number] } | null {
  // edges of every row must be one contiguous range of blocks [f0, f1]
  const ranges = edges.map((e) => {
    const r = (ms: Int32Array[]) => {
      const lo = new Int32Array(nb).fill(1), hi = new Int32Array(nb).fill(0);
      for (let b = 0; b < nb; b++) {
        const x = ms[b]!;
        if (x.length === 0) continue;
        let mn = x[0]!, mx = x[0]!;
        for (let i = 1; i < x.length; i++) { if (x[i]! < mn) mn = x[i]!; if (x[i]! > mx) mx = x[i]!; }
        if (mx - mn + 1 !== x.length) return null;
        lo[b] = mn; hi[b] = mx;
      }
      return { lo, hi };
    };
    return { full: r(e.full), any: r(e.any), diag: e.diag };
  });
  if (ranges.some((r) => !r.full || !r.any)) return null;
  /** One layer: the new reach interval of every row, or null when some union is not an interval. */
  const step = (lo: Int32Array, hi: Int32Array, f0: Int32Array, f1: Int32Array, diag: Uint8Array | null, first: boolean): [Int32Array, Int32Array, boolean] | null => {
    const nlo = lo.slice(), nhi = hi.slice();
    let changed = false;
    const deferred: number[] = [];
    for (let b = 0; b < nb; b++) {
      // pieces: the old interval, the edge range with the relayed intervals, the diagonal
      let a = Infinity, z = -Infinity;
      const e0 = f0[b]!, e1 = f1[b]!;
      if (e1 >= e0) {
        a = e0; z = e1;
        if (!first) {
          // relayed intervals must chain onto the edge range (else: not an interval, give up)
          deferred.length = 0;
          for (let m = e1; m >= e0; m--) {
            const l = lo[m]!, h = hi[m]!;
            if (h < l) continue;
            if (h >= a - 1) { if (l < a) a = l; if (h > z) z = h; } else deferred.push(l, h);
          }
          for (let again = true; again && deferred.length;) {
            again = false;
            for (let i = 0; i < deferred.length; i += 2) {
              if (deferred[i + 1]! >= a - 1) {
                if (deferred[i]! < a) a = deferred[i]!;
                deferred.splice(i, 2); i -= 2; again = true;
              }
            }
          }
          if (deferred.length) return null;
        }
      }
      // merge with the old interval and the diagonal point; they must touch
      const pieces: number[] = [];
      if (z >= a) pieces.push(a, z);
      if (hi[b]! >= lo[b]!) pieces.push(lo[b]!, hi[b]!);
      if (diag && diag[b]) pieces.push(b, b);
      if (pieces.length === 0) continue;
      let ma = pieces[0]!, mz = pieces[1]!;
      for (let pass = 0; pass < 2; pass++) {
        for (let i = 2; i < pieces.length; i += 2) {
          const x = pieces[i]!, y = pieces[i + 1]!;
          if (x <= mz + 1 && y >= ma - 1) { if (x < ma) ma = x; if (y > mz) mz = y; }
        }
      }
      for (let i = 2; i < pieces.length; i += 2) if (pieces[i]! < ma || pieces[i + 1]! > mz) return null;
      if (ma !== nlo[b] || mz !== nhi[b]) { nlo[b] = ma; nhi[b] = mz; changed = true; }
    }
    return [nlo, nhi, changed];
  };
  let ulo: Int32Array = new Int32Array(nb).fill(1), uhi: Int32Array = new Int32Array(nb).fill(0);
  let olo: Int32Array = new Int32Array(nb).fill(1), ohi: Int32Array = new Int32Array(nb).fill(0);
  let lastU = 0, lastO = 0, overDone = false, overLayer = 0;
  const done = (lo: Int32Array, hi: Int32Array) => { for (let b = 0; b < nb; b++) if (lo[b] !== 0 || hi[b]! < b) return b; return -1; };
  for (let layer = 1; layer <= maxLayers; layer++) {
    const rg = ranges[(layer - 1) % edges.length]!;
    const u = step(ulo, uhi, rg.full!.lo, rg.full!.hi, rg.diag, layer === 1);
    if (!u) return null;
    [ulo, uhi] = u;
    if (u[2]) lastU = layer;
    if (!overDone) {
      const o = step(olo, ohi, rg.any!.lo, rg.any!.hi, null, layer === 1);
      if (!o) return null;
      [olo, ohi] = o;
      if (o[2]) lastO = layer;
      if (done(olo, ohi) < 0) { overDone = true; overLayer = layer; }
    }
    if (done(ulo, uhi) < 0) return { verdict: 'reachable', layers: layer, lowerBound: overLayer || layer };
    if (!overDone && layer - lastO >= edges.length) {
      const b = done(olo, ohi);
      const m = olo[b]! > 0 ? 0 : ohi[b]! + 1;
      return { verdict: 'never', layers: layer, missing: [b, m] };
    }
    if (layer - lastU >= edges.length) return null;
  }
  return null;
}
