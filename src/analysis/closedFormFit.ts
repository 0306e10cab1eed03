// Analysis stage, step 5a: a closed-form schedule fitted to a tile map. Each row's non-empty
// tiles are cut into segments (contiguous runs of one kind, or strided single tiles of one kind);
// the most common segment layout is the template, each segment's start and end are fitted as
// clamp(floor((mul * x + add) / div), 0, cols), and the result is verified against every row.
// Rows where it disagrees (the first rows of a window that meets attention sinks, a prefix) are
// fitted again on their own, as pieces: segments valid on a row range. Anything that still
// disagrees means no closed form (the caller falls back to CSR).
import { rowMatches } from './closedForm.ts';
import type { ClosedFormSchedule, Formula, Orientation, Segment } from './schema.ts';
import type { TileMap } from './tilemap.ts';

/** Segments per piece and in all, pieces deep (a piece splits its odd rows off at most twice). */
const MAX_PIECE_SEGMENTS = 8, MAX_SEGMENTS = 16, MAX_DEPTH = 2;
/** More distinct row layouts than this is not a closed form (random blocks: a layout per few rows). */
const MAX_LAYOUTS = 64;

/** Every row's segments in flat arrays: row x has segments off[x] .. off[x + 1] - 1. */
interface RowSegments {
  off: Int32Array;
  kind: Uint8Array; start: Int32Array; last: Int32Array; step: Int32Array;
  /** Hash of the row's layout (kind and step of each segment). */
  sig: Int32Array;
}

function rowSegments(m: TileMap): RowSegments {
  const rows = m.nqt;
  const off = new Int32Array(rows + 1), sig = new Int32Array(rows);
  let cap = Math.max(16, m.code.length + 1);
  let kind = new Uint8Array(cap), start = new Int32Array(cap), last = new Int32Array(cap), step = new Int32Array(cap);
  let n = 0;
  const push = (k: number, a: number, z: number, st: number) => {
    if (n === cap) {
      cap *= 2;
      const g8 = (x: Uint8Array) => { const y = new Uint8Array(cap); y.set(x); return y; };
      const g32 = (x: Int32Array) => { const y = new Int32Array(cap); y.set(x); return y; };
      kind = g8(kind); start = g32(start); last = g32(last); step = g32(step);
    }
    kind[n] = k; start[n] = a; last[n] = z; step[n] = st; n++;
  };
  const ra = runA, rb = runB, rk = runK;
  for (let x = 0; x < rows; x++) {
    off[x] = n;
    // runs of one kind (1 = FULL, 0 = every other non-empty class)
    let nr = 0;
    for (let i = m.rowPtr[x]!; i < m.rowPtr[x + 1]!; i++) {
      const k = m.code[i] === 1 ? 1 : 0;
      if (nr && rb[nr - 1] === m.kt0[i] && rk[nr - 1] === k) rb[nr - 1] = m.kt1[i]!;
      else { ra[nr] = m.kt0[i]!; rb[nr] = m.kt1[i]!; rk[nr] = k; nr++; }
    }
    let h = 2166136261;
    for (let i = 0; i < nr;) {
      const a = ra[i]!, b = rb[i]!, k = rk[i]!;
      let seg = false;
      // strided single tiles: at least 3 of one kind with one gap; a longer run starting on the
      // progression gives it its first tile (so the progression's end does not depend on what follows)
      if (b - a === 1 && i + 2 < nr) {
        const gap = ra[i + 1]! - a;
        let j = i + 1, lastT = a, lent = -1;
        while (j < nr && rk[j] === k && ra[j]! - lastT === gap) {
          lastT = ra[j]!;
          if (rb[j]! - ra[j]! > 1) { ra[j] = ra[j]! + 1; lent = j; break; }
          j++;
        }
        // too short for a progression: the longer run keeps its first tile
        if (!((lastT - a) / gap >= 2 && gap >= 2) && lent >= 0) ra[lent] = ra[lent]! - 1;
        if ((lastT - a) / gap >= 2 && gap >= 2) {
          push(k, a, lastT, gap);
          h = Math.imul(h ^ (k * 65536 + gap), 16777619);
          i = j;
          seg = true;
        }
      }
      if (!seg) {
        push(k, a, b - 1, 1);
        h = Math.imul(h ^ (k * 65536 + 1), 16777619);
        i++;
      }
    }
    sig[x] = Math.imul(h ^ (n - off[x]!), 16777619);
  }
  off[rows] = n;
  return { off, kind, start, last, step, sig };
}
const runA: number[] = [], runB: number[] = [], runK: number[] = [];

