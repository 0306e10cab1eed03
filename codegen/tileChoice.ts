// The CUDA key-tile width when the user gives none: the pattern is analysed at 128x64 and at
// 128x128 and the cheaper schedule under a small cost model wins (docs/metadata.md "Tile
// choice"). Sits between the analysis and lowering; the chosen analysis is handed on, so the
// schedule is not analysed twice.
import { analyze, type Analysis } from '../src/analysis/index.ts';
import type { IrProgram, Sizes } from '../src/ir/schema.ts';
import { defaultTile, type Target } from './index.ts';
import { scheduleFromAnalysis, type AnalysedSchedule } from './lower/fromAnalysis.ts';
import type { Tile } from './lower/pattern.ts';

/**
 * Cost of one visited tile in units of a FULL 128x128 tile. A 128x64 tile does half the work
 * but keeps the per-tile overhead (K/V loads issued, softmax rescale, barriers): measured on
 * the sm90 path it costs 0.56 of a 128x128 one. PARTIAL tiles also evaluate the mask.
 */
export const TILE_COST: Record<number, number> = { 64: 0.56, 128: 1 };
export const PARTIAL_WEIGHT = 1.15;
/** 128x128 must win by this factor: 128x64 is the default because it never spills on sm80. */
export const WIDE_MARGIN = 0.98;

export interface TileCandidate {
  tile: Tile;
  /** Visited tiles over every (l, h). */
  full: number;
  partial: number;
  /** Visited elements (BM * BN per visited tile) over every (l, h). */
  elements: number;
  /** The model's cost in FULL 128x128 tiles. */
  cost: number;
}

export interface TileChoice {
  tile: Tile;
  candidates: TileCandidate[];
  /** One line: the choice and why. */
  reason: string;
  /** The analysis at the chosen tile (no checks, no transposed schedules). */
  analysis: Analysis;
}

export const CUDA_TILES: Tile[] = [{ blockM: 128, blockN: 64 }, { blockM: 128, blockN: 128 }];

export function tileCost(tile: Tile, full: number, partial: number): number {
  const unit = (TILE_COST[tile.blockN] ?? tile.blockN / 128) * (tile.blockM / 128);
  return unit * (full + PARTIAL_WEIGHT * partial);
}

export function chooseCudaTile(ir: IrProgram, sizes: Partial<Sizes> = {}): TileChoice {
  const analyses = CUDA_TILES.map((tile) => analyze(ir, { sizes, tile: { bq: tile.blockM, bk: tile.blockN }, transposed: false, checks: false }));
  const candidates = CUDA_TILES.map((tile, i): TileCandidate => {
    const t = analyses[i]!.report.totals.tiles;
    const partial = t.PARTIAL + t.PARTIAL_UNDECIDED + t.PARTIAL_RUNTIME;
    return { tile, full: t.FULL, partial, elements: (t.FULL + partial) * tile.blockM * tile.blockN, cost: tileCost(tile, t.FULL, partial) };
  });
  const [narrow, wide] = candidates as [TileCandidate, TileCandidate];
  const pick = wide.cost < WIDE_MARGIN * narrow.cost ? 1 : 0;
  const ratio = narrow.cost > 0 ? wide.cost / narrow.cost : 1;
  const reason = `${pick ? '128x128' : '128x64'}: modelled cost 128x128 / 128x64 = ${ratio.toFixed(3)} `
    + `(visited 128x64: ${narrow.full} full + ${narrow.partial} partial, 128x128: ${wide.full} full + ${wide.partial} partial; `
    + `128x128 needs < ${WIDE_MARGIN})`;
  return { tile: CUDA_TILES[pick]!, candidates, reason, analysis: analyses[pick]! };
}

export interface AnalysedCompileOptions {
  tile: Tile;
  /** Undefined when the analysis failed (the caller compiles the dense schedule). */
  analysed?: AnalysedSchedule;
  /** Present when the tile was chosen here (CUDA, no tile given). */
  choice?: TileChoice;
}

/**
 * The library path from IR to codegen options: the given tile, else for CUDA the chosen one,
 * else the target's default; then the analysis' schedule at that tile. Pass `tile`,
 * `analysed.schedule` and `analysed.statistics` on to `compile`.
 */
export function analysedCompileOptions(ir: IrProgram, target: Target, opts: { tile?: Tile } = {}): AnalysedCompileOptions {
  if (opts.tile || target !== 'cuda') {
    const tile = opts.tile ?? defaultTile(target);
    return { tile, analysed: scheduleFromAnalysis(ir, ir.sizes, tile) };
  }
  let choice: TileChoice;
  try {
    choice = chooseCudaTile(ir);
  } catch {
    const tile = defaultTile(target);
    return { tile, analysed: scheduleFromAnalysis(ir, ir.sizes, tile) };
  }
  return { tile: choice.tile, choice, analysed: scheduleFromAnalysis(ir, ir.sizes, choice.tile, { analysis: choice.analysis }) };
}
