// CUDA backend: the device steps a pattern with runtime inputs runs before attention, as launch
// metadata (kernels with their grids, and the launch order the Python loader follows): top-k
// pooling and selection, the fused summary kernel (codegen/cuda/runtime/attnc_runtime_helpers.cuh)
// and the schedule builder (attnc_schedule_build.cuh), after the lsh buckets of hashed inputs.
// Only a sorted list whose row does not fit in shared memory stays a torch op in the loader.
import type { LoweredPattern } from '../lower/pattern.ts';
import type { SummaryStep } from '../lower/runtimeSummaries.ts';
import type { Kernel, KernelParam, LaunchStep, RuntimeInput } from '../metadata/schema.ts';

/** Threads per CTA of every helper kernel (HELPER_THREADS in attnc_runtime_helpers.cuh). */
export const HELPER_THREADS = 256;
const HELPER_WARPS = HELPER_THREADS / 32;
/** Steps one attnc_runtime_summaries launch can hold (SUMMARY_MAX_STEPS). */
export const SUMMARY_MAX_STEPS = 8;
/** Longest sorted_list row sorted in shared memory (4 * 2^15 bytes); longer rows use torch. */
export const SORTED_LIST_MAX_ROW = 32768;
/** Query blocks one top-k select CTA scores at most (TOPK_MAX_ROWS_PER_CTA), and its smem budget. */
const TOPK_MAX_ROWS_PER_CTA = 4;
const TOPK_SMEM_BUDGET = 200 * 1024;

const pow2Ceil = (n: number): number => {
  let p = 1;
  while (p < n) p *= 2;
  return p;
};

const sizeParams = (names: string[]): KernelParam[] =>
  names.map((n) => ({ name: n, kind: 'scalar', dtype: 'i32', shape: [], source: 'size' }));

