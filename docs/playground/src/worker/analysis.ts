// The analysis as the playground shows it: `analyze` (src/analysis) gives per-(layer, head)
// tile classes for the tile map and the raster's shortcuts, the statistics and the coverage /
// reachability verdicts; codegen gets its schedules through the same adapter `attnc compile`
// uses, so the emitted kernels match the CLI's.
import { analyze, rasterize, tileAt, type Analysis, type AnalysisDiagnostic, type TileMap } from '../../../../src/analysis/index.ts';
import type { IrProgram } from '../../../../src/ir/schema.ts';
import type { CompileOptions, Target } from '../../../../codegen/index.ts';
import { analysedCompileOptions } from '../../../../codegen/tileChoice.ts';
import type { AnalysisView, StatRow, Verdict } from '../protocol.ts';

/** Tile classes of one (layer, head): codes of src/analysis/tilemap.ts. */
export interface TileClasses {
  tilesQ: number;
  tilesK: number;
  map: TileMap;
  classAt(qt: number, kt: number): number;
}

export interface PatternAnalysis {
  view: AnalysisView | { unavailable: string };
  tileClasses: ((l: number, h: number) => TileClasses | undefined) | undefined;
  codegenOptions: (target: Target) => Partial<CompileOptions>;
  /** The coverage / reachability findings, as the CLI reports them. */
  diagnostics: AnalysisDiagnostic[];
}

/** Longest side of the tile map picture; larger grids are downsampled by the analysis. */
export const TILE_MAP_SIDE = 512;
/** Head dimension the FLOP counts assume. */
const FLOP_HEAD_DIM = 128;

export function analyzePattern(ir: IrProgram, tile: { m: number; n: number }): PatternAnalysis {
  const codegenCache = new Map<Target, Partial<CompileOptions>>();
  const codegenOptions = (target: Target): Partial<CompileOptions> => {
    let options = codegenCache.get(target);
    if (!options) {
      // the same tile choice and schedules as `attnc compile` without --tile
      const { tile: codegenTile, analysed } = analysedCompileOptions(ir, target);
      options = { tile: codegenTile, schedule: analysed?.schedule, statistics: analysed?.statistics };
      codegenCache.set(target, options);
    }
    return options;
  };
  const analysis = analyze(ir, { tile: { bq: tile.m, bk: tile.n }, transposed: false });
  const tileClasses = (l: number, h: number): TileClasses | undefined => {
    const id = analysis.classOf(l, h);
    const map = analysis.classes[id]?.classification.map;
    if (!map) return undefined;
    return { tilesQ: map.nqt, tilesK: map.nkt, map, classAt: (qt, kt) => tileAt(map, qt, kt) };
  };
  return { view: statistics(ir, tile, analysis), tileClasses, codegenOptions, diagnostics: analysis.report.diagnostics };
}

/** The tile map picture of one class (downsampled past TILE_MAP_SIDE tiles a side). */
export function tilePicture(classes: TileClasses): { width: number; height: number; codes: Uint8Array } {
  return rasterize(classes.map, TILE_MAP_SIDE);
}

