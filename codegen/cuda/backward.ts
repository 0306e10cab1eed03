// CUDA backend, backward pass: the translation unit of the backward entries (the pattern
// header, whose backward hooks come from codegen/lower/backward.ts, followed by the skeleton's
// attnc_bwd.cuh), the transposed-schedule table files, and the launch metadata of the three
// backward kernels (docs/cuda-kernel.md "Backward").
import type { EmittedFile } from '../files.ts';
import { tableBytes } from '../files.ts';
import type { LoweredPattern } from '../lower/pattern.ts';
import { code } from '../lower/text.ts';
import type { BackwardInfo, Kernel, KernelParam, Table } from '../metadata/schema.ts';

type Dtype = 'bf16' | 'fp16';

/**
 * Keys per dK/dV CTA of the sm_90a build (ATTNC_BWD_CTA_KEYS, attnc_bwd_sm90.cuh). A 64-key
 * schedule gets 64-key CTAs (one tile each) when its transposed rows are short (fewer than
 * SHORT_ROWS query tiles per key tile on average over every (l, h)), else 128-key CTAs (two
 * adjacent tiles). A CTA's fixed cost (K/V load before its first item, dK/dV stores after its
 * last) is paid once per row; 64-key CTAs fit two per SM, which hides it behind the other CTA's
 * products, while 128-key CTAs halve the Q/dO loads and dQ reduce-adds per key. Measured at 16k
 * (docs/performance.md, run 17): BigBird (7.8 query tiles per key tile) 15 % faster with 64-key
 * CTAs, S2 (15.3) 9 % faster with 128. A 128-key schedule keeps 128-key CTAs: splitting its tiles
 * (-DATTNC_BWD_CTA_KEYS=64, checked under emulation) lost on causal, sliding window and MoA (run 18).
 */
export const SHORT_ROWS = 12;
export function backwardCtaKeys(meanRow: number, blockN: number): 64 | 128 {
  return blockN === 64 && meanRow < SHORT_ROWS ? 64 : 128;
}

/**
 * Key blocks whose dK/dV CTAs run first (ATTNC_BWD_HEAVY_BLOCKS, attnc_bwd_sm90.cuh): those whose
 * work (query tiles over the CTA's key tiles, in the heaviest (l, h)) is at least
 * HEAVY_ROW_FACTOR times the mean, at most MAX_HEAVY of them, ascending. In grid order (key blocks
 * fastest, then KV heads) the last head's heavy CTA would start in the last wave and run on alone
 * after every other CTA has finished: attention sinks (streaming_llm, minference_a_shape),
 * global tokens (longformer, BigBird) make one key block's row as long as the sequence while the
 * others' are a window.
 */
export const HEAVY_ROW_FACTOR = 3;
const MAX_HEAVY = 16;
export function heavyKeyBlocks(rowTiles: number[], tilesPerCta: number): number[] {
  const n = Math.ceil(rowTiles.length / tilesPerCta);
  const work = Array.from({ length: n }, (_, c) => {
    let w = 0;
    for (let u = 0; u < tilesPerCta; u++) w += rowTiles[c * tilesPerCta + u] ?? 0;
    return w;
  });
  const mean = work.reduce((a, w) => a + w, 0) / Math.max(1, n);
  if (!(mean > 0) || n < 2) return [];
  const heavy = work.map((w, c) => ({ w, c })).filter((e) => e.w >= HEAVY_ROW_FACTOR * mean);
  if (heavy.length >= n) return [];
  return heavy.sort((a, b) => b.w - a.w || a.c - b.c).slice(0, MAX_HEAVY).map((e) => e.c).sort((a, b) => a - b);
}

/** Mirrors BwdPreConfig (attnc_bwd_sm80.cuh), Sm90BwdConfig and Sm90DqConvertConfig (attnc_bwd_sm90.cuh):
 * the sm_90a build of the backward translation unit. */
export function backwardLaunch(pass: 'pre' | 'dkdv' | 'dq', D: number, ctaKeys: 64 | 128): { grid: [string, string, string]; threads: number; smem: number } {
  switch (pass) {
    case 'pre': return { grid: [`ceil(Nq / ${2048 / D})`, 'H', 'B'], threads: 256, smem: 0 };
    case 'dkdv': {
      // a warpgroup per 64 keys; 128-key CTAs: 3 stages, double-buffered dS^T and a dQ staging
      // tile per warpgroup; 64-key CTAs: 2 stages, dQ staged in the item's own stage
      const keys = ctaKeys, two = keys === 128;
      const stages = two ? 3 : 2, dsBuffers = two ? 2 : 1, staging = two ? 2 * 64 * 64 * 4 : 0;
      return { grid: [`ceil(Nk / ${keys})`, 'Hkv', 'B'], threads: 2 * keys, smem: 1024 + 2 * keys * D * 2 + stages * (2 * 64 * D * 2 + 512) + dsBuffers * keys * 128 + staging + 128 };
    }
    case 'dq': return { grid: ['ceil(Nq / 128)', 'H', 'B'], threads: 256, smem: 0 };
  }
}

