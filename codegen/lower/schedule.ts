// Schedule lowering: from per-class tile schedules (closed-form key-tile segments, CSR tables,
// runtime tables built by helper kernels, or dense) to the `num_key_tiles` / `key_tile` hooks
// of codegen/HOOKS.md, behind a dispatch on (l, h). Backend neutral: both printers print
// exactly these statements. Runtime classes read a buffer the schedule builder writes before
// attention (codegen/lower/runtime.ts); the builder walks their static envelope through the
// `env_*` functions lowered here.
import { add, mk, sub } from './build.ts';
import { dispatchSwitch, lowerDispatch } from './dispatch.ts';
import { int, ref, type LBuffer, type LExpr, type LFunction, type LStmt } from './ir.ts';
import { closedFormCount, closedFormTile, segmentLets, type KeyTileSegment } from './scheduleClosedForm.ts';

export type { KeyTileSegment, TileFormula } from './scheduleClosedForm.ts';

/** A schedule known at compile time. */
export type StaticClassSchedule =
  /** Key-tile segments as arithmetic over qt (the analysis' closed form): no table. */
  | { kind: 'closed_form'; segments: KeyTileSegment[] }
  /** Per query tile, the visited key tiles with FULL flags (CSR over query tiles). */
  | { kind: 'csr'; rows: { kt: number; full: boolean }[][] }
  /** Every key tile, PARTIAL (no static information). */
  | { kind: 'dense' };

export type ClassSchedule =
  /** Key-tile segments as arithmetic over qt (the analysis' closed form): no table. */
  | { kind: 'closed_form'; segments: KeyTileSegment[] }
  /** Per query tile, the visited key tiles with FULL flags (CSR over query tiles). */
  | { kind: 'csr'; rows: { kt: number; full: boolean }[][] }
  /**
   * Written at run time by the schedule builder (per (b, h, qt) a count and a row) from the
   * static `envelope` (sound for every input); `maxTiles` bounds the envelope's rows.
   */
  | { kind: 'runtime'; envelope: StaticClassSchedule; maxTiles: number }
  /** Every key tile, PARTIAL (no static information). */
  | { kind: 'dense' };

export interface ScheduleInput {
  numQueryTiles: number;
  numKeyTiles: number;
  /** Schedule class of every (l, h), row-major l * H + h. */
  classOf: number[];
  H: number;
  classes: ClassSchedule[];
}

export interface LoweredSchedule {
  numKeyTiles: LFunction;
  keyTile: LFunction;
  /** When every class is closed-form or dense: the row form (see scheduleRow). */
  row?: ScheduleRow;
  /** Static tables the hooks read (CSR schedule, class dispatch). */
  tables: LBuffer[];
  /** With runtime classes: what the schedule builder needs. */
  runtime?: RuntimeScheduleHooks;
}

/** The schedule builder's view: the envelope walk and where each built row goes. */
export interface RuntimeScheduleHooks {
  /** `env_num_key_tiles(b, l, h, qt)`: the envelope row length of runtime classes, 0 otherwise. */
  envNumKeyTiles: LFunction;
  /** `env_key_tile(b, l, h, qt, j, out full)`: its j-th tile; full = FULL for every input. */
  envKeyTile: LFunction;
  /** `schedule_row(b, h, qt)`: index of the row's count in `buffer` (the row follows it). */
  scheduleRow: LFunction;
  /** The runtime schedule buffer: per batch entry [H][numQueryTiles][1 + maxTiles]. */
  buffer: LBuffer;
  maxTiles: number;
}

const qt = ref('qt', 'int');
const j = ref('j', 'int');

const staticPart = (c: ClassSchedule): StaticClassSchedule => (c.kind === 'runtime' ? c.envelope : c);

/**
 * CSR tables of all CSR classes (and CSR envelopes of runtime classes), merged in one int
 * buffer: offsets then entries (kt * 2 + full).
 */
function csrBuffer(input: ScheduleInput): { buffer: LBuffer | null; base: Map<number, number> } {
  const data: number[] = [];
  const base = new Map<number, number>();
  input.classes.forEach((cls, i) => {
    const c = staticPart(cls);
    if (c.kind !== 'csr') return;
    base.set(i, data.length);
    const n = input.numQueryTiles;
    const offsets: number[] = [0];
    for (let t = 0; t < n; t++) offsets.push(offsets[t] + (c.rows[t]?.length ?? 0));
    data.push(...offsets);
    for (let t = 0; t < n; t++) for (const e of c.rows[t] ?? []) data.push(e.kt * 2 + (e.full ? 1 : 0));
  });
  if (!data.length) return { buffer: null, base };
  return {
    buffer: { name: 'sched_csr', elem: 'int', length: data.length, shape: [data.length], source: { kind: 'table', userName: 'schedule', data }, batched: false },
    base,
  };
}

