// Launch metadata: everything a host program needs to run an emitted pattern without reading
// the generated code: kernels (entry points, grid/block as formulas, shared memory, parameters),
// binary tables beside the kernel, runtime inputs, the launch order, WGSL features, limits and
// bind-group layouts, and the analysis statistics. One schema for CUDA and WGSL (and flex,
// which uses only the pattern-level parts). docs/metadata.md documents it; its JSON Schema is
// docs/metadata.schema.json (scripts: `npx tsx codegen/metadata/exportJsonSchema.ts`).
import { z } from 'zod';

/** A formula of size variables (codegen/metadata/formula.ts), or a plain integer. */
export const Formula = z.union([z.string().min(1), z.number().int()]).describe(
  'Integer, or a formula over B, Nq, Nk, H, Hkv, L, D with + - * / // % ceil floor min max',
);

export const Dtype = z.enum(['bf16', 'fp16', 'f32', 'i32', 'u32', 'i64', 'bool']);

export const KernelParam = z.object({
  name: z.string(),
  /** tensor: a device pointer to an array; scalar: a value in the parameter block. */
  kind: z.enum(['tensor', 'scalar']),
  dtype: Dtype,
  shape: z.array(Formula).describe('Tensor shape (empty for scalars)'),
  strides: z.array(Formula).optional().describe('Element strides; row-major contiguous when absent'),
  /** What the host binds to it. */
  source: z.enum(['q', 'k', 'v', 'out', 'lse', 'table', 'input', 'helper', 'size', 'constant', 'dout', 'delta', 'dq', 'dk', 'dv', 'dq_accum']).describe(
    'With a row permutation (`permutation`), q, k, v, out and lse of attention and backward kernels are the row-sorted tensors',
  ),
  /** For tables / inputs / helper outputs: the `tables[].name` / `inputs[].name` / buffer name. */
  ref: z.string().optional(),
});

export const Kernel = z.object({
  /** Entry point: extern "C" kernel name (CUDA) or WGSL entry point. */
  name: z.string(),
  role: z.enum(['attention', 'schedule', 'helper', 'backward']),
  /** Variant key, e.g. { dtype: "bf16", headDim: 128, arch: "sm90a" }. */
  variant: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
  grid: z.tuple([Formula, Formula, Formula]),
  block: z.tuple([Formula, Formula, Formula]),
  dynamicSmemBytes: Formula,
  /** CUDA: name of a __device__ int in the module holding the dynamic smem bytes, if any. */
  smemSymbol: z.string().optional(),
  params: z.array(KernelParam),
  /** Source file (relative to the output directory) holding the kernel. */
  file: z.string(),
});

export const Table = z.object({
  name: z.string().describe('Generated buffer name (the parameter field of the pattern)'),
  file: z.string().describe('Binary file beside the metadata: little-endian, row-major'),
  dtype: z.enum(['i32', 'f32']),
  shape: z.array(z.number().int().nonnegative()),
  role: z.enum(['pattern_table', 'random_blocks', 'dispatch', 'schedule']),
  /** The user's table name when role is pattern_table (for humans only). */
  userName: z.string().optional(),
});

export const RuntimeInput = z.object({
  /** The name the caller uses (the `input` declaration's name). */
  name: z.string(),
  /** Generated buffer name in the kernels' parameters. */
  buffer: z.string(),
  dtype: z.enum(['i32', 'f32']),
  /** Shape without the leading batch dimension; the caller passes [B or 1, ...shape]. */
  shape: z.array(z.number().int().positive()),
  source: z.enum(['given', 'lsh', 'helper']),
  /** For source lsh: which tensor, how many buckets, the seed. */
  lsh: z.object({ of: z.enum(['Q', 'K']), buckets: z.number().int(), seed: z.number().int() }).optional(),
});

export const LaunchStep = z.object({
  kernel: z.string(),
  /** Buffers (tables, inputs, helper outputs) the step reads and writes. */
  reads: z.array(z.string()).default([]),
  writes: z.array(z.string()).default([]),
});

