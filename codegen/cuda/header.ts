// The per-pattern CUDA specialisation header (the format of docs/cuda-kernel.md and of the
// hand-written examples in bench/gpu/patterns/*.cuh): tile constants, PatternParams, and the
// four hooks printed from the shared lowering, plus the three backward hooks when the pattern is
// differentiable; it ends by including the forward kernel skeleton.
import type { LoweredPattern } from '../lower/pattern.ts';
import type { ScheduleRow } from '../lower/schedule.ts';
import { cppSyntax } from '../lower/print/cpp.ts';
import { splitMaskByHead, splitMaskByRow } from '../lower/maskRow.ts';
import { printFunction } from '../lower/print/printer.ts';
import { code, commentText } from '../lower/text.ts';

/** Launch order of the query tiles, heaviest first (chosen in emit.ts queryTileOrder). */
export type QueryTileOrder = { kind: 'identity' } | { kind: 'reverse' } | { kind: 'table'; order: number[] };

/**
 * A table order makes the kernel (epilogue.cuh query_work_item) walk the grid slot-major,
 * head-minor: the H heads of the heaviest query tile launch first, then the next slot's.
 */
function queryTileOrderTable(o: QueryTileOrder): string {
  if (o.kind !== 'table') return '';
  return `#define ATTNC_QUERY_TILE_ORDER_TABLE 1\n__device__ const int query_tile_order[${o.order.length}] = {${o.order.join(', ')}};`;
}

export interface HeaderOptions {
  /** Launch order of the query tiles (emit.ts queryTileOrder). */
  queryTileOrder: QueryTileOrder;
  /** Quoted (sanitised) source lines for the header comment. */
  sourceSummary: string[];
}

/** Fields of PatternParams in order: buffers (pointers), then batch strides (int). */
export function patternParamFields(p: LoweredPattern): { name: string; ctype: 'const int*' | 'const float*' | 'int' }[] {
  return [
    ...[...p.buffers, ...p.backward().tables].map((b) => ({ name: b.name, ctype: b.elem === 'float' ? ('const float*' as const) : ('const int*' as const) })),
    ...[...p.scalars, ...p.backward().tables.filter((b) => b.batched).map((b) => `${b.name}_bstride`)].map((name) => ({ name, ctype: 'int' as const })),
  ];
}

function bufferComment(p: LoweredPattern, name: string): string {
  const bt = p.backward().tables.find((x) => x.name === name);
  if (bt?.source.kind === 'runtime_schedule') return `backward: transposed runtime schedule per (h, kt): count, then ${bt.source.maxTiles} x (qt * 2 + full), written by attnc_schedule_build_t [B, ${bt.shape.join(', ')}]`;
  if (bt) return 'backward: transposed schedule (offsets per key tile, then qt * 2 + full)';
  const b = p.buffers.find((x) => x.name === name);
  if (!b) return 'batch stride in elements (0: broadcast over the batch)';
  const what = b.source.kind === 'table' ? `table ${commentText(b.source.userName, 40)}`
    : b.source.kind === 'input' ? `runtime input ${commentText(b.source.userName, 40)}`
      : b.source.kind === 'random_blocks' ? 'random_blocks rows (per-head offsets, then r key blocks per query block)'
        : b.source.kind === 'topk_blocks' ? 'top-k key blocks per (b, h, query block), written by the helper kernel'
          : b.source.kind === 'runtime_schedule' ? `runtime schedule per (h, qt): count, then ${b.source.maxTiles} x (kt * 2 + full), written by attnc_schedule_build`
            : b.source.kind === 'tile_minmax' ? `min, max of ${b.source.of} per row and ${b.source.tile}-position tile (runtime schedule summary)`
              : `${b.source.of} rows sorted, distinct, padded with INT_MAX (runtime schedule summary)`;
  return `${what} [${b.batched ? 'B, ' : ''}${b.shape.join(', ')}]`;
}

/** The schedule builder's functions (attnc_schedule_build.cuh), when the pattern has runtime classes. */
function runtimeScheduleHooks(p: LoweredPattern, syn: ReturnType<typeof cppSyntax>): string {
  const rt = p.runtime;
  if (!rt) return '';
  return [
    '// Runtime schedule builder (attnc_schedule_build.cuh, codegen/lower/runtime.ts): the static envelope',
    '// walk, the tile classifier (0 EMPTY, 1 FULL, 2 PARTIAL) and where a row of the schedule goes.',
    [rt.envNumKeyTiles, rt.envKeyTile, rt.classify, rt.scheduleRow].map((f) => printFunction(f, syn)).join('\n\n'),
    '',
    '// The schedule buffer is read-only to attention; the builder (run before it) writes it.',
    `__device__ __forceinline__ void schedule_store(const PatternParams& P, int index, int value) { const_cast<int*>(P.${rt.schedule.name})[index] = value; }`,
    '',
  ].join('\n');
}

