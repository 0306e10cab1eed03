// Analysis helper: run lists over key positions for one query-tile row. A run carries a
// BoolVal and, for MIXED runs, the leaf that makes it mixed (for exact counting). MIXED is a
// claim about the run's whole extent, so a piece cut out of a MIXED run becomes UNKNOWN.
import { M, U, and2, not1, or2 } from './interval.ts';

export interface Runs {
  start: number;
  /** Exclusive end of each run; run i starts at end[i - 1] (or `start`). */
  end: number[];
  val: number[];
  src: number[];
}

export function emptyRuns(start: number): Runs {
  return { start, end: [], val: [], src: [] };
}

/** Append a run, merging with the previous one when both are uniform and equal. */
export function pushRun(r: Runs, end: number, val: number, src: number): void {
  const n = r.end.length;
  const s = n ? r.end[n - 1]! : r.start;
  if (end <= s) return;
  if (n && val !== M && r.val[n - 1] === val) { r.end[n - 1] = end; return; }
  r.end.push(end); r.val.push(val); r.src.push(val === M ? src : -1);
}

export function uniformRuns(start: number, end: number, val: number, src = -1): Runs {
  const r = emptyRuns(start);
  pushRun(r, end, val, src);
  return r;
}

export function runsEnd(r: Runs): number {
  return r.end.length ? r.end[r.end.length - 1]! : r.start;
}

/** Restrict to [lo, hi) (inside the domain). */
export function sliceRuns(a: Runs, lo: number, hi: number): Runs {
  const out = emptyRuns(lo);
  // binary search the first run ending after lo
  let l = 0, h = a.end.length;
  while (l < h) { const m = (l + h) >> 1; if (a.end[m]! <= lo) l = m + 1; else h = m; }
  for (let i = l; i < a.end.length; i++) {
    const s = i ? a.end[i - 1]! : a.start;
    if (s >= hi) break;
    const e = a.end[i]!;
    let v = a.val[i]!;
    if (v === M && (s < lo || e > hi)) v = U;
    pushRun(out, Math.min(e, hi), v, a.src[i]!);
  }
  return out;
}

export function notRuns(a: Runs): Runs {
  return {
    start: a.start,
    end: a.end.slice(),
    val: a.val.map(not1),
    src: a.src.map((s, i) => (a.val[i] === M && s >= 0 ? s ^ 1 : -1)),
  };
}

/** Combine two run lists over the same domain with AND (isAnd) or OR. */
export function mergeRuns(a: Runs, b: Runs, isAnd: boolean): Runs {
  const out = emptyRuns(a.start);
  const na = a.end.length, nb = b.end.length;
  let i = 0, j = 0, pos = a.start;
  let sa = a.start, sb = b.start;
  while (i < na && j < nb) {
    const ea = a.end[i]!, eb = b.end[j]!;
    const e = ea < eb ? ea : eb;
    let va = a.val[i]!, vb = b.val[j]!;
    if (va === M && (pos !== sa || e !== ea)) va = U;
    if (vb === M && (pos !== sb || e !== eb)) vb = U;
    const v = isAnd ? and2(va, vb) : or2(va, vb);
    let s = -1;
    if (v === M) s = va === M ? a.src[i]! : b.src[j]!;
    pushRun(out, e, v, s);
    pos = e;
    if (ea === e) { i++; sa = e; }
    if (eb === e) { j++; sb = e; }
  }
  return out;
}

/** First and last+1 positions whose value is not `v` (e.g. not FALSE); null when all are `v`. */
export function hullNot(a: Runs, v: number): [number, number] | null {
  let first = -1, last = -1;
  for (let i = 0; i < a.end.length; i++) {
    if (a.val[i] === v) continue;
    const s = i ? a.end[i - 1]! : a.start;
    if (first < 0) first = s;
    last = a.end[i]!;
  }
  return first < 0 ? null : [first, last];
}
