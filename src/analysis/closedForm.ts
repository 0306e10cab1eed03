// Analysis stage, step 5a: what a closed-form schedule means (the contract the emitters
// implement, codegen/lower/scheduleClosedForm.ts) and its verification against a tile map.
// Fitting one to a map is closedFormFit.ts.
import type { ClosedFormSchedule, Formula, Segment } from './schema.ts';
import type { TileMap } from './tilemap.ts';

export function evalFormula(f: Formula, x: number, limit: number): number {
  const v = Math.floor((f.mul * x + f.add) / f.div);
  return v < 0 ? 0 : v > limit ? limit : v;
}

/** Whether segment `seg` exists on row x (segments without `rows` exist on every row). */
export function segmentOnRow(seg: Segment, x: number): boolean {
  return !seg.rows || (x >= seg.rows.from && x < seg.rows.to);
}

/**
 * Effective ranges of a closed-form schedule's segments on row x, in order (one per segment). A
 * step-1 segment starts no earlier than where the previous segment ended (so sink tiles and a
 * window that reaches them do not overlap); strided segments are used as they are. A segment
 * that does not exist on row x gives an empty range and leaves the previous end as it was.
 */
export function segmentRanges(s: ClosedFormSchedule, x: number): Array<{ a: number; b: number; step: number; full: boolean }> {
  const out: Array<{ a: number; b: number; step: number; full: boolean }> = [];
  let prevEnd = 0;
  for (const seg of s.segments) {
    if (!segmentOnRow(seg, x)) { out.push({ a: 0, b: 0, step: seg.step, full: seg.kind === 'FULL' }); continue; }
    let a = evalFormula(seg.start, x, s.cols);
    const b = evalFormula(seg.end, x, s.cols);
    if (seg.step === 1 && a < prevEnd) a = prevEnd;
    out.push({ a, b, step: seg.step, full: seg.kind === 'FULL' });
    if (b > a) prevEnd = seg.step === 1 ? b : Math.max(prevEnd, a + Math.ceil((b - a) / seg.step - 1) * seg.step + 1);
  }
  return out;
}

/**
 * First row in [from, to) where the schedule's tiles differ from the map (each tile once, same
 * FULL flag), or null. `mark` is scratch of length >= cols, all -1 (left so).
 */
export function verifyRows(s: ClosedFormSchedule, m: TileMap, from = 0, to = s.rows, mark = new Int8Array(s.cols).fill(-1)): number | null {
  for (let x = from; x < to; x++) if (!rowMatches(s, m, x, mark)) return x;
  return null;
}

/** Whether row x of the schedule is exactly row x of the map. */
export function rowMatches(s: ClosedFormSchedule, m: TileMap, x: number, mark: Int8Array): boolean {
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
  for (let i = m.rowPtr[x]!; i < m.rowPtr[x + 1]! && ok; i++) {
    const kind = m.code[i] === 1 ? 1 : 0;
    for (let t = m.kt0[i]!; t < m.kt1[i]!; t++) {
      if (mark[t] !== kind) { ok = false; break; }
      expected++;
    }
  }
  for (const r of ranges) for (let t = r.a; t < r.b; t += r.step) mark[t] = -1;
  return ok && produced === expected;
}

/** First row where the schedule's tiles differ from the map (each tile once, same FULL flag), or null. */
export function verifyClosedForm(s: ClosedFormSchedule, m: TileMap): number | null {
  return verifyRows(s, m);
}