const load = (buffer: string, index: LExpr): LExpr => ({ kind: 'load', type: 'int', buffer, index });

export const RUNTIME_SCHEDULE_BUFFER = 'sched_rt';

function runtimeRow(maxTiles: number, numQueryTiles: number): LExpr {
  // layout per batch entry: [H][numQueryTiles][1 + maxTiles] (count, then kt * 2 + full)
  const row = add(mk('mul', 'int', ref('h', 'int'), int(numQueryTiles)), qt);
  return add(mk('mul', 'int', ref('b', 'int'), { kind: 'param', type: 'int', name: `${RUNTIME_SCHEDULE_BUFFER}_bstride` }), mk('mul', 'int', row, int(1 + maxTiles)));
}

/** The largest `maxTiles` of the runtime classes (the buffer's row stride is 1 + this), or -1. */
function runtimeMaxTiles(input: ScheduleInput): number {
  return Math.max(-1, ...input.classes.map((c) => (c.kind === 'runtime' ? c.maxTiles : -1)));
}

type Csr = { buffer: LBuffer | null; base: Map<number, number> };

function countBody(c: ClassSchedule, i: number, input: ScheduleInput, csr: Csr): LStmt[] {
  switch (c.kind) {
    case 'dense': return [{ kind: 'return', value: int(input.numKeyTiles) }];
    case 'csr': {
      const b = csr.base.get(i)!;
      const name = csr.buffer!.name;
      return [{ kind: 'return', value: sub(load(name, add(int(b + 1), qt)), load(name, add(int(b), qt))) }];
    }
    case 'runtime': return [{ kind: 'return', value: load(RUNTIME_SCHEDULE_BUFFER, runtimeRow(runtimeMaxTiles(input), input.numQueryTiles)) }];
    case 'closed_form': return closedFormCount(c.segments, input.numKeyTiles);
  }
}

function tileBody(c: ClassSchedule, i: number, input: ScheduleInput, csr: Csr): LStmt[] {
  const entry = (v: LExpr): LStmt[] => [
    { kind: 'let', name: 'e', type: 'int', value: v },
    { kind: 'out', name: 'full', value: mk('ne', 'bool', mk('band', 'int', ref('e', 'int'), int(1)), int(0)) },
    { kind: 'return', value: mk('shr', 'int', ref('e', 'int'), int(1)) },
  ];
  switch (c.kind) {
    case 'dense': return [{ kind: 'out', name: 'full', value: { kind: 'lit', type: 'bool', value: false } }, { kind: 'return', value: j }];
    case 'csr': {
      const b = csr.base.get(i)!;
      const name = csr.buffer!.name;
      return entry(load(name, add(add(int(b + input.numQueryTiles + 1), load(name, add(int(b), qt))), j)));
    }
    case 'runtime': return entry(load(RUNTIME_SCHEDULE_BUFFER, add(add(runtimeRow(runtimeMaxTiles(input), input.numQueryTiles), int(1)), j)));
    case 'closed_form': return closedFormTile(c.segments, input.numKeyTiles);
  }
}

const NONE: StaticClassSchedule = { kind: 'closed_form', segments: [] };

/**
 * The row form of a schedule with several classes, all closed-form or dense: everything about a
 * query tile's row that does not depend on j, computed once per row by
 * `key_tile_row_impl(b, l, h, qt, out a0, n0, s0, a1, ...,  out full)` (segment i: first tile
 * a_i, n_i tiles, step s_i, FULL when bit i of `full` is set; classes with fewer segments get
 * empty ones; returns the row's tile count). The kernel then finds the j-th tile by walking
 * the `segments` segments (header.ts key_tile_at) instead of re-evaluating the class dispatch
 * and the closed form per tile.
 */
export interface ScheduleRow {
  fn: LFunction;
  segments: number;
}