/** The transposed schedule builder's functions (attnc_schedule_build.cuh, attnc_schedule_build_t). */
function transposedRuntimeHooks(p: LoweredPattern, syn: ReturnType<typeof cppSyntax>): string {
  const rt = p.backward().runtime;
  if (!rt) return '';
  return [
    '// Transposed runtime schedule (built before the backward by attnc_schedule_build_t): the',
    '// transposed static envelope walk and where a key tile\'s row goes; the tiles are classified',
    '// by the same classify_tile as the forward schedule.',
    [rt.envNumQueryTiles, rt.envQueryTile, rt.scheduleRow].map((f) => printFunction(f, syn)).join('\n\n'),
    '',
    `__device__ __forceinline__ void schedule_t_store(const PatternParams& P, int index, int value) { const_cast<int*>(P.${rt.buffer.name})[index] = value; }`,
    `constexpr int SCHEDULE_T_MAX_TILES = ${rt.maxTiles};`,
    '#define ATTNC_TRANSPOSED_RUNTIME_SCHEDULE 1',
    '',
  ].join('\n');
}

/**
 * The mask split into a per-row part and a per-element part (codegen/lower/maskRow.ts), with
 * the struct the forward skeleton keeps per query row (softmax.cuh RowMasks); empty when the
 * mask has nothing row-only worth hoisting.
 */
function maskRowHooks(p: LoweredPattern, syn: ReturnType<typeof cppSyntax>): string {
  const split = splitMaskByRow(p.hooks.mask);
  if (!split) return '';
  const ctype = (t: string) => (t === 'float' ? 'float' : t === 'bool' ? 'bool' : 'int');
  const names = split.fields.map((f) => `r.${f.name}`).join(', ');
  return [
    '// The mask split for the forward skeleton: mask_row once per query row of the CTA (its',
    '// row-only loads), mask_at per element; mask_at(mask_row(q), k) == mask(q, k).',
    printFunction(split.row, syn),
    '',
    printFunction(split.at, syn),
    '',
    `struct MaskRow { ${split.fields.map((f) => `${ctype(f.type)} ${f.name};`).join(' ')} };`,
    '__device__ __forceinline__ MaskRow mask_row(const PatternParams& P, int b, int l, int h, int q) {',
    `  MaskRow r;`,
    `  mask_row_impl(P, b, l, h, q, ${names});`,
    '  return r;',
    '}',
    '__device__ __forceinline__ bool mask_at(const PatternParams& P, const MaskRow& r, int b, int l, int h, int q, int k) {',
    `  return mask_at_impl(P, b, l, h, q, k, ${names});`,
    '}',
    '#define ATTNC_MASK_ROW 1',
    '',
  ].join('\n');
}

/**
 * The mask's (l, h) dispatch hoisted out of the element loops (codegen/lower/maskRow.ts
 * splitMaskByHead): kernels compute mask_head once per tile or row and call mask_in per element;
 * empty for a single-rule mask.
 */
function maskHeadHooks(p: LoweredPattern, syn: ReturnType<typeof cppSyntax>): string {
  const split = splitMaskByHead(p.hooks.mask);
  if (!split) return '';
  return [
    '// The rule dispatch of the mask, once per tile or row: mask_in(mask_head(b, l, h), q, k) == mask(q, k).',
    printFunction(split.head, syn),
    '',
    printFunction(split.in, syn),
    '#define ATTNC_MASK_HEAD 1',
    '',
  ].join('\n');
}

/**
 * A schedule row (schedule.ts ScheduleRow) for the kernels: `<kind>_tile_row` once per row
 * (query tile forward, key tile backward) and `<kind>_tile_at(row, j, full)` per tile, a walk
 * over the row's segments; nothing without a row form (codegen/HOOKS.md "Schedule rows").
 */
