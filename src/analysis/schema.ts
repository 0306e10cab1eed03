// Analysis output types, as zod schemas (the contract with the code generators and the
// `attnc analyze --json` output). Schedules say, per query tile, which key tiles a kernel
// visits and which of them are FULL (mask not evaluated). docs/analysis.md explains each field.
import { z } from 'zod';

export const TileShape = z.object({ bq: z.number().int().positive(), bk: z.number().int().positive() });
export type TileShape = z.infer<typeof TileShape>;

export const TileClassName = z.enum(['EMPTY', 'FULL', 'PARTIAL', 'PARTIAL_UNDECIDED', 'PARTIAL_RUNTIME']);
export type TileClassName = z.infer<typeof TileClassName>;

/**
 * `clamp(floor((mul * x + add) / div), 0, limit)` where x is the row tile index and limit the
 * number of column tiles. Backends emit it as integer arithmetic (floor division: div > 0).
 */
export const Formula = z.object({
  mul: z.number().int(),
  add: z.number().int(),
  div: z.number().int().positive(),
});
export type Formula = z.infer<typeof Formula>;

/** Rows x with from <= x < to. */
export const RowRange = z.object({ from: z.number().int().nonnegative(), to: z.number().int().nonnegative() });
export type RowRange = z.infer<typeof RowRange>;

/**
 * Column tiles start(x), start(x) + step, ... < end(x), all FULL or all PARTIAL. With `rows`, the
 * segment exists only on those rows (a piecewise closed form: the first rows of streaming_llm,
 * whose sinks meet the window, or prefix_lm's prefix rows, have a layout of their own).
 */
export const Segment = z.object({
  kind: z.enum(['FULL', 'PARTIAL']),
  start: Formula,
  end: Formula,
  step: z.number().int().positive(),
  rows: RowRange.optional(),
});
export type Segment = z.infer<typeof Segment>;

/**
 * by_query: rows are query tiles, columns key tiles (the forward pass).
 * by_key: rows are key tiles, columns query tiles (the transposed schedule, backward pass).
 */
export const Orientation = z.enum(['by_query', 'by_key']);
export type Orientation = z.infer<typeof Orientation>;

export const ClosedFormSchedule = z.object({
  kind: z.literal('closed_form'),
  orientation: Orientation,
  rows: z.number().int().positive(),
  cols: z.number().int().positive(),
  /**
   * In order. A step-1 segment's effective start is max(start(x), the effective end of the
   * previous segment); with that rule every non-empty tile is produced exactly once. Segments
   * whose `rows` exclude x are skipped on row x (they produce nothing and end nothing).
   */
  segments: z.array(Segment),
});
export type ClosedFormSchedule = z.infer<typeof ClosedFormSchedule>;

/** Compressed sparse rows: row x visits cols indices[offsets[x] .. offsets[x+1]), full[i] = 1 when FULL. */
export const CsrSchedule = z.object({
  kind: z.literal('csr'),
  orientation: Orientation,
  rows: z.number().int().positive(),
  cols: z.number().int().positive(),
  offsets: z.instanceof(Int32Array),
  indices: z.instanceof(Int32Array),
  full: z.instanceof(Uint8Array),
});
export type CsrSchedule = z.infer<typeof CsrSchedule>;

export const StaticSchedule = z.discriminatedUnion('kind', [ClosedFormSchedule, CsrSchedule]);
export type StaticSchedule = z.infer<typeof StaticSchedule>;

/** Something a runtime pattern needs built on the device before the kernel runs. */
export const RuntimeBuild = z.object({
  kind: z.enum(['topk_selection', 'doc_tile_ranges', 'bucket_sort', 'keep_list_compaction', 'input_tile_summary']),
  /** Runtime inputs or built-ins it reads (input names, `Q`, `K`). */
  inputs: z.array(z.string()),
  description: z.string(),
  /** Bytes of the structure per batch element and head. */
  bytes: z.number().nonnegative(),
  /** Work estimate (multiply-adds or element operations) per batch element and head. */
  work: z.number().nonnegative(),
});
export type RuntimeBuild = z.infer<typeof RuntimeBuild>;

/**
 * A runtime pattern: the static envelope (tiles outside it are EMPTY for every input; tiles in
 * it are visited, PARTIAL ones evaluate the runtime mask) plus what must be built at run time.
 */
export const RuntimeSchedule = z.object({
  kind: z.literal('runtime'),
  envelope: StaticSchedule,
  builds: z.array(RuntimeBuild),
});
export type RuntimeSchedule = z.infer<typeof RuntimeSchedule>;

export const Schedule = z.union([ClosedFormSchedule, CsrSchedule, RuntimeSchedule]);
export type Schedule = z.infer<typeof Schedule>;

// --- JSON report (attnc analyze --json)

const Count = z.number().int().nonnegative();

