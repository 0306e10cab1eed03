// Messages between the page and the compiler worker. The worker owns the compiler (front end,
// reference mask, analysis, codegen); the page only draws. Every answer carries the generation
// of the compile it belongs to, so the page drops answers about source it has since changed.

export type Override = number | boolean;

export interface DiagnosticView {
  code: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
  /** 1-based line and column of the start, as printed by the CLI. */
  line: number;
  col: number;
  /** Offsets into the source, for the editor's squiggles. */
  from: number;
  to: number;
  /** The CLI's rendering of the diagnostic (formatDiagnostic), code frame included. */
  formatted: string;
}

export interface ControlSpec {
  name: string;
  kind: 'size' | 'param';
  type: 'int' | 'float' | 'bool';
  /** The value the source gives (or the language default for sizes). */
  sourceValue: number | boolean;
  /** The value in effect (override or source). */
  value: number | boolean;
}

export interface RuleView {
  /** Readable selector, e.g. `heads 0..7` or `every (layer, head)`. */
  selector: string;
  line?: number;
}

export interface PatternSummary {
  name: string;
  sizes: { Nq: number; Nk: number; H: number; Hkv: number; L: number };
  controls: ControlSpec[];
  rules: RuleView[];
  hasScore: boolean;
  hasRuntimeInputs: boolean;
}

export interface StatRow {
  label: string;
  value: string;
  title?: string;
}

export interface Verdict {
  name: string;
  status: 'pass' | 'fail' | 'unknown';
  detail: string;
}

export interface AnalysisView {
  tile: { m: number; n: number };
  /** Rows of the statistics panel, in order. */
  rows: StatRow[];
  /** Tile counts over every (layer, head), for the bar. */
  tiles: { empty: number; full: number; partial: number };
  verdicts: Verdict[];
  notes: string[];
}

export interface OutputFile {
  path: string;
  contents: string;
}

export interface OutputView {
  target: 'cuda' | 'wgsl' | 'flex' | 'metadata' | 'ir';
  files: OutputFile[];
  /** Why there is nothing to show (errors in the source, a stage not available, ...). */
  message?: string;
  millis?: number;
}

export interface TileMapView {
  l: number;
  h: number;
  tilesQ: number;
  tilesK: number;
  tile: { m: number; n: number };
  /** The picture: width x height cells (fewer than the tiles when the grid is large). */
  width: number;
  height: number;
  /** width * height tile codes of src/analysis/tilemap.ts (the strongest class per cell). */
  classes: Uint8Array;
}

export interface RasterRequest {
  q0: number;
  q1: number;
  k0: number;
  k1: number;
  rows: number;
  cols: number;
}

export interface MaskRaster extends RasterRequest {
  l: number;
  h: number;
  /** rows * cols entries: the allowed fraction of each cell, 0..255. */
  density: Uint8Array;
  /** False when cells were sampled rather than counted (very large windows). */
  exact: boolean;
}

/** One operand of the mask's top-level `or` / `and`, with its value at the hovered cell. */
export interface ExplainedPart {
  text: string;
  value: boolean;
  /** For an `or` inside an `and` (or vice versa): its own operands, one level down. */
  kind?: 'or' | 'and';
  children?: ExplainedPart[];
}

export interface Explanation {
  l: number;
  h: number;
  q: number;
  k: number;
  allowed: boolean;
  /** The rule that applies to (l, h). */
  rule: RuleView;
  /** The rule's mask, split at its top-level `or` (or `and`). */
  root: ExplainedPart;
  tile: { qt: number; kt: number; cls: string };
}

export interface RunSettings {
  /** Sequence length of the run (Nq = Nk, capped by the pattern's own). */
  seq: number;
  /** Head dimension. */
  D: number;
  seed: number;
}

export interface RunReport {
  ok: boolean;
  /** One sentence: what happened. */
  message: string;
  rows: { label: string; value: string }[];
}

export type ToWorker =
  | { kind: 'compile'; generation: number; source: string; fileName: string; overrides: Record<string, Override>; tile: { m: number; n: number } }
  | { kind: 'raster'; generation: number; l: number; h: number; request: RasterRequest }
  | { kind: 'tiles'; generation: number; l: number; h: number }
  | { kind: 'explain'; generation: number; l: number; h: number; q: number; k: number }
  | { kind: 'format'; source: string; requestId: number }
  | { kind: 'run'; generation: number; l: number; settings: RunSettings };

export type FromWorker =
  /** The front end's diagnostics, sent before the (slower) evaluation and analysis. */
  | { kind: 'diagnostics'; generation: number; diagnostics: DiagnosticView[] }
  | {
      kind: 'compiled';
      generation: number;
      diagnostics: DiagnosticView[];
      summary?: PatternSummary;
      analysis?: AnalysisView | { unavailable: string };
      millis: number;
    }
  | { kind: 'raster'; generation: number; raster?: MaskRaster; unavailable?: string }
  | { kind: 'tiles'; generation: number; tiles?: TileMapView; unavailable?: string }
  | { kind: 'explain'; generation: number; explanation?: Explanation; unavailable?: string }
  | { kind: 'output'; generation: number; output: OutputView }
  | { kind: 'formatted'; requestId: number; text?: string; error?: string }
  | { kind: 'run'; generation: number; report: RunReport }
  | { kind: 'fatal'; message: string };
