// Backward schedule lowering: the transposed schedule (per key tile, the query tiles touching
// it) as the hooks `num_query_tiles` / `query_tile` of codegen/HOOKS.md "Backward hooks".
// Each class's forward tile map is read from its schedule with the semantics the forward hooks
// implement (closed-form segments, CSR rows), so the result is exactly the transpose of what
// `key_tile` visits, FULL flags included (test/codegen/backward.test.ts checks it against the
// lowered hooks). Each class then gets the analysis' by_key schedule of the transposed map
// (closed form when one fits and verifies, else CSR) and the same lowering as the forward hooks,
// rows and columns swapped. Runtime-scheduled classes stay runtime: their transposed schedule is
// built on the device before the backward (attnc_schedule_build.cuh, attnc_schedule_build_t) by
// walking the transposed static envelope and keeping the tiles the forward's tile classifier
// keeps, so it is exactly the transpose of the schedule the forward built for the same inputs.
import { segmentRanges } from '../../src/analysis/closedForm.ts';
import type { ClosedFormSchedule } from '../../src/analysis/schema.ts';
import { chooseSchedule } from '../../src/analysis/schedule.ts';
import { transposeTileMap, TileMapBuilder, type TileMap } from '../../src/analysis/tilemap.ts';
import type { LBuffer, LExpr, LFunction, LStmt } from './ir.ts';
import { lowerSchedule, RUNTIME_SCHEDULE_BUFFER, type ClassSchedule, type ScheduleInput, type ScheduleRow, type StaticClassSchedule } from './schedule.ts';

/** Transposed schedule input: rows are key tiles, columns query tiles (same classes and dispatch). */
export interface TransposedSchedule {
  input: ScheduleInput;
  /** Runtime classes whose static envelope is dense (no static information), by class. */
  dense: Map<number, string>;
  /**
   * Per key tile, the longest transposed row (query tiles) over the static classes in use:
   * the work of the key tile's dK/dV CTA in its heaviest (l, h). Runtime classes count 0 (their
   * rows are known only on the device).
   */
  rowTiles: number[];
}

const INT32_SAFE = 2 ** 30;
const FULL = 1, PARTIAL = 2;

/**
 * The tile map of one static class as the forward hooks enumerate it: closed forms by the
 * analysis' own semantics (segmentRanges, which codegen/lower/scheduleClosedForm.ts lowers
 * exactly; test/codegen/backward.test.ts runs both), CSR rows as listed, dense as every tile.
 */
function classMap(c: ClassSchedule, rows: number, cols: number): TileMap {
  const b = new TileMapBuilder(rows, cols);
  const closed: ClosedFormSchedule | null = c.kind === 'closed_form'
    ? { kind: 'closed_form', orientation: 'by_query', rows, cols, segments: c.segments.map(({ full, ...g }) => ({ ...g, kind: full ? 'FULL' : 'PARTIAL' })) }
    : null;
  const row: { kt: number; full: boolean }[] = [];
  for (let x = 0; x < rows; x++) {
    row.length = 0;
    if (closed) for (const r of segmentRanges(closed, x)) for (let t = r.a; t < r.b; t += r.step) row.push({ kt: t, full: r.full });
    else if (c.kind === 'csr') row.push(...(c.rows[x] ?? []));
    else for (let t = 0; t < cols; t++) row.push({ kt: t, full: false });
    row.sort((p, q) => p.kt - q.kt);
    b.startRow(x);
    row.forEach((e, i) => {
      if (i > 0 && row[i - 1]!.kt === e.kt) throw new Error(`the schedule lists tile ${e.kt} of row ${x} twice`);
      b.add(e.kt, e.kt + 1, e.full ? FULL : PARTIAL);
    });
  }
  return b.finish();
}

