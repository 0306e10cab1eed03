// Schedule lowering, closed-form classes: the analysis' key-tile segments (src/analysis
// closedForm.ts, docs/analysis.md "Closed-form semantics") as integer arithmetic in
// `num_key_tiles` / `key_tile`. No table and no loop over tiles: each segment costs a few
// integer operations per call, and the j-th tile is found by subtracting segment counts.
import { add, max, min, mk, mul, sub } from './build.ts';
import { int, ref, type LExpr, type LStmt } from './ir.ts';

/** clamp(floor((mul * qt + add) / div), 0, numKeyTiles), div > 0. */
export interface TileFormula { mul: number; add: number; div: number }

/**
 * Key tiles start, start + step, ... < end of query tile qt, all FULL or all PARTIAL. A step-1
 * segment starts no earlier than one past the last tile of the segments before it. With `rows`,
 * the segment exists only for from <= qt < to (elsewhere it has no tiles and ends nothing).
 */
export interface KeyTileSegment { start: TileFormula; end: TileFormula; step: number; full: boolean; rows?: { from: number; to: number } }

const qt = ref('qt', 'int');
const j = ref('j', 'int');
const v = (name: string) => ref(name, 'int');

function formula(f: TileFormula, cols: number): LExpr {
  const x = add(mul(int(f.mul), qt), int(f.add));
  return min(max(mk('floordiv', 'int', x, int(f.div)), int(0)), int(cols));
}

/** from <= qt < to, without the comparisons that are always true. */
function onRows(r: { from: number; to: number }): LExpr {
  const lo = r.from > 0 ? mk('ge', 'bool', qt, int(r.from)) : null;
  const hi = mk('lt', 'bool', qt, int(r.to));
  return lo ? mk('and', 'bool', lo, hi) : hi;
}

/**
 * Let-bound effective starts `a<i>` and counts `n<i>` of every segment (and the running end
 * `p<i>` where a later step-1 segment needs it), exactly as segmentRanges in the analysis.
 */
export function segmentLets(segments: KeyTileSegment[], cols: number): LStmt[] {
  const stmts: LStmt[] = [];
  let prev: LExpr = int(0);
  segments.forEach((s, i) => {
    const start = formula(s.start, cols);
    stmts.push({ kind: 'let', name: `a${i}`, type: 'int', value: s.step === 1 && i > 0 ? max(start, prev) : start });
    const span = sub(formula(s.end, cols), v(`a${i}`));
    const count = s.step === 1 ? span : mk('floordiv', 'int', add(span, int(s.step - 1)), int(s.step));
    // a segment of some rows only: no tiles elsewhere (and so, below, no effect on `p`)
    const inRows = s.rows ? onRows(s.rows) : null;
    stmts.push({ kind: 'let', name: `n${i}`, type: 'int', value: inRows ? mk('select', 'int', inRows, max(count, int(0)), int(0)) : max(count, int(0)) });
    if (!segments.slice(i + 1).some((t) => t.step === 1)) return;
    // one past the last tile of segment i (strided segments may end before an earlier one)
    // (a step-1 segment starts at or after `prev`, so its end a + n needs no max)
    const last = s.step === 1 ? add(v(`a${i}`), v(`n${i}`)) : add(add(v(`a${i}`), mul(sub(v(`n${i}`), int(1)), int(s.step))), int(1));
    const end = i === 0 || s.step === 1 ? last : max(prev, last);
    stmts.push({ kind: 'let', name: `p${i + 1}`, type: 'int', value: mk('select', 'int', mk('gt', 'bool', v(`n${i}`), int(0)), end, prev) });
    prev = v(`p${i + 1}`);
  });
  return stmts;
}

export function closedFormCount(segments: KeyTileSegment[], cols: number): LStmt[] {
  if (!segments.length) return [{ kind: 'return', value: int(0) }];
  const total = segments.map((_, i) => v(`n${i}`)).reduce((x, y) => add(x, y));
  return [...segmentLets(segments, cols), { kind: 'return', value: total }];
}

export function closedFormTile(segments: KeyTileSegment[], cols: number): LStmt[] {
  const full = (f: boolean): LStmt => ({ kind: 'out', name: 'full', value: { kind: 'lit', type: 'bool', value: f } });
  if (!segments.length) return [full(false), { kind: 'return', value: int(0) }];
  const stmts = segmentLets(segments, cols);
  // j - n0 - ... - n(i-1) is the index inside segment i; the last segment needs no test
  // because 0 <= j < num_key_tiles
  let jj: LExpr = j;
  segments.forEach((s, i) => {
    if (i > 0) {
      stmts.push({ kind: 'let', name: `j${i}`, type: 'int', value: sub(jj, v(`n${i - 1}`)) });
      jj = v(`j${i}`);
    }
    const tile = add(v(`a${i}`), mul(jj, int(s.step)));
    if (i === segments.length - 1) stmts.push(full(s.full), { kind: 'return', value: tile });
    else stmts.push({ kind: 'if', cond: mk('lt', 'bool', jj, v(`n${i}`)), then: [full(s.full), { kind: 'return', value: tile }], else: [] });
  });
  return stmts;
}
