// The analysis stage (IR -> tile classes, schedules, statistics, checks), between the IR and
// the code generators. `analyze` decides, per (layer, head), which BQ x BK tiles are EMPTY,
// FULL or PARTIAL by interval reasoning over the mask expression (never element by element),
// groups heads with the same folded mask into classes, and gives each class a schedule.
// Browser-safe: no Node imports.
import type { IrProgram, Sizes } from '../ir/schema.ts';
import { AnalysisContext } from './context.ts';
import { classify, type Classification } from './classify.ts';
import { instantiate, printNode } from './fold.ts';
import { chooseSchedule, chooseTransposed, type ChosenSchedule } from './schedule.ts';
import type { TileMap } from './tilemap.ts';
import { coverageReport, layerUnions, reachabilityReport } from './checks.ts';
import { runtimeBuilds } from './runtime.ts';
import { checkDiagnostics } from './diagnostics.ts';
import {
  AnalysisReport, type ClassReport, type CoverageReport, type ReachabilityReport,
  type Schedule, type StaticSchedule, type TileCounts, type TileShape,
} from './schema.ts';

export * from './schema.ts';
export { keyTilesOf, numKeyTiles, keyTile, buildCsr } from './schedule.ts';
export { evalFormula, segmentRanges } from './closedForm.ts';
export { tileAt, forEachTile, transposeTileMap, TILE_CODE_NAMES, type TileMap } from './tilemap.ts';
export { tileMapsSvg, rasterize, TILE_COLORS, type Raster } from './render.ts';
export { locateCheckDiagnostics } from './diagnostics.ts';

export interface AnalyzeOptions {
  sizes?: Partial<Sizes>;
  tile: TileShape;
  /** Also build transposed (per key tile) schedules (default true). */
  transposed?: boolean;
  /** Run the coverage and reachability checks (default true). */
  checks?: boolean;
  /** Refinement budgets (rectangle evaluations). */
  tileBudget?: number;
  totalBudget?: number;
  /** Mask-evaluation overhead of a PARTIAL tile relative to a FULL one, for the speed-up model. */
  partialOverhead?: number;
}

export interface ClassAnalysis {
  id: number;
  members: Array<{ l: number; h: number }>;
  /** Folded mask root in the analysis node pool. */
  root: number;
  classification: Classification;
  schedule: Schedule;
  transposed?: StaticSchedule;
}

export interface Analysis {
  report: AnalysisReport;
  classes: ClassAnalysis[];
  /** Class id of (layer, head). */
  classOf(l: number, h: number): number;
}

const tileCounts = (t: number[]): TileCounts => ({
  EMPTY: t[0]!, FULL: t[1]!, PARTIAL: t[2]!, PARTIAL_UNDECIDED: t[3]!, PARTIAL_RUNTIME: t[4]!,
});