const tensor = (name: string, source: KernelParam['source'], dtype: KernelParam['dtype'], heads: 'H' | 'Hkv', seq: 'Nq' | 'Nk', D: number, strides: string): KernelParam => ({
  name, kind: 'tensor', dtype, shape: ['B', heads, seq, D], strides: [`${strides}_sb`, `${strides}_sh`, `${strides}_sn`, 1], source,
});

/** BwdTensors, in struct order (pointers, then strides implied by the tensors, sizes, scales). */
function bwdTensorParams(D: number, dtype: Dtype): KernelParam[] {
  return [
    tensor('q', 'q', dtype, 'H', 'Nq', D, 'q'),
    tensor('k', 'k', dtype, 'Hkv', 'Nk', D, 'k'),
    tensor('v', 'v', dtype, 'Hkv', 'Nk', D, 'v'),
    tensor('o', 'out', dtype, 'H', 'Nq', D, 'o'),
    tensor('dout', 'dout', dtype, 'H', 'Nq', D, 'do'),
    { name: 'lse', kind: 'tensor', dtype: 'f32', shape: ['B', 'H', 'Nq'], source: 'lse' },
    // delta = rowsum(dO * O), then the log2-domain LSE (written by pre when built with ATTNC_BWD_LSE2)
    { name: 'delta', kind: 'tensor', dtype: 'f32', shape: [2, 'B', 'H', 'Nq'], source: 'delta' },
    tensor('dq', 'dq', dtype, 'H', 'Nq', D, 'dq'),
    tensor('dk', 'dk', dtype, 'Hkv', 'Nk', D, 'dk'),
    tensor('dv', 'dv', dtype, 'Hkv', 'Nk', D, 'dv'),
    ...['B', 'H', 'Hkv', 'Nq', 'Nk', 'layer'].map((n): KernelParam => ({ name: n, kind: 'scalar', dtype: 'i32', shape: [], source: 'size' })),
    { name: 'scale', kind: 'scalar', dtype: 'f32', shape: [], source: 'constant' },
    { name: 'scale_log2', kind: 'scalar', dtype: 'f32', shape: [], source: 'constant' },
    // fp32 scratch in 64 x 64 tiles (attnc_bwd_sm80.cuh, dq_tile_offset): zeroed by pre, summed
    // into by dkdv (bulk reduce-adds or atomics), read by dq
    { name: 'dq_accum', kind: 'tensor', dtype: 'f32', shape: ['B', 'H', 'ceil(Nq / 128) * 128', D], source: 'dq_accum' },
  ];
}

export interface BackwardParts {
  files: EmittedFile[];
  tables: Table[];
  kernels: Kernel[];
  info: BackwardInfo;
}

export const BWD_PASSES = ['pre', 'dkdv', 'dq'] as const;

/**
 * @param opts.visitedTiles visited tiles over every (l, h) and query tile (the analysis'
 *   statistics; without them every tile counts, as in the dense schedule)
 */