/** A runtime helper that computes a buffer before attention (launch order in launchOrder). */
export const Helper = z.object({
  /**
   * topk_blocks: the top-k key blocks per (b, h, query block). Runtime schedules (docs/wgsl-kernel.md,
   * "Runtime schedules"): tile_minmax (min, max of `of` per row and tile of `tile` positions),
   * sorted_list (per row of `of` its distinct non-negative entries ascending, then 2^31 - 1),
   * schedule_build (per (b, h, qt) the visited key tiles: count, then kt * 2 + full).
   */
  kind: z.enum(['topk_blocks', 'lsh_buckets', 'tile_minmax', 'sorted_list', 'schedule_build', 'row_sort', 'row_gather']),
  buffer: z.string(),
  shape: z.array(z.number().int().positive()).describe('Per batch entry'),
  k: z.number().int().optional(),
  block: z.number().int().optional(),
  causal: z.boolean().optional(),
  /** tile_minmax / sorted_list: the summarised buffer, its rows per batch entry and row length. */
  of: z.string().optional(),
  rows: z.number().int().positive().optional(),
  n: z.number().int().positive().optional(),
  /** tile_minmax: positions per tile (BLOCK_M for query positions, BLOCK_N for keys). */
  tile: z.number().int().positive().optional(),
  /** schedule_build: entries per row after the count (the longest envelope row). */
  maxTiles: z.number().int().nonnegative().optional(),
  /**
   * row_sort: per row of `of` ([rows][n]) the positions 0..n-1 ordered by (sort key, position);
   * the key is the value clamped to [0, buckets) (keyKind bucket) or 0 for nonzero, 1 for zero
   * (keyKind keep). row_gather: buffer[r, i] = of[r, positions[r, i]].
   */
  keyKind: z.enum(['bucket', 'keep']).optional(),
  buckets: z.number().int().positive().optional(),
  positions: z.string().optional(),
});

/** One side of a row permutation: how its rows are sorted and what is gathered with them. */
export const RowSortInfo = z.object({
  /** The sort input's declared name and generated buffer name. */
  keyInput: z.string(),
  keyBuffer: z.string(),
  keyKind: z.enum(['bucket', 'keep']),
  buckets: z.number().int().positive(),
  /** Sort rows per batch entry: one per query head (H) or key/value head (Hkv). */
  rowsDim: z.enum(['H', 'Hkv']),
  rows: z.number().int().positive(),
  n: z.number().int().positive(),
  /** Buffer of the original position of each sorted row, [rows, n] per batch entry. */
  positions: z.string(),
  /** Runtime buffers gathered into sorted order: `to[r, i] = from[r, positions[r, i]]`. */
  gathered: z.array(z.object({ from: z.string(), to: z.string() })),
});

/**
 * Row permutation (SCFA bucket sort, QK-drop compaction; docs/cuda-kernel.md, "Row
 * permutation"): the helpers sort query rows per (b, h) and key rows per (b, key row), gather
 * Q, K, V and the sort inputs into sorted order, attention runs on the sorted rows with the
 * mask on original positions, and O / LSE are scattered back to the caller's row order.
 */
export const PermutationInfo = z.object({
  query: RowSortInfo,
  key: RowSortInfo,
  /** Heads of the sorted K / V (H when keys are sorted per query head), and of the caller's. */
  kvHeads: z.number().int().positive(),
  sourceKvHeads: z.number().int().positive(),
  /** Names of the sorted tensors in launchOrder's reads / writes. */
  tensors: z.object({ q: z.string(), k: z.string(), v: z.string(), out: z.string(), lse: z.string() }),
});

export const WgslBinding = z.object({
  binding: z.number().int().nonnegative(),
  name: z.string(),
  type: z.enum(['uniform', 'read-only-storage', 'storage']),
  /** Size in bytes as a formula (0 = bound by the host from the data). */
  bytes: Formula.optional(),
  ref: z.string().optional(),
});

export const WgslInfo = z.object({
  requiredFeatures: z.array(z.string()),
  /** Limits the module needs above WebGPU's defaults, or the defaults it was checked against. */
  limits: z.record(z.string(), z.number()),
  bindGroups: z.array(z.object({ group: z.number().int().nonnegative(), entries: z.array(WgslBinding) })),
  /** Byte offsets of the pattern uniform block's fields. */
  patternUniforms: z.array(z.object({ name: z.string(), offset: z.number().int(), type: z.enum(['i32', 'u32', 'f32']) })).default([]),
  /**
   * Runtime buffers (given inputs, lsh and top-k helper outputs) inside the merged storage
   * arrays: the host places each at an offset of its choice (after the array's static data)
   * and writes that offset and the batch stride (0 = broadcast) into the named uniforms.
   */
  runtimeBuffers: z.array(z.object({
    buffer: z.string(),
    /** Name of the group-1 storage array (`bindGroups[].entries[].name`) holding it. */
    array: z.string(),
    /** Elements per batch entry. */
    length: z.number().int().positive(),
    offsetUniform: z.string(),
    batchStrideUniform: z.string(),
  })).default([]),
});