/** The kernels of the runtime steps, and the steps in launch order (without attention). */
export function cudaRuntimeSteps(p: LoweredPattern, inputs: RuntimeInput[], dtypes: ('bf16' | 'fp16')[], patternParams: KernelParam[]): { kernels: Kernel[]; steps: LaunchStep[] } {
  const file = `${p.name}.cu`;
  const kernels: Kernel[] = [];
  const steps: LaunchStep[] = [];
  const summaries: SummaryStep[] = [...(p.runtime?.summaries ?? [])];

  // lsh inputs: one warp per row of Q or K; R [D][buckets / 2] is uploaded by the loader
  for (const input of inputs) {
    if (!input.lsh) continue;
    const { of, buckets } = input.lsh;
    const [heads, N] = of === 'Q' ? ['H', 'Nq'] : ['Hkv', 'Nk'];
    const x = of === 'Q' ? 'q' : 'k';
    const rotation = `${input.buffer}_rotation`;
    for (const dtype of dtypes) {
      kernels.push({
        name: `attnc_lsh_buckets_${dtype}`, role: 'helper', variant: { step: 'lsh_buckets', dtype, buffer: input.buffer },
        grid: [`ceil(B * ${heads} * ${N} / ${HELPER_WARPS})`, 1, 1], block: [HELPER_THREADS, 1, 1], dynamicSmemBytes: 0, file,
        params: [
          { name: 'x', kind: 'tensor', dtype, shape: ['B', heads, N, 'D'], strides: [`${x}_sb`, `${x}_sh`, `${x}_sn`, 1], source: x },
          { name: 'rotation', kind: 'tensor', dtype: 'f32', shape: ['D', buckets / 2], source: 'helper', ref: rotation },
          { name: 'out', kind: 'tensor', dtype: 'i32', shape: ['B', ...input.shape], source: 'input', ref: input.buffer },
          ...sizeParams(['B']),
          ...(['heads', 'N', 'D', 'half'].map((n): KernelParam => ({ name: n, kind: 'scalar', dtype: 'i32', shape: [], source: 'constant' }))),
        ],
      });
    }
    steps.push({ kernel: 'lsh_buckets', reads: [x, rotation], writes: [input.buffer] });
  }

  for (const b of p.buffers) {
    if (b.source.kind !== 'topk_blocks') continue;
    const { k, block } = b.source;
    const qBlocks = Math.ceil(p.sizes.Nq / block), kBlocks = Math.ceil(p.sizes.Nk / block);
    // several query blocks per select CTA share each pooled K row read, while their sort keys fit
    const rowSmem = 8 * pow2Ceil(kBlocks) + 4 * pow2Ceil(k);
    const rowsPerCta = Math.max(1, Math.min(TOPK_MAX_ROWS_PER_CTA, qBlocks, Math.floor(TOPK_SMEM_BUDGET / rowSmem)));
    // the sorted list of this selection is written by the select kernel itself
    const fused = summaries.findIndex((s) => s.kind === 'sorted_list' && s.of.name === b.name);
    const sorted = fused >= 0 ? summaries.splice(fused, 1)[0]! : undefined;
    const pooled = `${b.name}_pooled_k`;
    const topkParams: KernelParam[] = [
      { name: 'q', kind: 'tensor', dtype: 'bf16', shape: ['B', 'H', 'Nq', 'D'], strides: ['q_sb', 'q_sh', 'q_sn', 1], source: 'q' },
      { name: 'k', kind: 'tensor', dtype: 'bf16', shape: ['B', 'Hkv', 'Nk', 'D'], strides: ['k_sb', 'k_sh', 'k_sn', 1], source: 'k' },
      { name: 'pooled_k', kind: 'tensor', dtype: 'f32', shape: ['B', 'Hkv', kBlocks, 'D'], source: 'helper', ref: pooled },
      { name: 'out', kind: 'tensor', dtype: 'i32', shape: ['B', ...b.shape], source: 'helper', ref: b.name },
      { name: 'sorted_out', kind: 'tensor', dtype: 'i32', shape: sorted ? ['B', ...b.shape] : [], source: 'helper', ...(sorted ? { ref: sorted.buffer.name } : {}) },
      ...sizeParams(['B', 'H', 'Hkv', 'Nq', 'Nk', 'D']),
      ...(['block', 'topk', 'causal', 'q_blocks', 'k_blocks', 'out_bstride', 'sorted_bstride', 'rows_per_cta'].map((n): KernelParam => ({ name: n, kind: 'scalar', dtype: 'i32', shape: [], source: 'constant' }))),
    ];
    for (const dtype of dtypes) {
      const params = topkParams.map((x) => (x.source === 'q' || x.source === 'k' ? { ...x, dtype } : x));
      kernels.push({
        name: `attnc_topk_pool_k_${dtype}`, role: 'helper', variant: { step: 'topk_pool_k', dtype, buffer: b.name },
        grid: [`B * Hkv * ${kBlocks}`, 1, 1], block: [HELPER_THREADS, 1, 1], dynamicSmemBytes: 0, params, file,
      });
      kernels.push({
        name: `attnc_topk_select_${dtype}`, role: 'helper', variant: { step: 'topk_select', dtype, buffer: b.name, rowsPerCta },
        grid: [`B * H * ${Math.ceil(qBlocks / rowsPerCta)}`, 1, 1], block: [HELPER_THREADS, 1, 1],
        dynamicSmemBytes: rowsPerCta * rowSmem, params, file,
      });
    }
    steps.push({ kernel: 'topk_pool_k', reads: ['k'], writes: [pooled] });
    steps.push({ kernel: 'topk_select', reads: ['q', pooled], writes: [b.name, ...(sorted ? [sorted.buffer.name] : [])] });
  }

  const rt = p.runtime;
  if (!rt) return { kernels, steps };
  // every other summary in one launch (at most SUMMARY_MAX_STEPS a launch), long sorted rows by torch
  const onDevice = summaries.filter((s) => s.kind === 'tile_minmax' || s.n <= SORTED_LIST_MAX_ROW);
  for (const s of summaries) {
    if (!onDevice.includes(s)) steps.push({ kernel: 'sorted_list', reads: [s.of.name], writes: [s.buffer.name] });
  }
  for (let i = 0; i < onDevice.length; i += SUMMARY_MAX_STEPS) {
    const group = onDevice.slice(i, i + SUMMARY_MAX_STEPS);
    // rows of every batch entry: B when the source is batched per entry (1 when broadcast)
    const blocks = group.map((s) => (s.kind === 'tile_minmax' ? `ceil(B * ${s.rows * s.tiles} / ${HELPER_WARPS})` : `B * ${s.rows}`));
    const longest = Math.max(0, ...group.filter((s) => s.kind === 'sorted_list').map((s) => pow2Ceil(s.n)));
    kernels.push({
      name: 'attnc_runtime_summaries', role: 'helper', variant: { step: 'runtime_summaries', buffers: group.map((s) => s.buffer.name).join(',') },
      grid: [blocks.join(' + '), 1, 1], block: [HELPER_THREADS, 1, 1], dynamicSmemBytes: 4 * longest,
      params: group.flatMap((s, j): KernelParam[] => [
        { name: `steps[${j}].src`, kind: 'tensor', dtype: 'i32', shape: ['B', ...s.of.shape], source: s.of.source.kind === 'input' ? 'input' : 'helper', ref: s.of.name },
        { name: `steps[${j}].dst`, kind: 'tensor', dtype: 'i32', shape: ['B', ...s.buffer.shape], source: 'helper', ref: s.buffer.name },
        // kind (0 tile_minmax, 1 sorted_list), rows (of every batch entry), n, tile, tiles, first CTA
        ...['kind', 'rows', 'n', 'tile', 'tiles', 'first_block'].map((f): KernelParam => ({ name: `steps[${j}].${f}`, kind: 'scalar', dtype: 'i32', shape: [], source: 'constant' })),
      ]).concat([{ name: 'num_steps', kind: 'scalar', dtype: 'i32', shape: [], source: 'constant' }]),
      file,
    });
    steps.push({ kernel: 'runtime_summaries', reads: [...new Set(group.map((s) => s.of.name))], writes: group.map((s) => s.buffer.name) });
  }
  // the runtime schedule builder (attnc_schedule_build.cuh): one warp per (b, h, qt), 4 per block
  kernels.push({
    name: 'attnc_schedule_build', role: 'schedule', variant: { step: 'schedule_build' },
    grid: [`ceil(B * H * ${p.numQueryTiles} / 4)`, 1, 1], block: [128, 1, 1], dynamicSmemBytes: 0,
    params: [...patternParams, ...sizeParams(['B', 'H', 'layer'])],
    file,
  });
  steps.push({ kernel: 'schedule_build', reads: p.buffers.filter((b) => b.name !== rt.schedule.name).map((b) => b.name), writes: [rt.schedule.name] });
  return { kernels, steps };
}