function transposedClass(t: TileMap): ClassSchedule {
  const chosen = chooseSchedule(t, 'by_key').schedule;
  if (chosen.kind === 'closed_form') {
    const fits = chosen.segments.every((g) => [g.start, g.end].every((f) => Math.abs(f.mul) * chosen.rows + Math.abs(f.add) < INT32_SAFE));
    // the analysis verified the closed form against the map; row ranges pass through
    if (fits) return { kind: 'closed_form', segments: chosen.segments.map(({ kind, ...g }) => ({ ...g, full: kind === 'FULL' })) };
  }
  const rows: { kt: number; full: boolean }[][] = [];
  for (let kt = 0; kt < t.nqt; kt++) {
    const row: { kt: number; full: boolean }[] = [];
    for (let i = t.rowPtr[kt]!; i < t.rowPtr[kt + 1]!; i++) {
      for (let qt = t.kt0[i]!; qt < t.kt1[i]!; qt++) row.push({ kt: qt, full: t.code[i] === FULL });
    }
    rows.push(row);
  }
  return { kind: 'csr', rows };
}

/** The compile-time part of a class: itself, or a runtime class's static envelope (if any). */
function staticPart(c: ClassSchedule): ClassSchedule | null {
  if (c.kind !== 'runtime') return c;
  return (c as unknown as { envelope?: ClassSchedule }).envelope ?? null;
}

/** The length of every row of a tile map (tiles, not runs). */
function rowLengths(t: TileMap): number[] {
  return Array.from({ length: t.nqt }, (_, r) => {
    let n = 0;
    for (let i = t.rowPtr[r]!; i < t.rowPtr[r + 1]!; i++) n += t.kt1[i]! - t.kt0[i]!;
    return n;
  });
}

/**
 * The transposed schedule of every class of the forward schedule. A runtime class becomes a
 * runtime class over the transposed envelope (every query tile, PARTIAL, when the forward
 * envelope is dense), with `maxTiles` its longest row.
 */
export function transposeSchedule(fwd: ScheduleInput): TransposedSchedule {
  const dense = new Map<number, string>();
  const cache = new Map<StaticClassSchedule, { schedule: ClassSchedule; rows: number[] }>();
  const rowTiles = new Array<number>(fwd.numKeyTiles).fill(0);
  const classes: ClassSchedule[] = fwd.classes.map((c, i) => {
    if (!fwd.classOf.includes(i)) return { kind: 'closed_form', segments: [] };
    const s = staticPart(c);
    if (!s || s.kind === 'dense') {
      if (c.kind === 'runtime') dense.set(i, 'runtime schedule with a dense envelope: the builder walks every query tile');
      else rowTiles.fill(fwd.numQueryTiles);
      return c.kind === 'runtime' ? { kind: 'runtime', envelope: { kind: 'dense' }, maxTiles: fwd.numQueryTiles } : { kind: 'dense' };
    }
    let t = cache.get(s as StaticClassSchedule);
    if (!t) {
      const map = transposeTileMap(classMap(s, fwd.numQueryTiles, fwd.numKeyTiles));
      cache.set(s as StaticClassSchedule, t = { schedule: transposedClass(map), rows: rowLengths(map) });
    }
    if (c.kind !== 'runtime') {
      t.rows.forEach((n, kt) => { rowTiles[kt] = Math.max(rowTiles[kt]!, n); });
      return t.schedule;
    }
    return { kind: 'runtime', envelope: t.schedule as StaticClassSchedule, maxTiles: Math.max(0, ...t.rows) };
  });
  return {
    input: { numQueryTiles: fwd.numKeyTiles, numKeyTiles: fwd.numQueryTiles, classOf: fwd.classOf, H: fwd.H, classes },
    dense,
    rowTiles,
  };
}

// --- renaming the forward schedule lowering into the backward hooks

const RENAME_REF: Record<string, string> = { qt: 'kt' };
export const TRANSPOSED_RUNTIME_SCHEDULE_BUFFER = 'sched_t_rt';
const RENAME_BUFFER: Record<string, string> = { sched_csr: 'sched_t_csr', [RUNTIME_SCHEDULE_BUFFER]: TRANSPOSED_RUNTIME_SCHEDULE_BUFFER };
const RENAME_PARAM: Record<string, string> = { [`${RUNTIME_SCHEDULE_BUFFER}_bstride`]: `${TRANSPOSED_RUNTIME_SCHEDULE_BUFFER}_bstride` };