export function analyze(ir: IrProgram, opts: AnalyzeOptions): Analysis {
  const t0 = now();
  const sizes: Sizes = { ...ir.sizes, ...opts.sizes };
  const { Nq, Nk, H, L } = sizes;
  const ctx = new AnalysisContext(Nq, Nk, opts.tile, { tileBudget: opts.tileBudget, totalBudget: opts.totalBudget });
  const alpha = opts.partialOverhead ?? 0.3;

  // --- classes: (l, h) pairs with the same folded mask
  const byRoot = new Map<number, Array<{ l: number; h: number }>>();
  const classIndex = new Int32Array(L * H).fill(-1);
  const rootsByLayer: number[][] = Array.from({ length: L }, () => []);
  for (const rule of ir.rules) {
    for (const l of rule.layers) for (const h of rule.heads) {
      if (l >= L || h >= H) continue;
      const root = instantiate(ir, sizes, ctx.pool, rule.mask, l, h);
      let m = byRoot.get(root);
      if (!m) { m = []; byRoot.set(root, m); }
      m.push({ l, h });
      rootsByLayer[l]!.push(root);
    }
  }
  const roots = [...byRoot.keys()];
  roots.forEach((root, id) => { for (const { l, h } of byRoot.get(root)!) classIndex[l * H + h] = id; });

  // --- reference: dense causal with the same tiles
  const causalRoot = ctx.pool.op('le', 'bool', [ctx.pool.v('k'), ctx.pool.v('q')]);
  const classifications = roots.map((r) => classify(ctx, r));
  const causal = classify(ctx, causalRoot);
  const t1 = now();

  const cost = (t: number[]) => t[1]! + (1 + alpha) * (t[2]! + t[3]! + t[4]!);
  const causalPairs = causalPairCount(Nq, Nk);
  const causalCost = cost(causal.tiles);

  const classes: ClassAnalysis[] = [];
  const reports: ClassReport[] = [];
  const scheduleCache = new Map<number, Array<{ map: TileMap; chosen: ChosenSchedule; trans?: ChosenSchedule }>>();
  roots.forEach((root, id) => {
    const cl = classifications[id]!;
    // classes whose tile maps are equal (e.g. S2 offsets that differ inside a tile) share schedules
    const key = tileMapKey(cl.map);
    let shared = scheduleCache.get(key)?.find((e) => sameTileMap(e.map, cl.map));
    if (!shared) {
      shared = { map: cl.map, chosen: chooseSchedule(cl.map, 'by_query'), trans: opts.transposed === false ? undefined : chooseTransposed(cl.map) };
      scheduleCache.set(key, [...(scheduleCache.get(key) ?? []), shared]);
    }
    const { chosen, trans } = shared;
    const builds = cl.runtime ? runtimeBuilds(ctx, ir, root) : [];
    const schedule: Schedule = cl.runtime ? { kind: 'runtime', envelope: chosen.schedule, builds } : chosen.schedule;
    const summary = cl.runtime ? { ...chosen.summary, kind: 'runtime' as const, envelopeKind: chosen.summary.kind as 'closed_form' | 'csr' } : chosen.summary;
    classes.push({ id, members: byRoot.get(root)!, root, classification: cl, schedule, transposed: trans?.schedule });
    const c = cost(cl.tiles);
    reports.push({
      id,
      members: byRoot.get(root)!,
      mask: truncate(printNode(ctx.pool, root), 400),
      tiles: tileCounts(cl.tiles),
      allowed: cl.allowed,
      allowedExact: cl.allowedExact,
      density: cl.allowed / (Nq * Nk),
      effectiveContext: cl.allowed / Nq,
      flopsVsCausal: cl.allowed / causalPairs,
      predictedSpeedup: c > 0 ? causalCost / c : Infinity,
      runtime: cl.runtime,
      schedule: summary,
      transposed: trans?.summary,
      builds,
    });
  });
  const t2 = now();

  // --- checks
  let coverage: CoverageReport = { checked: false, ok: true, layers: [] };
  let reachability: ReachabilityReport = {
    checked: false, verdict: 'not_applicable', layers: L, withinLayers: false, granularity: opts.tile.bq, note: 'not run',
  };
  if (opts.checks !== false) {
    const unions = layerUnions(ctx, rootsByLayer);
    coverage = coverageReport(ctx, unions);
    reachability = reachabilityReport(ctx, unions, L);
    // partial tiles may hide edges that finer blocks show: retry at 64 x 64 when undecided, or
    // when more layers than the pattern has seem needed and the lower bound is far below
    const g = 64;
    const loose = reachability.verdict === 'unknown' || (reachability.verdict === 'reachable' && reachability.layersNeeded! > L
      && reachability.layersNeeded! > 2 * (reachability.lowerBound ?? 0));
    if (loose && Math.max(opts.tile.bq, opts.tile.bk) > g && Nq === Nk) {
      const fine = new AnalysisContext(Nq, Nk, { bq: g, bk: g }, { tileBudget: opts.tileBudget, totalBudget: opts.totalBudget, randomIndexes: ctx.randomIndexes });
      const fineRoots: number[][] = Array.from({ length: L }, () => []);
      for (const rule of ir.rules) {
        for (const l of rule.layers) for (const h of rule.heads) {
          if (l < L && h < H) fineRoots[l]!.push(instantiate(ir, sizes, fine.pool, rule.mask, l, h));
        }
      }
      const retry = reachabilityReport(fine, layerUnions(fine, fineRoots), L);
      const better = retry.verdict === 'never'
        || (retry.verdict === 'reachable' && (reachability.verdict !== 'reachable' || retry.layersNeeded! < reachability.layersNeeded!));
      if (better) reachability = retry;
    }
  }
  const diagnostics = checkDiagnostics(ir, coverage, reachability);
  const t3 = now();

  // --- totals over every (layer, head)
  const totalTiles = [0, 0, 0, 0, 0];
  let allowed = 0, allowedExact = true, totalCost = 0, scheduleBytes = 0;
  reports.forEach((r, i) => {
    const n = r.members.length;
    classifications[i]!.tiles.forEach((t, j) => { totalTiles[j]! += t * n; });
    allowed += r.allowed * n;
    allowedExact &&= r.allowedExact;
    totalCost += cost(classifications[i]!.tiles) * n;
    scheduleBytes += r.schedule.bytes;
  });
  const pairs = L * H;
  const report = AnalysisReport.parse({
    version: 1,
    pattern: ir.name,
    sizes,
    tile: opts.tile,
    grid: { nqt: ctx.nqt, nkt: ctx.nkt },
    classes: reports.map((r) => ({ ...r, predictedSpeedup: finite(r.predictedSpeedup) })),
    totals: {
      tiles: tileCounts(totalTiles),
      allowed,
      allowedExact,
      density: allowed / (pairs * Nq * Nk),
      flopsVsCausal: allowed / (pairs * causalPairs),
      predictedSpeedup: finite(totalCost > 0 ? (causalCost * pairs) / totalCost : Infinity),
      scheduleBytes,
    },
    coverage,
    reachability,
    diagnostics,
    timing: { totalMs: t3 - t0, classifyMs: t1 - t0, schedulesMs: t2 - t1, checksMs: t3 - t2 },
  });
  return { report, classes, classOf: (l, h) => classIndex[l * H + h]! };
}