export const TileCounts = z.object({ EMPTY: Count, FULL: Count, PARTIAL: Count, PARTIAL_UNDECIDED: Count, PARTIAL_RUNTIME: Count });
export type TileCounts = z.infer<typeof TileCounts>;

export const ScheduleSummary = z.object({
  kind: z.enum(['closed_form', 'csr', 'runtime']),
  /** Static envelope kind for runtime schedules. */
  envelopeKind: z.enum(['closed_form', 'csr']).optional(),
  segments: z.array(Segment).optional(),
  /** Non-empty tiles (CSR entries). */
  nnz: Count,
  /** Bytes of the schedule's tables (0 for closed form). */
  bytes: Count,
  /** Bytes the same schedule would take as CSR (int32 offsets and indices, uint8 flags). */
  csrBytes: Count,
  /** Bytes as FlexAttention-like separate full / partial lists (int32 counts and indices). */
  splitListBytes: Count,
  /** Why a closed form was not used, when it was not. */
  fallbackReason: z.string().optional(),
});
export type ScheduleSummary = z.infer<typeof ScheduleSummary>;

export const ClassReport = z.object({
  id: z.number().int().nonnegative(),
  /** (layer, head) pairs sharing this schedule. */
  members: z.array(z.object({ l: Count, h: Count })),
  mask: z.string(),
  tiles: TileCounts,
  allowed: z.number().nonnegative(),
  allowedExact: z.boolean(),
  density: z.number().min(0).max(1),
  /** Mean allowed keys per query. */
  effectiveContext: z.number().nonnegative(),
  /** Allowed pairs relative to dense causal (k <= q). */
  flopsVsCausal: z.number().nonnegative(),
  /** Predicted kernel time relative to dense causal with the same tiles (> 1: faster). */
  predictedSpeedup: z.number().nonnegative(),
  runtime: z.boolean(),
  schedule: ScheduleSummary,
  transposed: ScheduleSummary.optional(),
  builds: z.array(RuntimeBuild),
});
export type ClassReport = z.infer<typeof ClassReport>;

export const Pair = z.object({ q: Count, k: Count });

export const CoverageReport = z.object({
  checked: z.boolean(),
  ok: z.boolean(),
  layers: z.array(z.object({
    l: Count,
    ok: z.boolean(),
    /** An uncovered causal pair (q >= k allowed by no head of the layer). */
    uncovered: Pair.optional(),
    /** True when only undecided tiles remain (not proven either way). */
    undecided: z.boolean(),
  })),
});
export type CoverageReport = z.infer<typeof CoverageReport>;

export const ReachabilityReport = z.object({
  checked: z.boolean(),
  /** 'reachable': every query receives every earlier key after `layersNeeded` layers. */
  verdict: z.enum(['reachable', 'never', 'unknown', 'not_applicable']),
  layersNeeded: z.number().int().positive().optional(),
  /** No fewer layers can suffice (over-approximation with every non-empty tile as an edge). */
  lowerBound: z.number().int().positive().optional(),
  /** The pattern's own number of layers, and whether it suffices. */
  layers: z.number().int().positive(),
  withinLayers: z.boolean(),
  /** An unreachable pair, for 'never'. */
  example: Pair.optional(),
  /** Position-block granularity of the argument. */
  granularity: z.number().int().positive(),
  note: z.string(),
});
export type ReachabilityReport = z.infer<typeof ReachabilityReport>;

export const AnalysisDiagnostic = z.object({
  code: z.string(),
  id: z.string(),
  severity: z.enum(['error', 'warning']),
  message: z.string(),
  /** The `require` item that fails (its source span is found by locateCheckDiagnostics). */
  requirement: z.enum(['coverage', 'reachability']),
  /** For coverage: the layer whose heads leave a causal pair uncovered. */
  layer: z.number().int().nonnegative().optional(),
  notes: z.array(z.object({ message: z.string() })),
});
export type AnalysisDiagnostic = z.infer<typeof AnalysisDiagnostic>;

export const AnalysisReport = z.object({
  version: z.literal(1),
  pattern: z.string(),
  sizes: z.object({ Nq: Count, Nk: Count, H: Count, Hkv: Count, L: Count }),
  tile: TileShape,
  grid: z.object({ nqt: Count, nkt: Count }),
  classes: z.array(ClassReport),
  totals: z.object({
    tiles: TileCounts,
    allowed: z.number().nonnegative(),
    allowedExact: z.boolean(),
    density: z.number().min(0).max(1),
    flopsVsCausal: z.number().nonnegative(),
    predictedSpeedup: z.number().nonnegative(),
    scheduleBytes: Count,
  }),
  coverage: CoverageReport,
  reachability: ReachabilityReport,
  diagnostics: z.array(AnalysisDiagnostic),
  timing: z.object({ totalMs: z.number().nonnegative(), classifyMs: z.number().nonnegative(), schedulesMs: z.number().nonnegative(), checksMs: z.number().nonnegative() }),
});
export type AnalysisReport = z.infer<typeof AnalysisReport>;
