// Backward schedule lowering: the transposed schedule (per key tile, the query tiles touching
// it) as the hooks `num_query_tiles` / `query_tile` of codegen/HOOKS.md "Backward hooks".
// It is read from the forward schedule's own lowering (codegen/lower/schedule.ts, run by the IR
// interpreter with the kernels' int32 arithmetic), so it lists exactly the transpose of what
// `key_tile` visits, FULL flags included; runtime-scheduled classes use their static envelope
// (sound for every input: the mask hook decides inside PARTIAL tiles). Each class then gets the
// analysis' by_key schedule of that transposed tile map (closed form when one fits and
// verifies, else CSR) and the same lowering as the forward hooks, rows and columns swapped.
import { chooseSchedule } from '../../src/analysis/schedule.ts';
import { transposeTileMap, TileMapBuilder, type TileMap } from '../../src/analysis/tilemap.ts';
import { callFunction } from './eval.ts';
import type { LBuffer, LExpr, LFunction, LStmt } from './ir.ts';
import { lowerSchedule, type ClassSchedule, type ScheduleInput } from './schedule.ts';

/** Transposed schedule input: rows are key tiles, columns query tiles (same classes and dispatch). */
export interface TransposedSchedule {
  input: ScheduleInput;
  /** Why a class fell back to the dense transposed schedule (runtime schedules), by class. */
  dense: Map<number, string>;
}

const INT32_SAFE = 2 ** 30;
const FULL = 1, PARTIAL = 2;

interface ScheduleHooks { numKeyTiles: LFunction; keyTile: LFunction; tables: LBuffer[] }

/** The tile map of one class, read from lowered schedule hooks at a representative (l, h). */
function forwardMap(hooks: ScheduleHooks, input: ScheduleInput, pair: number, extra: Record<string, ArrayLike<number>>): TileMap {
  const buffers = { ...extra };
  for (const t of hooks.tables) if (t.source.kind === 'table') buffers[t.name] = t.source.data;
  const l = Math.floor(pair / input.H), h = pair % input.H;
  const ctx = { params: {}, buffers };
  const b = new TileMapBuilder(input.numQueryTiles, input.numKeyTiles);
  for (let qt = 0; qt < input.numQueryTiles; qt++) {
    const n = callFunction(hooks.numKeyTiles, { b: 0, l, h, qt }, ctx).value as number;
    const row: { kt: number; full: boolean }[] = [];
    for (let j = 0; j < n; j++) {
      const r = callFunction(hooks.keyTile, { b: 0, l, h, qt, j }, ctx);
      row.push({ kt: r.value as number, full: r.outs.get('full') === true });
    }
    row.sort((x, y) => x.kt - y.kt);
    b.startRow(qt);
    row.forEach((e, i) => {
      if (i > 0 && row[i - 1]!.kt === e.kt) throw new Error(`key_tile lists key tile ${e.kt} of query tile ${qt} twice`);
      if (e.kt < 0 || e.kt >= input.numKeyTiles) throw new Error(`key_tile ${e.kt} of query tile ${qt} out of range`);
      b.add(e.kt, e.kt + 1, e.full ? FULL : PARTIAL);
    });
  }
  return b.finish();
}

/** Does the lowered single-class schedule `c` enumerate exactly the tile map `t`? */
function lowersTo(c: ClassSchedule, t: TileMap): boolean {
  const input: ScheduleInput = { numQueryTiles: t.nqt, numKeyTiles: t.nkt, classOf: [0], H: 1, classes: [c] };
  const got = forwardMap(lowerSchedule(input), input, 0, {});
  return sameMap(got, t);
}

function sameMap(a: TileMap, b: TileMap): boolean {
  const eq = (x: ArrayLike<number>, y: ArrayLike<number>) => x.length === y.length && Array.from(x).every((v, i) => v === y[i]);
  return eq(a.rowPtr, b.rowPtr) && eq(a.kt0, b.kt0) && eq(a.kt1, b.kt1) && eq(a.code, b.code);
}

function transposedClass(t: TileMap): ClassSchedule {
  const chosen = chooseSchedule(t, 'by_key').schedule;
  if (chosen.kind === 'closed_form') {
    const fits = chosen.segments.every((g) => [g.start, g.end].every((f) => Math.abs(f.mul) * chosen.rows + Math.abs(f.add) < INT32_SAFE));
    // segment fields beyond start/end/step (e.g. row ranges) pass through to the lowering;
    // the lowered hooks are checked against the tile map, CSR when they disagree
    const segments = chosen.segments.map(({ kind, ...g }) => ({ ...g, full: kind === 'FULL' }));
    const closed: ClassSchedule = { kind: 'closed_form', segments };
    if (fits && lowersTo(closed, t)) return closed;
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

/**
 * The transposed schedule of every class of the forward schedule. Runtime classes without a
 * static envelope get the dense transposed schedule (every query tile, PARTIAL).
 */
export function transposeSchedule(fwd: ScheduleInput): TransposedSchedule {
  const dense = new Map<number, string>();
  const statics = fwd.classes.map((c, i) => {
    const s = staticPart(c);
    if (!s) dense.set(i, 'runtime schedule without a static envelope: every query tile');
    return s ?? ({ kind: 'dense' } as const);
  });
  const walk = lowerSchedule({ ...fwd, classes: statics });
  const classes: ClassSchedule[] = statics.map((c, i) => {
    const pair = fwd.classOf.indexOf(i);
    if (pair < 0) return { kind: 'closed_form', segments: [] };
    if (c.kind === 'dense') return { kind: 'dense' };
    return transposedClass(transposeTileMap(forwardMap(walk, fwd, pair, {})));
  });
  return {
    input: { numQueryTiles: fwd.numKeyTiles, numKeyTiles: fwd.numQueryTiles, classOf: fwd.classOf, H: fwd.H, classes },
    dense,
  };
}

// --- renaming the forward schedule lowering into the backward hooks

const RENAME_REF: Record<string, string> = { qt: 'kt' };
const RENAME_BUFFER: Record<string, string> = { sched_csr: 'sched_t_csr' };

function renameExpr(e: LExpr): LExpr {
  switch (e.kind) {
    case 'ref': return RENAME_REF[e.name] ? { ...e, name: RENAME_REF[e.name]! } : e;
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
  /** Static tables the backward hooks read beyond the forward ones (the transposed CSR). */
  tables: LBuffer[];
}

/** `num_query_tiles(b, l, h, kt)` / `query_tile(b, l, h, kt, j, out full)`. */
export function lowerTransposedSchedule(t: TransposedSchedule, forwardTables: LBuffer[]): LoweredTransposedSchedule {
  const lowered = lowerSchedule(t.input);
  const have = new Set(forwardTables.map((b) => b.name));
  const tables = lowered.tables
    .map((b) => ({ ...b, name: RENAME_BUFFER[b.name] ?? b.name, source: b.source.kind === 'table' && b.name === 'sched_csr' ? { ...b.source, userName: 'transposed schedule' } : b.source }))
    .filter((b) => !have.has(b.name)); // the (l, h) dispatch table is the forward one
  return {
    numQueryTiles: renameFunction(lowered.numKeyTiles, 'num_query_tiles'),
    queryTile: renameFunction(lowered.keyTile, 'query_tile'),
    tables,
  };
}
