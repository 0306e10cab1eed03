// Adapter from the analysis (src/analysis, public `analyze`) to schedule lowering: one schedule
// class per analysis class. A class the analysis gives a closed form (verified there against
// its tile map) becomes arithmetic in the hooks; the others become CSR tables of their
// non-EMPTY tiles. Runtime classes get a runtime schedule built on the device before attention
// from their static envelope (runtime-dependent and undecided tiles are PARTIAL there, so the
// envelope stays sound for every input; codegen/lower/runtime.ts narrows it).
import { analyze, type Analysis, type StaticSchedule, type TileMap } from '../../src/analysis/index.ts';
import type { IrProgram, Sizes } from '../../src/ir/schema.ts';
import type { LaunchMetadata } from '../metadata/schema.ts';
import type { Tile } from './pattern.ts';
import { permuteRows } from './permutation.ts';
import type { ClassSchedule, ScheduleInput, StaticClassSchedule } from './schedule.ts';

/** How one class's schedule is emitted, for the compile summary and the metadata. */
export interface ClassScheduleKind {
  id: number;
  /** (l, h) pairs of the class. */
  pairs: number;
  kind: 'closed_form' | 'csr';
  /** The analysis' schedule kind (`runtime` classes are emitted from their envelope). */
  analysisKind: 'closed_form' | 'csr' | 'runtime';
  segments: number;
  /** Bytes of the class's table (0 for closed form) and what a CSR table would take. */
  bytes: number;
  csrBytes: number;
  fallbackReason?: string;
}

export interface AnalysedSchedule {
  schedule: () => ScheduleInput;
  statistics: NonNullable<LaunchMetadata['statistics']>;
  /** Tile map of every class, indexed like ScheduleInput.classes. */
  maps: TileMap[];
  kinds: ClassScheduleKind[];
  /** Bytes of all emitted schedule tables, and what all-CSR tables would take. */
  scheduleBytes: number;
  csrBytes: number;
  analysis: Analysis;
}

export interface ScheduleFromAnalysisOptions {
  /** An analysis of `ir` at `sizes` and `tile` already at hand (e.g. from the tile choice). */
  analysis?: Analysis;
  /** Schedule a row-permuted pattern over its sorted rows (default true; permutation.ts). */
  permute?: boolean;
}

export function scheduleFromAnalysis(source: IrProgram, sizes: Sizes, tile: Tile, opts: ScheduleFromAnalysisOptions = {}): AnalysedSchedule | undefined {
  // a row-permuted pattern is scheduled over its sorted rows (permutation.ts)
  const permuted = opts.permute === false ? null : permuteRows({ ...source, sizes });
  const ir = permuted?.ir ?? source;
  if (permuted) sizes = permuted.ir.sizes;
  try {
    const analysis = (!permuted ? opts.analysis : undefined) ?? analyze(ir, { sizes, tile: { bq: tile.blockM, bk: tile.blockN }, transposed: false, checks: false });
    return fromAnalysis(analysis, sizes, tile);
  } catch {
    return undefined; // no static schedule: the caller falls back to the dense schedule
  }
}

const INT32_SAFE = 2 ** 30;

/** The analysis' closed form as lowering segments, or null when int32 arithmetic could overflow. */
function closedForm(s: StaticSchedule): StaticClassSchedule | null {
  if (s.kind !== 'closed_form' || s.orientation !== 'by_query') return null;
  const fits = s.segments.every((g) => [g.start, g.end].every((f) => Math.abs(f.mul) * s.rows + Math.abs(f.add) < INT32_SAFE));
  if (!fits) return null;
  return { kind: 'closed_form', segments: s.segments.map((g) => ({ start: g.start, end: g.end, step: g.step, full: g.kind === 'FULL', ...(g.rows ? { rows: g.rows } : {}) })) };
}

function csrRows(m: TileMap): StaticClassSchedule {
  const rows: { kt: number; full: boolean }[][] = [];
  for (let qt = 0; qt < m.nqt; qt++) {
    const row: { kt: number; full: boolean }[] = [];
    for (let i = m.rowPtr[qt]!; i < m.rowPtr[qt + 1]!; i++) {
      for (let kt = m.kt0[i]!; kt < m.kt1[i]!; kt++) row.push({ kt, full: m.code[i] === 1 });
    }
    rows.push(row);
  }
  return { kind: 'csr', rows };
}

/** The longest row of a tile map (visited tiles of one query tile). */
function maxRowTiles(m: TileMap): number {
  let most = 0;
  for (let qt = 0; qt < m.nqt; qt++) {
    let n = 0;
    for (let i = m.rowPtr[qt]!; i < m.rowPtr[qt + 1]!; i++) n += m.kt1[i]! - m.kt0[i]!;
    most = Math.max(most, n);
  }
  return most;
}