function renameExpr(e: LExpr): LExpr {
  switch (e.kind) {
    case 'ref': return RENAME_REF[e.name] ? { ...e, name: RENAME_REF[e.name]! } : e;
    case 'param': return RENAME_PARAM[e.name] ? { ...e, name: RENAME_PARAM[e.name]! } : e;
    case 'op': return { ...e, args: e.args.map(renameExpr) };
    case 'load': return { ...e, buffer: RENAME_BUFFER[e.buffer] ?? e.buffer, index: renameExpr(e.index) };
    default: return e;
  }
}

function renameStmt(s: LStmt): LStmt {
  switch (s.kind) {
    case 'let': case 'return': case 'out': return { ...s, value: renameExpr(s.value) } as LStmt;
    case 'member': return { ...s, value: renameExpr(s.value), base: renameExpr(s.base), buffer: RENAME_BUFFER[s.buffer] ?? s.buffer };
    case 'count_sorted': return { ...s, lo: renameExpr(s.lo), hi: renameExpr(s.hi), base: renameExpr(s.base), buffer: RENAME_BUFFER[s.buffer] ?? s.buffer };
    case 'if': return { ...s, cond: renameExpr(s.cond), then: s.then.map(renameStmt), else: s.else.map(renameStmt) };
    case 'switch': return { ...s, on: renameExpr(s.on), cases: s.cases.map((c) => ({ ...c, body: c.body.map(renameStmt) })), otherwise: s.otherwise.map(renameStmt) };
    case 'comment': return s;
  }
}

function renameFunction(f: LFunction, name: string): LFunction {
  return { ...f, name, params: f.params.map((p) => ({ ...p, name: RENAME_REF[p.name] ?? p.name })), body: f.body.map(renameStmt) };
}

export interface LoweredTransposedSchedule {
  numQueryTiles: LFunction;
  queryTile: LFunction;
  /** Row form (`query_tile_row_impl(b, l, h, kt, ...)`) when every class is closed-form or dense. */
  queryTileRow?: ScheduleRow;
  /** Static tables the backward hooks read beyond the forward ones (the transposed CSR). */
  tables: LBuffer[];
  /** With runtime classes: what the transposed schedule builder needs (rows = key tiles). */
  runtime?: TransposedRuntimeHooks;
}

export interface TransposedRuntimeHooks {
  /** `env_num_query_tiles(b, l, h, kt)` / `env_query_tile(b, l, h, kt, j, out full)`: the transposed envelope. */
  envNumQueryTiles: LFunction;
  envQueryTile: LFunction;
  /** `schedule_t_row(b, h, kt)`: index of the row's count in `buffer`. */
  scheduleRow: LFunction;
  /** `sched_t_rt`: per batch entry [H][numKeyTiles][1 + maxTiles] (count, then qt * 2 + full). */
  buffer: LBuffer;
  maxTiles: number;
}

/** `num_query_tiles(b, l, h, kt)` / `query_tile(b, l, h, kt, j, out full)`. */
export function lowerTransposedSchedule(t: TransposedSchedule, forwardTables: LBuffer[]): LoweredTransposedSchedule {
  const lowered = lowerSchedule(t.input);
  const have = new Set(forwardTables.map((b) => b.name));
  const tables = lowered.tables
    .map((b) => ({ ...b, name: RENAME_BUFFER[b.name] ?? b.name, source: b.source.kind === 'table' && b.name === 'sched_csr' ? { ...b.source, userName: 'transposed schedule' } : b.source }))
    .filter((b) => !have.has(b.name)); // the (l, h) dispatch table is the forward one
  const rt = lowered.runtime;
  return {
    numQueryTiles: renameFunction(lowered.numKeyTiles, 'num_query_tiles'),
    queryTile: renameFunction(lowered.keyTile, 'query_tile'),
    ...(lowered.row ? { queryTileRow: { fn: renameFunction(lowered.row.fn, 'query_tile_row_impl'), segments: lowered.row.segments } } : {}),
    tables,
    runtime: rt && {
      envNumQueryTiles: renameFunction(rt.envNumKeyTiles, 'env_num_query_tiles'),
      envQueryTile: renameFunction(rt.envKeyTile, 'env_query_tile'),
      scheduleRow: renameFunction(rt.scheduleRow, 'schedule_t_row'),
      buffer: { ...rt.buffer, name: TRANSPOSED_RUNTIME_SCHEDULE_BUFFER },
      maxTiles: rt.maxTiles,
    },
  };
}