interface Point { x: number; lo: number; hi: number }

/** A formula with value in [lo, hi] at every point (0 and `limit` also match through the clamp). */
export function fitFormula(points: Point[], limit: number): Formula | null {
  if (points.length === 0) return { mul: 0, add: 0, div: 1 };
  const raw = points.map((p) => ({ x: p.x, lo: p.lo <= 0 ? -Infinity : p.lo, hi: p.hi >= limit ? Infinity : p.hi }));
  const finite = raw.filter((p) => Number.isFinite(p.lo) || Number.isFinite(p.hi));
  const mid = (p: Point) => (Number.isFinite(p.lo) && Number.isFinite(p.hi) ? (p.lo + p.hi) / 2 : Number.isFinite(p.lo) ? p.lo : p.hi);
  let slope = 0;
  if (finite.length >= 2) {
    const f0 = finite[0]!, f1 = finite[finite.length - 1]!;
    if (f1.x !== f0.x) slope = (mid(f1) - mid(f0)) / (f1.x - f0.x);
  }
  const tried = new Set<string>();
  const divs = [1, 2, 3, 4, 5, 6, 7, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];
  for (const div of divs) {
    const base = Math.round(slope * div);
    for (const mul of [base, base - 1, base + 1, 0]) {
      const key = `${mul}/${div}`;
      if (tried.has(key)) continue;
      tried.add(key);
      let alo = -Infinity, ahi = Infinity;
      for (const p of raw) {
        const mx = mul * p.x;
        if (Number.isFinite(p.lo)) alo = Math.max(alo, div * p.lo - mx);
        if (Number.isFinite(p.hi)) ahi = Math.min(ahi, div * p.hi + div - 1 - mx);
        if (alo > ahi) break;
      }
      if (alo > ahi) continue;
      const add = Number.isFinite(alo) ? alo : Number.isFinite(ahi) ? ahi : 0;
      return { mul, add, div };
    }
  }
  return null;
}

export type FitResult = { schedule: ClosedFormSchedule } | { reason: string };

export function fitClosedForm(m: TileMap, orientation: Orientation): FitResult {
  const rows = m.nqt, cols = m.nkt;
  const rs = rowSegments(m);
  const fit = new Fitter(m, rs, orientation);
  const segments = fit.range(0, rows, 0);
  if (!segments) return { reason: fit.reason };
  // one piece over every row: plain segments
  const plain = segments.every((s) => s.rows && s.rows.from === 0 && s.rows.to === rows);
  // every row was verified against its piece, and the other pieces' segments do not exist on it
  const schedule: ClosedFormSchedule = {
    kind: 'closed_form', orientation, rows, cols,
    segments: plain ? segments.map(({ rows: _, ...s }) => s) : segments,
  };
  return { schedule };
}

class Fitter {
  reason = 'no layout';
  private readonly mark: Int8Array;
  private used = 0;

  constructor(private readonly m: TileMap, private readonly rs: RowSegments, private readonly orientation: Orientation) {
    this.mark = new Int8Array(m.nkt).fill(-1);
  }

