// CUDA backend: per pattern, the specialisation header, the translation unit that includes it
// (the skeleton's attnc_fwd.cuh defines the extern "C" entry points of every dtype / head-dim
// variant), little-endian binary tables, the launch metadata and the Python loader module.
import type { IrProgram } from '../../src/ir/schema.ts';
import { segmentRanges } from '../../src/analysis/closedForm.ts';
import type { ClosedFormSchedule } from '../../src/analysis/schema.ts';
import type { LoweredPattern } from '../lower/pattern.ts';
import { code } from '../lower/text.ts';
import type { EmittedFile } from '../files.ts';
import { tableBytes } from '../files.ts';
import { patternMetadataParts } from '../metadata/build.ts';
import type { Kernel, KernelParam, LaunchMetadata } from '../metadata/schema.ts';
import { emitCudaBackward } from './backward.ts';
import { emitCudaHeader, patternParamFields, type QueryTileOrder } from './header.ts';
import { emitPythonModule } from './python.ts';
import { cudaRuntimeSteps } from './runtimeHelpers.ts';

export type CudaDtype = 'bf16' | 'fp16';

export interface CudaEmitOptions {
  dtypes: CudaDtype[];
  headDims: number[];
  sourceSummary: string[];
  statistics?: LaunchMetadata['statistics'];
}

/** Skeleton files the output directory needs (copied by the caller from the repository). */
export const CUDA_RUNTIME_ASSETS = [
  'attnc_fwd.cuh', 'attnc_fwd_sm80.cuh', 'attnc_fwd_sm90.cuh', 'common.cuh', 'epilogue.cuh',
  'mma_sm80.cuh', 'softmax.cuh', 'wgmma_sm90.cuh', 'helpers/attnc_expr.cuh', 'attnc_bwd.cuh', 'attnc_bwd_sm80.cuh', 'attnc_bwd_sm90.cuh', 'attnc_schedule_build.cuh',
  'attnc_runtime_helpers.cuh',
].map((f) => ({ path: `runtime/${f}`, source: `codegen/cuda/runtime/${f}` }));
export const CUDA_PYTHON_ASSETS = [
  { path: 'attnc_runtime.py', source: 'codegen/cuda/python/attnc_runtime.py' },
  { path: 'attnc_formula.py', source: 'codegen/metadata/attnc_formula.py' },
  { path: 'attnc_runtime_helpers.py', source: 'codegen/cuda/python/attnc_runtime_helpers.py' },
];

/**
 * The order query tiles are launched in, heaviest first (longest-processing-time first, so the
 * tail of the grid is short): `reverse` for causal-like growth, `identity` when work does not
 * grow, else an explicit `table` sorted by visited key tiles summed over every (l, h) — e.g.
 * BigBird, whose global rows at both ends visit every key tile.
 */
export function queryTileOrder(p: LoweredPattern): QueryTileOrder {
  const { classes, classOf, numQueryTiles, numKeyTiles } = p.schedule;
  if (classes.some((c) => c.kind === 'runtime')) return { kind: 'reverse' };
  // visited key tiles per query tile, summed over every (l, h): per class, times its pairs
  const pairs = new Map<number, number>();
  for (const c of classOf) pairs.set(c, (pairs.get(c) ?? 0) + 1);
  const work = new Array<number>(numQueryTiles).fill(0);
  for (const [id, n] of pairs) {
    const c = classes[id]!;
    const closed: ClosedFormSchedule | null = c.kind === 'closed_form'
      ? { kind: 'closed_form', orientation: 'by_query', rows: numQueryTiles, cols: numKeyTiles, segments: c.segments.map(({ full, ...g }) => ({ ...g, kind: full ? 'FULL' : 'PARTIAL' })) }
      : null;
    for (let qt = 0; qt < numQueryTiles; qt++) {
      const count = closed ? segmentRanges(closed, qt).reduce((sum, r) => sum + Math.max(0, Math.ceil((r.b - r.a) / r.step)), 0)
        : c.kind === 'csr' ? (c.rows[qt]?.length ?? 0) : numKeyTiles;
      work[qt]! += n * count;
    }
  }
  const nonDecreasing = work.every((w, i) => i === 0 || w >= work[i - 1]!);
  const nonIncreasing = work.every((w, i) => i === 0 || w <= work[i - 1]!);
  if (nonDecreasing && !nonIncreasing) return { kind: 'reverse' };
  if (nonIncreasing) return { kind: 'identity' };
  const order = work.map((w, qt) => ({ w, qt })).sort((a, b) => b.w - a.w || a.qt - b.qt).map((x) => x.qt);
  return { kind: 'table', order };
}

