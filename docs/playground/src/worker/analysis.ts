// The analysis as the playground shows it: per-(layer, head) tile classes for the tile map and
// the raster's shortcuts, and the statistics panel's rows and verdicts.
import type { IrProgram } from '../../../../src/ir/schema.ts';
import type { CompileOptions, Target } from '../../../../codegen/index.ts';
import type { AnalysisView } from '../protocol.ts';

/** Tile classes of one (layer, head): codes of src/analysis/tilemap.ts, row-major. */
export interface TileClasses {
  tilesQ: number;
  tilesK: number;
  classes: Uint8Array;
}

export interface PatternAnalysis {
  view: AnalysisView | { unavailable: string };
  tileClasses: ((l: number, h: number) => TileClasses | undefined) | undefined;
  codegenOptions: (target: Target) => Partial<CompileOptions>;
}

export function analyzePattern(_ir: IrProgram, _tile: { m: number; n: number }): PatternAnalysis {
  return {
    view: { unavailable: 'The analysis (src/analysis) has not landed yet: tile classes and statistics appear here once it does.' },
    tileClasses: undefined,
    codegenOptions: () => ({}),
  };
}