function statistics(ir: IrProgram, tile: { m: number; n: number }, analysis: Analysis): AnalysisView {
  const { report } = analysis;
  const { Nq, Nk, H, L } = report.sizes;
  const t = report.totals.tiles;
  const partial = t.PARTIAL + t.PARTIAL_UNDECIDED + t.PARTIAL_RUNTIME;
  const visited = t.FULL + partial;
  const totalTiles = visited + t.EMPTY;
  const elements = L * H * Nq * Nk;
  const approx = report.totals.allowedExact ? '' : '≈ ';
  const runtime = report.classes.some((c) => c.runtime);
  const flopsDense = 4 * elements * FLOP_HEAD_DIM;
  const flopsTiles = 4 * visited * tile.m * tile.n * FLOP_HEAD_DIM;
  const flopsMask = 4 * report.totals.allowed * FLOP_HEAD_DIM;
  const kinds = [...new Set(report.classes.map((c) => (c.schedule.kind === 'runtime' ? `runtime (${c.schedule.envelopeKind})` : c.schedule.kind)))];
  const rows: StatRow[] = [
    { label: 'density', value: `${approx}${percent(report.totals.density)}`, title: `${approx}${report.totals.allowed.toLocaleString('en-US')} of ${elements.toLocaleString('en-US')} (q, k) pairs allowed${runtime ? ' (runtime parts counted as allowed)' : ''}` },
    { label: 'vs. dense causal', value: `${approx}${percent(report.totals.flopsVsCausal)}`, title: 'allowed pairs relative to dense causal attention (k <= q)' },
    { label: 'tiles visited', value: percent(visited / totalTiles), title: `${visited.toLocaleString('en-US')} of ${totalTiles.toLocaleString('en-US')} tiles of ${tile.m}×${tile.n}` },
    { label: 'full · partial', value: `${t.FULL.toLocaleString('en-US')} · ${partial.toLocaleString('en-US')}`, title: `${t.PARTIAL_UNDECIDED} partial tiles not decided statically, ${t.PARTIAL_RUNTIME} decided at run time` },
    { label: 'empty (skipped)', value: t.EMPTY.toLocaleString('en-US') },
    { label: 'FLOPs, dense', value: flops(flopsDense), title: `4 · L · H · Nq · Nk · D with D = ${FLOP_HEAD_DIM}, batch 1` },
    { label: 'FLOPs, kernel', value: flops(flopsTiles), title: 'work of the visited tiles (full and partial)' },
    { label: 'FLOPs, mask', value: `${approx}${flops(flopsMask)}`, title: 'work of the allowed pairs only (a lower bound)' },
    { label: 'predicted speed-up', value: `${report.totals.predictedSpeedup.toFixed(2)}× vs causal`, title: 'the analysis’s cost model: kernel time of dense causal attention / this pattern’s, same tiles' },
    { label: 'schedule', value: `${kinds.join(', ')} · ${bytes(report.totals.scheduleBytes)}`, title: `${report.classes.length} schedule class(es); tables the kernel reads` },
    { label: 'distinct masks', value: `${report.classes.length} of ${L * H} heads`, title: 'heads whose masks fold to the same expression share one schedule' },
    { label: 'analysis time', value: `${report.timing.totalMs.toFixed(0)} ms` },
  ];
  return {
    tile,
    rows,
    tiles: { empty: t.EMPTY, full: t.FULL, partial },
    verdicts: [coverageVerdict(ir, report), reachabilityVerdict(ir, report)],
    notes: runtime ? ['Parts of this mask depend on runtime inputs: the views use seeded example inputs; the tile classes are the static envelope.'] : [],
  };
}

function coverageVerdict(ir: IrProgram, report: Analysis['report']): Verdict {
  const c = report.coverage;
  const required = ir.requires.includes('coverage') ? ' (required by the source)' : '';
  if (!c.checked) return { name: 'coverage', status: 'unknown', detail: 'not checked' };
  if (c.ok) return { name: 'coverage', status: 'pass', detail: `every causal (q, k) is read by some head of each layer${required}` };
  const bad = c.layers.find((l) => !l.ok);
  if (bad?.uncovered) {
    return { name: 'coverage', status: 'fail', detail: `layer ${bad.l}: no head reads key ${bad.uncovered.k} from query ${bad.uncovered.q}${required}` };
  }
  return { name: 'coverage', status: 'unknown', detail: `layer ${bad?.l ?? 0}: not proven (undecided tiles)${required}` };
}

function reachabilityVerdict(ir: IrProgram, report: Analysis['report']): Verdict {
  const r = report.reachability;
  const required = ir.requires.includes('reachability') ? ' (required by the source)' : '';
  if (!r.checked || r.verdict === 'not_applicable') return { name: 'reachability', status: 'unknown', detail: `${r.note}${required}` };
  if (r.verdict === 'reachable') {
    return {
      name: 'reachability',
      status: r.withinLayers ? 'pass' : 'fail',
      detail: `every query sees every earlier key after ${r.layersNeeded} layer(s); the pattern has ${r.layers}${required}`,
    };
  }
  if (r.verdict === 'never') {
    return { name: 'reachability', status: 'fail', detail: `key ${r.example?.k} never reaches query ${r.example?.q}, at any depth${required}` };
  }
  return { name: 'reachability', status: 'unknown', detail: `${r.note}${required}` };
}

function percent(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const p = 100 * x;
  return `${p >= 10 ? p.toFixed(1) : p >= 0.1 ? p.toFixed(2) : p.toPrecision(2)}%`;
}

function flops(x: number): string {
  const units: [number, string][] = [[1e15, 'PFLOP'], [1e12, 'TFLOP'], [1e9, 'GFLOP'], [1e6, 'MFLOP'], [1e3, 'kFLOP']];
  for (const [scale, unit] of units) if (x >= scale) return `${(x / scale).toPrecision(3)} ${unit}`;
  return `${x} FLOP`;
}

function bytes(n: number): string {
  if (n === 0) return 'no tables';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