export function emitCudaBackward(p: LoweredPattern, opts: { dtypes: Dtype[]; headDims: number[]; patternParams: KernelParam[]; visitedTiles?: number }): BackwardParts {
  const bwd = p.backward();
  const saved: BackwardInfo['saved'] = [
    { name: 'q', dtype: 'input', shape: ['B', 'H', 'Nq', 'D'] },
    { name: 'k', dtype: 'input', shape: ['B', 'Hkv', 'Nk', 'D'] },
    { name: 'v', dtype: 'input', shape: ['B', 'Hkv', 'Nk', 'D'] },
    { name: 'out', dtype: 'input', shape: ['B', 'H', 'Nq', 'D'] },
    { name: 'lse', dtype: 'f32', shape: ['B', 'H', 'Nq'] },
  ];
  const notes = [
    'runtime inputs, tables and top-k selections get no gradient: a runtime selection is straight-through (the selected key set is a constant of the backward pass)',
    'dk and dv are summed over each GQA group (shape [B, Hkv, Nk, D]); lse is not differentiable',
    'sm_90a: dkdv also sums dQ into the fp32 dq_accum scratch (TMA bulk reduce-adds per CTA of 64 or 128 keys; pre zeroes it, dq converts it), so dq is not bitwise deterministic run to run; built for another arch, the module recomputes dQ in the dq pass (mma.sync, no accumulator; attnc_bwd_dq_accum = 0)',
  ];
  if (!bwd.hooks) {
    return { files: [], tables: [], kernels: [], info: { supported: false, reason: bwd.unsupported ?? 'unsupported', saved, launchOrder: [], transposedKinds: [], notes } };
  }
  const name = p.name;
  const rows = p.sizes.L * p.sizes.H * p.numKeyTiles;
  const meanRow = (opts.visitedTiles ?? rows * p.numQueryTiles) / rows;
  const ctaKeys = backwardCtaKeys(meanRow, p.tile.blockN);
  const heavy = heavyKeyBlocks(bwd.rowTiles, Math.max(1, ctaKeys / p.tile.blockN));
  const file = `${name}_bwd.cu`;
  const cubin = `${name}_bwd.cubin`;
  const tu = code`
    // attnc backward translation unit for pattern "${name}" (generated). Build:
    //   nvcc -cubin -gencode=arch=compute_90a,code=sm_90a -O3 -std=c++17 -I runtime ${file} -o ${cubin}
    // Entry points (extern "C", one BwdParams by value; wgmma on sm_90a, mma.sync elsewhere):
    //   attnc_bwd_{pre,dkdv,dq}_{bf16,fp16}_d{64,128}; <entry>_smem and <entry>_threads are
    //   __device__ ints, attnc_bwd_dq_accum says whether dq_accum is used. The sm80 forward
    //   entries are left out of this module.
    #ifndef ATTNC_NO_SM80
    #define ATTNC_NO_SM80
    #endif
    // keys per dK/dV CTA: ${meanRow.toFixed(1)} query tiles per key tile on average (codegen/cuda/backward.ts)
    #ifndef ATTNC_BWD_CTA_KEYS
    #define ATTNC_BWD_CTA_KEYS ${ctaKeys}
    #endif
    ${heavy.length ? [
      `// dK/dV CTAs of these key blocks first (transposed rows >= ${HEAVY_ROW_FACTOR}x the mean; codegen/cuda/backward.ts)`,
      '#ifndef ATTNC_BWD_HEAVY_BLOCKS', `#define ATTNC_BWD_HEAVY_BLOCKS ${heavy.join(', ')}`, '#endif'].join('\n') : ''}
    #include "${name}.cuh"
    #include "attnc_bwd.cuh"
    ${bwd.runtime ? '#include "attnc_schedule_build.cuh"  // extern "C" attnc_schedule_build_t (transposed runtime schedule, before dkdv)' : ''}
  `;
  const tables: Table[] = [];
  const files: EmittedFile[] = [{ path: file, contents: tu }];
  for (const b of bwd.tables) {
    if (b.source.kind !== 'table') continue;
    const path = `tables/${b.name}.bin`;
    files.push({ path, contents: tableBytes(b.source.data, b.elem) });
    tables.push({ name: b.name, file: path, dtype: b.elem === 'float' ? 'f32' : 'i32', shape: b.shape, role: 'schedule' });
  }
  const kernels: Kernel[] = [];
  for (const dtype of opts.dtypes) {
    for (const D of opts.headDims) {
      for (const pass of BWD_PASSES) {
        const entry = `attnc_bwd_${pass}_${dtype}_d${D}`;
        const l = backwardLaunch(pass, D, ctaKeys);
        kernels.push({
          name: entry, role: 'backward', variant: { dtype, headDim: D, arch: 'sm90a', pass },
          grid: l.grid, block: [l.threads, 1, 1], dynamicSmemBytes: l.smem, smemSymbol: `${entry}_smem`,
          params: [...bwdTensorParams(D, dtype), ...opts.patternParams], file,
        });
      }
    }
  }
  const kinds = bwd.schedule!.classes.map((c) => c.kind);
  if (bwd.runtime) notes.push('runtime-scheduled classes: attnc_schedule_build_t builds the transposed schedule (buffer sched_t_rt) before dkdv from the forward\'s runtime summaries and selections, exactly the transpose of the forward\'s runtime schedule; dQ uses the forward schedule');
  const rt = bwd.runtime;
  if (rt) {
    // the transposed runtime schedule builder: one warp per (b, h, kt), 4 per block, before dkdv
    kernels.push({
      name: 'attnc_schedule_build_t', role: 'schedule', variant: { step: 'schedule_build_t' },
      grid: [`ceil(B * H * ${p.numKeyTiles} / 4)`, 1, 1], block: [128, 1, 1], dynamicSmemBytes: 0,
      params: [...opts.patternParams, ...['B', 'H', 'layer'].map((n): KernelParam => ({ name: n, kind: 'scalar', dtype: 'i32', shape: [], source: 'size' }))],
      file,
    });
  }
  const runtimeSchedule = rt ? { kernel: 'attnc_schedule_build_t', buffer: rt.buffer.name, shape: rt.buffer.shape, maxTiles: rt.maxTiles } : undefined;
  return {
    files, tables, kernels,
    info: { supported: true, saved, launchOrder: [...(rt ? ['schedule_t' as const] : []), ...BWD_PASSES], file, cubin, transposedKinds: kinds, notes, runtimeSchedule, ctaKeys, ...(heavy.length ? { heavyKeyBlocks: heavy } : {}) },
  };
}
