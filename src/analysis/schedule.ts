// Analysis stage, step 5b: the schedule of one class: closed form when one fits and verifies,
// else CSR; the transposed schedule (per key tile, the query tiles touching it) the same way.
// Also the iteration helpers with the kernel hooks' meaning (codegen/HOOKS.md).
import { segmentRanges } from './closedForm.ts';
import { fitClosedForm } from './closedFormFit.ts';
import type { ClosedFormSchedule, CsrSchedule, Orientation, Schedule, ScheduleSummary, StaticSchedule } from './schema.ts';
import { transposeTileMap, type TileMap } from './tilemap.ts';

export function buildCsr(m: TileMap, orientation: Orientation): CsrSchedule {
  let nnz = 0;
  for (let i = 0; i < m.code.length; i++) nnz += m.kt1[i]! - m.kt0[i]!;
  const offsets = new Int32Array(m.nqt + 1);
  const indices = new Int32Array(nnz);
  const full = new Uint8Array(nnz);
  let p = 0;
  for (let x = 0; x < m.nqt; x++) {
    offsets[x] = p;
    for (let i = m.rowPtr[x]!; i < m.rowPtr[x + 1]!; i++) {
      const f = m.code[i] === 1 ? 1 : 0;
      for (let t = m.kt0[i]!; t < m.kt1[i]!; t++) { indices[p] = t; full[p] = f; p++; }
    }
  }
  offsets[m.nqt] = p;
  return { kind: 'csr', orientation, rows: m.nqt, cols: m.nkt, offsets, indices, full };
}

export function nnzOf(m: TileMap): { nnz: number; full: number } {
  let nnz = 0, full = 0;
  for (let i = 0; i < m.code.length; i++) {
    const n = m.kt1[i]! - m.kt0[i]!;
    nnz += n;
    if (m.code[i] === 1) full += n;
  }
  return { nnz, full };
}

/** CSR bytes: int32 offsets (rows + 1), int32 indices and uint8 flags per entry. */
export function csrBytes(rows: number, nnz: number): number {
  return 4 * (rows + 1) + 5 * nnz;
}

/** FlexAttention-like: per row int32 counts for full and partial, int32 indices in two lists. */
export function splitListBytes(rows: number, nnz: number): number {
  return 8 * rows + 4 * nnz;
}

export interface ChosenSchedule { schedule: StaticSchedule; summary: ScheduleSummary }

export function chooseSchedule(m: TileMap, orientation: Orientation): ChosenSchedule {
  const { nnz } = nnzOf(m);
  const base = { nnz, csrBytes: csrBytes(m.nqt, nnz), splitListBytes: splitListBytes(m.nqt, nnz) };
  const fit = fitClosedForm(m, orientation);
  if ('schedule' in fit) {
    return { schedule: fit.schedule, summary: { kind: 'closed_form', segments: fit.schedule.segments, bytes: 0, ...base } };
  }
  const csr = buildCsr(m, orientation);
  return { schedule: csr, summary: { kind: 'csr', bytes: base.csrBytes, fallbackReason: fit.reason, ...base } };
}

export function chooseTransposed(m: TileMap): ChosenSchedule {
  return chooseSchedule(transposeTileMap(m), 'by_key');
}

function staticOf(s: Schedule): StaticSchedule {
  return s.kind === 'runtime' ? s.envelope : s;
}

/** Number of column tiles row x visits (num_key_tiles of the hooks for by_query schedules). */
export function numKeyTiles(schedule: Schedule, x: number): number {
  const s = staticOf(schedule);
  if (s.kind === 'csr') return s.offsets[x + 1]! - s.offsets[x]!;
  let n = 0;
  for (const r of segmentRanges(s, x)) if (r.b > r.a) n += Math.ceil((r.b - r.a) / r.step);
  return n;
}

/** The j-th column tile of row x and whether it is FULL (key_tile of the hooks). */
export function keyTile(schedule: Schedule, x: number, j: number): { tile: number; full: boolean } {
  const s = staticOf(schedule);
  if (s.kind === 'csr') {
    const p = s.offsets[x]! + j;
    return { tile: s.indices[p]!, full: s.full[p] === 1 };
  }
  return closedFormTile(s, x, j);
}

function closedFormTile(s: ClosedFormSchedule, x: number, j: number): { tile: number; full: boolean } {
  let rest = j;
  for (const r of segmentRanges(s, x)) {
    const n = r.b > r.a ? Math.ceil((r.b - r.a) / r.step) : 0;
    if (rest < n) return { tile: r.a + rest * r.step, full: r.full };
    rest -= n;
  }
  throw new RangeError(`tile ${j} of row ${x} is past the row's ${j - rest} tiles`);
}

/** Every column tile of row x in schedule order. */
export function keyTilesOf(schedule: Schedule, x: number): Array<{ tile: number; full: boolean }> {
  const out: Array<{ tile: number; full: boolean }> = [];
  const n = numKeyTiles(schedule, x);
  for (let j = 0; j < n; j++) out.push(keyTile(schedule, x, j));
  return out;
}