const fwdTensorParams = (D: number, dtype: CudaDtype): KernelParam[] => [
  { name: 'q', kind: 'tensor', dtype, shape: ['B', 'H', 'Nq', D], strides: ['q_sb', 'q_sh', 'q_sn', 1], source: 'q' },
  { name: 'k', kind: 'tensor', dtype, shape: ['B', 'Hkv', 'Nk', D], strides: ['k_sb', 'k_sh', 'k_sn', 1], source: 'k' },
  { name: 'v', kind: 'tensor', dtype, shape: ['B', 'Hkv', 'Nk', D], strides: ['v_sb', 'v_sh', 'v_sn', 1], source: 'v' },
  { name: 'o', kind: 'tensor', dtype, shape: ['B', 'H', 'Nq', D], strides: ['o_sb', 'o_sh', 'o_sn', 1], source: 'out' },
  { name: 'lse', kind: 'tensor', dtype: 'f32', shape: ['B', 'H', 'Nq'], source: 'lse' },
  ...['B', 'H', 'Hkv', 'Nq', 'Nk'].map((n): KernelParam => ({ name: n, kind: 'scalar', dtype: 'i32', shape: [], source: 'size' })),
  { name: 'layer', kind: 'scalar', dtype: 'i32', shape: [], source: 'size' },
  { name: 'scale', kind: 'scalar', dtype: 'f32', shape: [], source: 'constant' },
  { name: 'scale_log2', kind: 'scalar', dtype: 'f32', shape: [], source: 'constant' },
];

function patternParams(p: LoweredPattern): KernelParam[] {
  return patternParamFields(p).map((f): KernelParam => {
    if (f.ctype === 'int') return { name: `pattern.${f.name}`, kind: 'scalar', dtype: 'i32', shape: [], source: 'constant', ref: f.name.replace(/_bstride$/, '') };
    const b = [...p.buffers, ...p.backward().tables].find((x) => x.name === f.name)!;
    const source = b.source.kind === 'input' ? 'input' : b.source.kind === 'table' || b.source.kind === 'random_blocks' ? 'table' : 'helper';
    return { name: `pattern.${f.name}`, kind: 'tensor', dtype: b.elem === 'float' ? 'f32' : 'i32', shape: b.batched ? ['B', ...b.shape] : b.shape, source, ref: b.name };
  });
}