/** A cheap key for finding equal tile maps: sizes and about a thousand sampled entries (equality is checked in full). */
function tileMapKey(m: TileMap): number {
  let h = Math.imul(2166136261 ^ m.code.length, 16777619);
  const n = m.code.length, step = Math.max(1, n >> 10), rstep = Math.max(1, m.rowPtr.length >> 10);
  for (let i = 0; i < n; i += step) h = Math.imul(h ^ (m.kt0[i]! * 31 + m.kt1[i]! * 7 + m.code[i]!), 16777619);
  for (let i = 0; i < m.rowPtr.length; i += rstep) h = Math.imul(h ^ m.rowPtr[i]!, 16777619);
  return h >>> 0;
}

function sameArray(x: ArrayLike<number>, y: ArrayLike<number>): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

function sameTileMap(a: TileMap, b: TileMap): boolean {
  return sameArray(a.rowPtr, b.rowPtr) && sameArray(a.kt0, b.kt0) && sameArray(a.kt1, b.kt1) && sameArray(a.code, b.code);
}

/** Number of pairs with k <= q, 0 <= q < Nq, 0 <= k < Nk. */
export function causalPairCount(Nq: number, Nk: number): number {
  const m = Math.min(Nq, Nk);
  return (m * (m + 1)) / 2 + Math.max(0, Nq - Nk) * Nk;
}

const finite = (x: number) => (Number.isFinite(x) ? x : 0);
const truncate = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 3)}...` : s);
const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());
