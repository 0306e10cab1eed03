// Analysis stage, step 5a: a closed-form schedule fitted to a tile map. Each row's non-empty
// tiles are cut into segments (contiguous runs of one kind, or strided single tiles of one
// kind); the most common segment layout is the template, each segment's start and end are
// fitted as clamp(floor((mul * x + add) / div), 0, cols), and the result is verified against
// every row of the map. Any disagreement means no closed form (the caller falls back to CSR).
import type { ClosedFormSchedule, Formula, Orientation, Segment } from './schema.ts';
import type { TileMap } from './tilemap.ts';

export function evalFormula(f: Formula, x: number, limit: number): number {
  const v = Math.floor((f.mul * x + f.add) / f.div);
  return v < 0 ? 0 : v > limit ? limit : v;
}

/**
 * Effective ranges of a closed-form schedule's segments on row x, in order. A step-1 segment
 * starts no earlier than where the previous segment ended (so sink tiles and a window that
 * reaches them do not overlap); strided segments are used as they are.
 */
export function segmentRanges(s: ClosedFormSchedule, x: number): Array<{ a: number; b: number; step: number; full: boolean }> {
  const out: Array<{ a: number; b: number; step: number; full: boolean }> = [];
  let prevEnd = 0;
  for (const seg of s.segments) {
    let a = evalFormula(seg.start, x, s.cols);
    const b = evalFormula(seg.end, x, s.cols);
    if (seg.step === 1 && a < prevEnd) a = prevEnd;
    out.push({ a, b, step: seg.step, full: seg.kind === 'FULL' });
    if (b > a) prevEnd = seg.step === 1 ? b : Math.max(prevEnd, a + Math.ceil((b - a) / seg.step - 1) * seg.step + 1);
  }
  return out;
}

interface RowSeg { kind: 0 | 1; start: number; last: number; step: number }

/** Segments of one row: kind 1 = FULL, 0 = PARTIAL (every non-FULL non-empty class). */
function rowSegments(m: TileMap, x: number): RowSeg[] {
  // runs of one kind as parallel arrays (reused scratch: no tuple per run)
  const ra = runA, rb = runB, rk = runK;
  let nr = 0;
  for (let i = m.rowPtr[x]!; i < m.rowPtr[x + 1]!; i++) {
    const kind = m.code[i] === 1 ? 1 : 0;
    if (nr && rb[nr - 1] === m.kt0[i] && rk[nr - 1] === kind) rb[nr - 1] = m.kt1[i]!;
    else { ra[nr] = m.kt0[i]!; rb[nr] = m.kt1[i]!; rk[nr] = kind; nr++; }
  }
  const segs: RowSeg[] = [];
  for (let i = 0; i < nr;) {
    const a = ra[i]!, b = rb[i]!, kind = rk[i]! as 0 | 1;
    // strided single tiles: at least 3 of one kind with one gap; a longer run starting on the
    // progression gives it its first tile (so the progression's end does not depend on what follows)
    if (b - a === 1 && i + 2 < nr) {
      const gap = ra[i + 1]! - a;
      let j = i + 1, last = a;
      while (j < nr && rk[j] === kind && ra[j]! - last === gap) {
        last = ra[j]!;
        if (rb[j]! - ra[j]! > 1) { ra[j] = ra[j]! + 1; break; }
        j++;
      }
      if ((last - a) / gap >= 2 && gap >= 2) {
        segs.push({ kind, start: a, last, step: gap });
        i = j;
        continue;
      }
    }
    segs.push({ kind, start: a, last: b - 1, step: 1 });
    i++;
  }
  return segs;
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
  const perRow: RowSeg[][] = [];
  const sigCount = new Map<string, number>();
  const sigOf: string[] = [];
  for (let x = 0; x < rows; x++) {
    const segs = rowSegments(m, x);
    perRow.push(segs);
    let sig = '';
    for (let i = 0; i < segs.length; i++) sig += (i ? ',' : '') + segs[i]!.kind + ':' + segs[i]!.step;
    sigOf.push(sig);
    sigCount.set(sig, (sigCount.get(sig) ?? 0) + 1);
  }
  // candidate templates: the layout with the most segments among those covering >= 1/8 of the
  // rows, then the most common layouts; the first that fits and verifies wins
  const sigs = [...sigCount.entries()].sort((a, b) => b[1] - a[1]);
  const nseg = (sig: string) => (sig === '' ? 0 : sig.split(',').length);
  const common = sigs.filter(([, c]) => c * 8 >= rows);
  const candidates: string[] = [];
  if (common.length) candidates.push(common.reduce((best, cur) => (nseg(cur[0]) > nseg(best[0]) ? cur : best))[0]);
  for (const [sig] of sigs.slice(0, 4)) if (!candidates.includes(sig)) candidates.push(sig);
  let reason = 'no layout';
  for (const template of candidates) {
    const r = fitTemplate(m, orientation, template, perRow, sigOf);
    if ('schedule' in r) return r;
    reason = r.reason;
  }
  return { reason };
}

function fitTemplate(m: TileMap, orientation: Orientation, template: string, perRow: RowSeg[][], sigOf: string[]): FitResult {
  const rows = m.nqt, cols = m.nkt;
  const layout = template === '' ? [] : template.split(',').map((t) => { const [k, s] = t.split(':'); return { kind: Number(k) as 0 | 1, step: Number(s) }; });
  if (layout.length > 8) return { reason: `${layout.length} segments per row` };
  const segments: Segment[] = [];
  for (let si = 0; si < layout.length; si++) {
    const { kind, step } = layout[si]!;
    const starts: Point[] = [], ends: Point[] = [];
    for (let x = 0; x < rows; x++) {
      if (sigOf[x] !== template) continue;
      const s = perRow[x]![si]!;
      starts.push({ x, lo: s.start, hi: s.start });
      ends.push({ x, lo: s.last + 1, hi: s.last + step });
    }
    const start = fitFormula(starts, cols), end = fitFormula(ends, cols);
    if (!start || !end) return { reason: `segment ${si} has no affine/floor ${!start ? 'start' : 'end'}` };
    segments.push({ kind: kind ? 'FULL' : 'PARTIAL', start, end, step });
  }
  const schedule: ClosedFormSchedule = { kind: 'closed_form', orientation, rows, cols, segments };
  const bad = verifyClosedForm(schedule, m);
  return bad === null ? { schedule } : { reason: `closed form disagrees with the tile classes in row ${bad}` };
}

/** First row where the schedule's tiles differ from the map (each tile once, same FULL flag), or null. */
export function verifyClosedForm(s: ClosedFormSchedule, m: TileMap): number | null {
  const mark = new Int8Array(s.cols).fill(-1);
  for (let x = 0; x < s.rows; x++) {
    let produced = 0;
    let ok = true;
    const ranges = segmentRanges(s, x);
    for (const r of ranges) {
      for (let t = r.a; t < r.b; t += r.step) {
        if (mark[t] !== -1) ok = false;
        mark[t] = r.full ? 1 : 0;
        produced++;
      }
    }
    let expected = 0;
    for (let i = m.rowPtr[x]!; i < m.rowPtr[x + 1]!; i++) {
      const kind = m.code[i] === 1 ? 1 : 0;
      for (let t = m.kt0[i]!; t < m.kt1[i]!; t++) {
        if (mark[t] !== kind) ok = false;
        expected++;
      }
    }
    for (const r of ranges) for (let t = r.a; t < r.b; t += r.step) mark[t] = -1;
    if (!ok || produced !== expected) return x;
  }
  return null;
}