function fromAnalysis(analysis: Analysis, sizes: Sizes, tile: Tile): AnalysedSchedule {
  const { report } = analysis;
  const nqt = report.grid.nqt, nkt = report.grid.nkt;
  if (nqt !== Math.ceil(sizes.Nq / tile.blockM) || nkt !== Math.ceil(sizes.Nk / tile.blockN)) {
    throw new Error('the analysis was made for other sizes or another tile');
  }
  const maps = analysis.classes.map((c) => c.classification.map);
  const classes: ClassSchedule[] = [];
  const kinds: ClassScheduleKind[] = [];
  analysis.classes.forEach((c, i) => {
    const summary = report.classes[i]!.schedule;
    // the emitted table: int32 offsets (rows + 1) and one int32 entry (kt * 2 + full) per tile
    const tableBytes = 4 * (nqt + 1 + summary.nnz);
    const stat = c.schedule.kind === 'runtime' ? c.schedule.envelope : c.schedule;
    const cf = closedForm(stat);
    const envelope = cf ?? csrRows(maps[i]!);
    // runtime classes: the schedule builder narrows the envelope on the device before attention
    classes.push(c.schedule.kind === 'runtime' ? { kind: 'runtime', envelope, maxTiles: maxRowTiles(maps[i]!) } : envelope);
    kinds.push({
      id: c.id, pairs: c.members.length, kind: envelope.kind === 'closed_form' ? 'closed_form' : 'csr', analysisKind: c.schedule.kind,
      segments: cf && cf.kind === 'closed_form' ? cf.segments.length : 0,
      bytes: cf ? 0 : tableBytes, csrBytes: tableBytes,
      fallbackReason: cf ? undefined : summary.fallbackReason ?? (stat.kind === 'closed_form' ? 'closed form outside int32 range' : undefined),
    });
  });
  // (l, h) pairs no rule covers (not produced by the front end) visit nothing
  const classOf: number[] = [];
  let empty = -1;
  for (let l = 0; l < sizes.L; l++) {
    for (let h = 0; h < sizes.H; h++) {
      let id = analysis.classOf(l, h);
      if (id < 0) {
        if (empty < 0) { empty = classes.length; classes.push({ kind: 'closed_form', segments: [] }); }
        id = empty;
      }
      classOf.push(id);
    }
  }
  let full = 0, partial = 0;
  for (const id of classOf) {
    if (id === empty) continue;
    const m = maps[id]!;
    for (let i = 0; i < m.code.length; i++) {
      const n = m.kt1[i]! - m.kt0[i]!;
      if (m.code[i] === 1) full += n; else partial += n;
    }
  }
  const total = sizes.L * sizes.H * nqt * nkt;
  const scheduleKinds: string[] = [...new Set(kinds.map((k) => k.kind))];
  if (classes.some((c) => c.kind === 'runtime')) scheduleKinds.push('runtime');
  return {
    schedule: () => ({ numQueryTiles: nqt, numKeyTiles: nkt, classOf, H: sizes.H, classes }),
    statistics: {
      tile: { ...tile }, tiles: { total, full, partial, empty: total - full - partial },
      density: (full + partial) / total, classes: kinds.length, scheduleKinds,
    },
    maps,
    kinds,
    scheduleBytes: kinds.reduce((s, k) => s + k.bytes, 0),
    csrBytes: kinds.reduce((s, k) => s + k.csrBytes, 0),
    analysis,
  };
}

/** One line per schedule kind for the compile summary, e.g. `closed_form x3 (0 B), csr x1 (1.2 KiB)`. */
export function describeScheduleKinds(a: AnalysedSchedule): string {
  const parts: string[] = [];
  for (const kind of ['closed_form', 'csr'] as const) {
    const ks = a.kinds.filter((k) => k.kind === kind);
    if (!ks.length) continue;
    const segs = kind === 'closed_form' ? `, ${[...new Set(ks.map((k) => k.segments))].sort((x, y) => x - y).join('/')} segment(s)` : '';
    parts.push(`${kind} x${ks.length}${segs} (${formatBytes(ks.reduce((s, k) => s + k.bytes, 0))})`);
  }
  const saved = a.csrBytes - a.scheduleBytes;
  const runtime = a.kinds.filter((k) => k.analysisKind === 'runtime').length;
  const built = runtime ? `; ${runtime} class(es) narrowed on the device before attention (runtime schedule over that envelope)` : '';
  return `${parts.join(', ')}; tables ${formatBytes(a.scheduleBytes)}, ${formatBytes(saved)} saved vs all-CSR ${formatBytes(a.csrBytes)}${built}`;
}

export function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(1)} MiB`;
}