export const Statistics = z.object({
  tile: z.object({ blockM: z.number().int(), blockN: z.number().int() }),
  /** Visited tiles over all (l, h) and query tiles. */
  tiles: z.object({ total: z.number().int(), full: z.number().int(), partial: z.number().int(), empty: z.number().int() }),
  /** Fraction of the dense attention's tiles that are visited. */
  density: z.number(),
  classes: z.number().int(),
  /** Schedule kinds in use, e.g. ["closed_form", "csr", "runtime"]. */
  scheduleKinds: z.array(z.string()),
  /** The analysis' own statistics, passed through unchanged. */
  analysis: z.unknown().optional(),
});

/** The backward pass (CUDA): what the forward saves and how the three backward kernels run. */
export const BackwardInfo = z.object({
  supported: z.boolean(),
  /** Why not, when unsupported (e.g. a step function of s in the score modifier). */
  reason: z.string().optional(),
  /** Tensors the forward keeps for the backward pass (the autograd context). */
  saved: z.array(z.object({ name: z.enum(['q', 'k', 'v', 'out', 'lse']), dtype: z.string(), shape: z.array(Formula) })),
  /**
   * Backward kernels (`kernels[]` with role backward) in launch order, by pass; `schedule_t` (runtime
   * patterns) is attnc_schedule_build_t, which writes runtimeSchedule.buffer before dkdv.
   */
  launchOrder: z.array(z.enum(['schedule_t', 'pre', 'dkdv', 'dq'])),
  /**
   * Runtime-scheduled patterns: the transposed schedule built on the device before dkdv, per batch
   * entry [H][num key tiles][1 + maxTiles] int32 (count, then qt * 2 + full), from the forward's
   * runtime summaries and selections (the same pattern fields as the forward).
   */
  runtimeSchedule: z.object({ kernel: z.string(), buffer: z.string(), shape: z.array(z.number().int()), maxTiles: z.number().int() }).optional(),
  /** Translation unit of the backward entries and the cubin the loader looks for. */
  file: z.string().optional(),
  cubin: z.string().optional(),
  /** Schedule kind of each class's transposed schedule (dense: runtime-scheduled classes). */
  transposedKinds: z.array(z.enum(['closed_form', 'csr', 'dense', 'runtime'])).default([]),
  /** Gradients that are not propagated (runtime selections are straight-through). */
  notes: z.array(z.string()).default([]),
  /** Keys per dK/dV CTA of the sm_90a build (the dkdv grid is ceil(Nk / ctaKeys) x Hkv x B). */
  ctaKeys: z.union([z.literal(64), z.literal(128)]).optional(),
  /**
   * Key blocks (of ctaKeys keys) whose dK/dV CTAs the sm_90a build hands out first, every KV
   * head's, before the others in grid order (their transposed rows are at least
   * HEAVY_ROW_FACTOR times the mean): same grid, another order of its CTAs.
   */
  heavyKeyBlocks: z.array(z.number().int().nonnegative()).optional(),
});

export const LaunchMetadata = z.object({
  version: z.literal(1),
  pattern: z.string(),
  target: z.enum(['cuda', 'wgsl', 'flex']),
  /** Compile-time sizes the kernels are specialised for (B stays a runtime variable). */
  sizes: z.object({ Nq: z.number().int(), Nk: z.number().int(), H: z.number().int(), Hkv: z.number().int(), L: z.number().int() }),
  tile: z.object({ blockM: z.number().int().positive(), blockN: z.number().int().positive() }),
  dtypes: z.array(z.enum(['bf16', 'fp16', 'f32', 'f16'])),
  headDims: z.array(z.number().int().positive()),
  constants: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])),
  kernels: z.array(Kernel),
  tables: z.array(Table),
  inputs: z.array(RuntimeInput),
  /**
   * Kernels in launch order: helpers that build runtime schedules first, then attention; with a
   * row permutation, row_sort / row_gather before the schedule helpers and row_scatter last.
   */
  launchOrder: z.array(LaunchStep),
  helpers: z.array(Helper).default([]),
  permutation: PermutationInfo.optional(),
  wgsl: WgslInfo.optional(),
  statistics: Statistics.optional(),
  backward: BackwardInfo.optional(),
  /** Files written, relative to the output directory. */
  files: z.array(z.string()),
});
export type LaunchMetadata = z.infer<typeof LaunchMetadata>;
export type Kernel = z.infer<typeof Kernel>;
export type KernelParam = z.infer<typeof KernelParam>;
export type Table = z.infer<typeof Table>;
export type RuntimeInput = z.infer<typeof RuntimeInput>;
export type LaunchStep = z.infer<typeof LaunchStep>;
export type BackwardInfo = z.infer<typeof BackwardInfo>;
export type PermutationInfo = z.infer<typeof PermutationInfo>;