function scheduleRowHook(input: ScheduleInput, d: ReturnType<typeof lowerDispatch>, used: number[]): ScheduleRow | null {
  const classes = used.map((c) => input.classes[c]);
  if (classes.some((c) => c.kind !== 'closed_form' && c.kind !== 'dense')) return null;
  // One class: no dispatch to save, and the per-tile closed form is a few integer operations;
  // holding the row in registers measured slower there (sliding window 16k: 0.419 against
  // 0.375-0.385 ms, docs/performance.md). With a class dispatch (per-head spans) the row pays.
  if (used.length < 2) return null;
  const segs = (c: ClassSchedule): KeyTileSegment[] =>
    c.kind === 'dense' ? [{ start: { mul: 0, add: 0, div: 1 }, end: { mul: 0, add: input.numKeyTiles, div: 1 }, step: 1, full: false }]
      : c.kind === 'closed_form' ? c.segments : [];
  const S = Math.max(1, ...classes.map((c) => segs(c).length));
  const outs = Array.from({ length: S }, (_, i) => [`a${i}`, `n${i}`, `s${i}`]).flat().map((name) => ({ name: `r_${name}`, type: 'int' as const }));
  const body = (c: ClassSchedule): LStmt[] => {
    const sg = segs(c);
    const stmts: LStmt[] = sg.length ? segmentLets(sg, input.numKeyTiles) : [];
    let fullBits = 0;
    for (let i = 0; i < S; i++) {
      const real = i < sg.length;
      if (real && sg[i].full) fullBits |= 1 << i;
      stmts.push(
        { kind: 'out', name: `r_a${i}`, value: real ? ref(`a${i}`, 'int') : int(0) },
        { kind: 'out', name: `r_n${i}`, value: real ? ref(`n${i}`, 'int') : int(0) },
        { kind: 'out', name: `r_s${i}`, value: int(real ? sg[i].step : 1) },
      );
    }
    stmts.push({ kind: 'out', name: 'r_full', value: int(fullBits) });
    const total = sg.length ? sg.map((_, i) => ref(`n${i}`, 'int') as LExpr).reduce((x, y) => add(x, y)) : int(0);
    stmts.push({ kind: 'return', value: total });
    return stmts;
  };
  const bodies = new Map(used.map((c) => [c, body(input.classes[c])]));
  return {
    fn: {
      name: 'key_tile_row_impl', params: ['b', 'l', 'h', 'qt'].map((name) => ({ name, type: 'int' as const })),
      outs: [...outs, { name: 'r_full', type: 'int' }], ret: 'int', body: dispatchSwitch(d, input.classOf, bodies),
    },
    segments: S,
  };
}

export function lowerSchedule(input: ScheduleInput): LoweredSchedule {
  const csr = csrBuffer(input);
  const tables: LBuffer[] = csr.buffer ? [csr.buffer] : [];
  const d = lowerDispatch(input.classOf, input.H, 'class_of_pair', 'pair');
  if (d.table) tables.push(d.table);
  const used = [...new Set(input.classOf)].sort((a, b) => a - b);
  const bodies = (f: typeof countBody, pick: (c: ClassSchedule) => ClassSchedule = (c) => c) => new Map(used.map((c) => [c, f(pick(input.classes[c]), c, input, csr)]));
  const args = ['b', 'l', 'h', 'qt'].map((name) => ({ name, type: 'int' as const }));
  const hooks = (prefix: string, pick?: (c: ClassSchedule) => ClassSchedule): [LFunction, LFunction] => [
    { name: `${prefix}num_key_tiles`, params: args, outs: [], ret: 'int', body: dispatchSwitch(d, input.classOf, bodies(countBody, pick)) },
    {
      name: `${prefix}key_tile`, params: [...args, { name: 'j', type: 'int' }], outs: [{ name: 'full', type: 'bool' }], ret: 'int',
      body: dispatchSwitch(d, input.classOf, bodies(tileBody, pick)),
    },
  ];
  const [numKeyTiles, keyTile] = hooks('');
  const maxTiles = runtimeMaxTiles(input);
  if (maxTiles < 0) {
    const row = scheduleRowHook(input, d, used);
    return { numKeyTiles, keyTile, tables, ...(row ? { row } : {}) };
  }
  // the builder walks runtime classes' envelopes; other classes build nothing
  const [envNumKeyTiles, envKeyTile] = hooks('env_', (c) => (c.kind === 'runtime' ? c.envelope : NONE));
  const length = input.H * input.numQueryTiles * (1 + maxTiles);
  const buffer: LBuffer = {
    name: RUNTIME_SCHEDULE_BUFFER, elem: 'int', length, shape: [input.H, input.numQueryTiles, 1 + maxTiles],
    source: { kind: 'runtime_schedule', maxTiles }, batched: true,
  };
  const scheduleRow: LFunction = {
    name: 'schedule_row', params: ['b', 'h', 'qt'].map((name) => ({ name, type: 'int' as const })), outs: [], ret: 'int',
    body: [{ kind: 'return', value: runtimeRow(maxTiles, input.numQueryTiles) }],
  };
  return { numKeyTiles, keyTile, tables, runtime: { envNumKeyTiles, envKeyTile, scheduleRow, buffer, maxTiles } };
}