  /** Segments (with row ranges) reproducing rows [r0, r1) of the map, or null. */
  range(r0: number, r1: number, depth: number): Segment[] | null {
    if (r0 >= r1) return [];
    const { sig } = this.rs;
    const count = new Map<number, { n: number; row: number }>();
    for (let x = r0; x < r1; x++) {
      const c = count.get(sig[x]!);
      if (c) c.n++; else count.set(sig[x]!, { n: 1, row: x });
    }
    if (count.size > MAX_LAYOUTS) { this.reason = `${count.size} row layouts`; return null; }
    // candidate templates: the layout with the most segments among those covering >= 1/8 of the
    // rows, then the most common layouts
    const layouts = [...count.values()].sort((a, b) => b.n - a.n);
    const nseg = (row: number) => this.rs.off[row + 1]! - this.rs.off[row]!;
    const common = layouts.filter((c) => c.n * 8 >= r1 - r0);
    const candidates: number[] = [];
    if (common.length) candidates.push(common.reduce((best, cur) => (nseg(cur.row) > nseg(best.row) ? cur : best)).row);
    for (const c of layouts.slice(0, 4)) if (!candidates.includes(c.row)) candidates.push(c.row);
    // odd rows are few: a template is kept only when it reproduces a run of at least half the rows
    const need = Math.ceil((r1 - r0) / 2);
    let best: { segs: Segment[]; g0: number; g1: number } | null = null;
    for (const row of candidates) {
      const segs = this.fitLayout(row, r0, r1);
      if (!segs) continue;
      const s = this.piece(segs);
      // the longest run of rows this template reproduces (stop when no run can be long enough)
      let g0 = r0, g1 = r0, run0 = r0;
      const enough = Math.max(need, best ? best.g1 - best.g0 + 1 : 0);
      for (let x = r0; x <= r1; x++) {
        if (x < r1 && rowMatches(s, this.m, x, this.mark)) continue;
        if (x - run0 > g1 - g0) { g0 = run0; g1 = x; }
        run0 = x + 1;
        if (g1 - g0 < enough && r1 - run0 < enough) break;
      }
      if (g0 === r0 && g1 === r1) return this.take(segs, r0, r1);
      if (g1 - g0 >= enough) best = { segs, g0, g1 };
    }
    if (!best) { if (this.reason === 'no layout') this.reason = 'no segment layout fits most rows'; return null; }
    if (depth >= MAX_DEPTH) { this.reason = `closed form disagrees with the tile classes in rows outside ${best.g0} .. ${best.g1 - 1}`; return null; }
    const before = this.range(r0, best.g0, depth + 1);
    if (!before) return null;
    const mid = this.take(best.segs, best.g0, best.g1);
    if (!mid) return null;
    const after = this.range(best.g1, r1, depth + 1);
    return after ? [...before, ...mid, ...after] : null;
  }

  /** The segments on rows [r0, r1), counted against the segment budget. */
  private take(segs: Segment[], r0: number, r1: number): Segment[] | null {
    if (this.used + segs.length > MAX_SEGMENTS) { this.reason = `more than ${MAX_SEGMENTS} segments`; return null; }
    this.used += segs.length;
    return segs.map((s) => ({ ...s, rows: { from: r0, to: r1 } }));
  }

  private piece(segs: Segment[]): ClosedFormSchedule {
    return { kind: 'closed_form', orientation: this.orientation, rows: this.m.nqt, cols: this.m.nkt, segments: segs };
  }

  /**
   * Formulas for the layout of row `row`, fitted to the rows of [r0, r1) with that layout, or when
   * they admit none, to the run of such rows around `row`, or to that run less its first and / or
   * last row (a ragged last tile, the first row of a window past the sinks: odd rows of the same
   * layout). Verification then finds the rows the formulas fit.
   */
  private fitLayout(row: number, r0: number, r1: number): Segment[] | null {
    const { sig } = this.rs;
    const s = sig[row]!;
    const all: number[] = [];
    for (let x = r0; x < r1; x++) if (sig[x] === s) all.push(x);
    const segs = this.fitRows(row, all);
    if (segs) return segs;
    let a = row, b = row + 1;
    while (a > r0 && sig[a - 1] === s) a--;
    while (b < r1 && sig[b] === s) b++;
    const tries: Array<[number, number]> = [[a, b], [a + 1, b - 1], [a, b - 1], [a + 1, b]];
    for (const [x0, x1] of tries) {
      if (x1 - x0 < 2 || x1 - x0 === all.length || row < x0 || row >= x1) continue;
      const run: number[] = [];
      for (let x = x0; x < x1; x++) run.push(x);
      const fitted = this.fitRows(row, run);
      if (fitted) return fitted;
    }
    return null;
  }

  private fitRows(row: number, xs: number[]): Segment[] | null {
    const { off, kind, start, last, step } = this.rs;
    const n = off[row + 1]! - off[row]!;
    if (n > MAX_PIECE_SEGMENTS) { this.reason = `${n} segments per row`; return null; }
    const cols = this.m.nkt;
    const segments: Segment[] = [];
    for (let si = 0; si < n; si++) {
      const st = step[off[row]! + si]!;
      const starts: Point[] = [], ends: Point[] = [];
      for (const x of xs) {
        const i = off[x]! + si;
        starts.push({ x, lo: start[i]!, hi: start[i]! });
        ends.push({ x, lo: last[i]! + 1, hi: last[i]! + st });
      }
      const a = fitFormula(starts, cols), e = fitFormula(ends, cols);
      if (!a || !e) { this.reason = `segment ${si} has no affine/floor ${!a ? 'start' : 'end'}`; return null; }
      segments.push({ kind: kind[off[row]! + si] ? 'FULL' : 'PARTIAL', start: a, end: e, step: st });
    }
    return segments;
  }
}