export function tileRowHooks(kind: 'key' | 'query', row: ScheduleRow | undefined, syn: ReturnType<typeof cppSyntax>): string {
  // without a row form the runtime's fallback (attnc_fwd.cuh / attnc_bwd.cuh) keeps the
  // arguments and calls the per-tile hook
  if (!row) return '';
  const T = kind === 'key' ? 'KeyTileRow' : 'QueryTileRow';
  const x = kind === 'key' ? 'qt' : 'kt';
  const sig = `const PatternParams& P, int b, int l, int h, int ${x}`;
  const S = row.segments;
  const args = Array.from({ length: S }, (_, i) => `r.a[${i}], r.n[${i}], r.s[${i}]`).join(', ');
  return [
    `// ${T}: the schedule row computed once (segment i: tiles a[i], a[i] + s[i], ... n[i] of them,`,
    `// FULL when bit i of full is set); ${kind}_tile_at(row, j) == ${kind}_tile(j) for 0 <= j < count.`,
    printFunction(row.fn, syn),
    '',
    `struct ${T} { int a[${S}], n[${S}], s[${S}]; int full, count; };`,
    `__device__ __forceinline__ ${T} ${kind}_tile_row(${sig}) {`,
    `  ${T} r;`,
    `  r.count = ${row.fn.name}(P, b, l, h, ${x}, ${args}, r.full);`,
    '  return r;',
    '}',
    `__device__ __forceinline__ int ${kind}_tile_at(const PatternParams&, const ${T}& r, int j, bool& full) {`,
    '#pragma unroll',
    `  for (int i = 0; i < ${S - 1}; ++i) {`,
    '    if (j < r.n[i]) {',
    '      full = (r.full >> i) & 1;',
    '      return r.a[i] + j * r.s[i];',
    '    }',
    '    j -= r.n[i];',
    '  }',
    `  full = (r.full >> ${S - 1}) & 1;`,
    `  return r.a[${S - 1}] + j * r.s[${S - 1}];`,
    '}',
    `#define ATTNC_${kind.toUpperCase()}_TILE_ROW 1`,
    '',
  ].join('\n');
}

export function emitCudaHeader(p: LoweredPattern, opts: HeaderOptions): string {
  const syn = cppSyntax({ paramsVar: 'P', qualifiers: '__device__ __forceinline__', paramsDecl: 'const PatternParams& P', ldg: true });
  const fields = patternParamFields(p);
  const hooks = [p.hooks.numKeyTiles, p.hooks.keyTile, p.hooks.mask, p.hooks.scoreMod].map((f) => printFunction(f, syn));
  const bwd = p.backward();
  const bwdHooks = bwd.hooks
    ? [
      '// Backward hooks (attnc_bwd.cuh, docs/cuda-kernel.md "Backward"): the exact transpose of the',
      `// forward schedule${bwd.denseClasses.length ? ' (runtime-scheduled classes: every query tile, PARTIAL)' : ''}, and d score_mod / d s.`,
      [bwd.hooks.numQueryTiles, bwd.hooks.queryTile, bwd.hooks.scoreModGrad].map((f) => printFunction(f, syn)).join('\n\n'),
      '',
      tileRowHooks('query', bwd.queryTileRow, syn),
    ].join('\n')
    : `// No backward hooks: ${commentText(bwd.unsupported ?? '', 200)}`;
  const { Nq, Nk, H, Hkv, L } = p.sizes;
  return code`
    // attnc pattern specialisation "${p.name}" (generated by attnc compile; do not edit).
    // Specialised for Nq = ${Nq}, Nk = ${Nk}, H = ${H}, Hkv = ${Hkv}, L = ${L}; tiles ${p.tile.blockM} x ${p.tile.blockN}.
    ${opts.sourceSummary.map((l) => `//   ${commentText(l)}`)}
    // The kernel skeleton (attnc_fwd.cuh) calls the four hooks below (codegen/HOOKS.md).
    #pragma once

    #include "helpers/attnc_expr.cuh"

    namespace attnc {

    constexpr int BLOCK_M = ${p.tile.blockM};
    constexpr int BLOCK_N = ${p.tile.blockN};
    constexpr bool HAS_SCORE_MOD = ${p.hasScoreMod};
    constexpr bool REVERSE_QUERY_TILES = ${opts.queryTileOrder.kind === 'reverse'};
    ${queryTileOrderTable(opts.queryTileOrder)}
    constexpr int PATTERN_NQ = ${Nq};
    constexpr int PATTERN_NK = ${Nk};
    constexpr int PATTERN_H = ${H};
    constexpr int PATTERN_HKV = ${Hkv};
    constexpr int PATTERN_L = ${L};
    constexpr int NUM_Q_TILES = ${p.numQueryTiles};
    constexpr int NUM_K_TILES = ${p.numKeyTiles};

    struct PatternParams {
      int Nq, Nk, H, Hkv, L;  // filled by the loader (attnc_runtime.py) from the call
      ${fields.map((f) => `${f.ctype} ${f.name};  // ${bufferComment(p, f.name)}`)}
    };

    ${hooks.join('\n\n')}

    ${tileRowHooks('key', p.keyTileRow, syn)}
    ${maskRowHooks(p, syn)}
    ${maskHeadHooks(p, syn)}
    ${bwdHooks}

    ${runtimeScheduleHooks(p, syn)}
    ${transposedRuntimeHooks(p, syn)}
    }  // namespace attnc

    #include "attnc_fwd.cuh"
  `;
}