export function emitCuda(ir: IrProgram, p: LoweredPattern, opts: CudaEmitOptions): { files: EmittedFile[]; metadata: LaunchMetadata } {
  const name = p.name;
  const header = emitCudaHeader(p, { queryTileOrder: queryTileOrder(p), sourceSummary: opts.sourceSummary });
  const parts = patternMetadataParts(ir, p);
  // runtime inputs: lsh buckets, top-k selection, summaries and the schedule builder, before attention
  const runtimeSteps = cudaRuntimeSteps(p, parts.inputs, opts.dtypes, patternParams(p));
  const tu = code`
    // attnc translation unit for pattern "${name}" (generated). Build:
    //   nvcc -cubin -gencode=arch=compute_90a,code=sm_90a -O3 -std=c++17 -I runtime ${name}.cu -o ${name}.cubin
    // Entry points (extern "C", one FwdParams by value): attnc_fwd_{bf16,fp16}_d{64,128} (sm_90a),
    // attnc_fwd_sm80_{bf16,fp16}_d{64,128}; dynamic shared memory in the __device__ int <entry>_smem.
    #include "${name}.cuh"
    ${runtimeSteps.kernels.length ? '#include "attnc_runtime_helpers.cuh"  // extern "C" lsh, top-k selection and runtime summaries (before the builder)' : ''}
    ${p.runtime ? '#include "attnc_schedule_build.cuh"  // extern "C" attnc_schedule_build (runtime schedule, before attention)' : ''}
  `;
  const kernels: Kernel[] = [];
  for (const dtype of opts.dtypes) {
    for (const D of opts.headDims) {
      for (const arch of ['sm90a', 'sm80'] as const) {
        const entry = arch === 'sm90a' ? `attnc_fwd_${dtype}_d${D}` : `attnc_fwd_sm80_${dtype}_d${D}`;
        const stages = arch === 'sm90a' ? 3 : 2;
        kernels.push({
          name: entry, role: 'attention', variant: { dtype, headDim: D, arch },
          grid: [`ceil(Nq / ${p.tile.blockM})`, 'H', 'B'], block: [256, 1, 1],
          dynamicSmemBytes: 1024 + p.tile.blockM * D * 2 + stages * 2 * p.tile.blockN * D * 2,
          smemSymbol: `${entry}_smem`,
          params: [...fwdTensorParams(D, dtype), ...patternParams(p)],
          file: `${name}.cu`,
        });
      }
    }
  }
  const backward = emitCudaBackward(p, { dtypes: opts.dtypes, headDims: opts.headDims, patternParams: patternParams(p), visitedTiles: opts.statistics ? opts.statistics.tiles.full + opts.statistics.tiles.partial : undefined });
  kernels.push(...backward.kernels);
  kernels.push(...runtimeSteps.kernels);
  const files: EmittedFile[] = [
    { path: `${name}.cuh`, contents: header },
    { path: `${name}.cu`, contents: tu },
    ...parts.tableFiles,
    ...backward.files,
  ];
  const metadata: LaunchMetadata = {
    version: 1, pattern: name, target: 'cuda', sizes: p.sizes, tile: p.tile,
    dtypes: opts.dtypes, headDims: opts.headDims,
    constants: { ...parts.constants, REVERSE_QUERY_TILES: header.includes('REVERSE_QUERY_TILES = true') },
    kernels, tables: [...parts.tables, ...backward.tables], inputs: parts.inputs,
    launchOrder: [
      // lsh buckets, then a row permutation's sorts and gathers (over the buckets), then the rest
      ...runtimeSteps.steps.filter((st) => st.kernel === 'lsh_buckets'),
      ...parts.helperSteps.filter((st) => st.kernel === 'row_sort' || st.kernel === 'row_gather'),
      ...runtimeSteps.steps.filter((st) => st.kernel !== 'lsh_buckets'),
      { kernel: 'attention', reads: p.buffers.map((b) => b.name), writes: [] },
      ...parts.afterSteps,
    ],
    helpers: parts.helpers,
    ...(parts.permutation ? { permutation: parts.permutation } : {}),
    statistics: opts.statistics,
    backward: backward.info,
    files: [],
  };
  files.push({ path: `${name}.py`, contents: emitPythonModule(p, metadata) });
  files.push({ path: 'metadata.json', contents: '' });
  metadata.files = [...files.map((f) => f.path), ...CUDA_RUNTIME_ASSETS.map((a) => a.path), ...CUDA_PYTHON_ASSETS.map((a) => a.path)];
  files[files.length - 1] = { path: 'metadata.json', contents: JSON.stringify(metadata, null, 2) + '\n' };
  return { files, metadata };
}

export { tableBytes };
