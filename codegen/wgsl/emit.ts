// WGSL backend: the pattern prelude of docs/wgsl-kernel.md / codegen/wgsl/runtime/attention_fwd.wgsl
// (tile constants, the four hooks with u32 arguments, @group(1) bindings) printed from the
// shared lowering. Buffers are merged to stay within the skeleton's storage-buffer budget:
// static int tables, runtime int buffers and float buffers each form one storage array; their
// offsets and batch strides are fields of one uniform block.
import type { IrProgram } from '../../src/ir/schema.ts';
import type { AssetFile, EmittedFile } from '../files.ts';
import { tableBytes } from '../files.ts';
import type { LBuffer, LFunction } from '../lower/ir.ts';
import type { LoweredPattern } from '../lower/pattern.ts';
import { printFunction } from '../lower/print/printer.ts';
import { WGSL_EXPR_HELPERS, wgslSyntax } from '../lower/print/wgsl.ts';
import { code, commentText } from '../lower/text.ts';
import { emitScheduleBuildPrelude, SCHEDULE_BUILD_ENTRY } from './scheduleBuild.ts';
import { patternMetadataParts } from '../metadata/build.ts';
import type { LaunchMetadata } from '../metadata/schema.ts';

export const WGSL_ASSETS: AssetFile[] = [
  'attention_fwd.wgsl', 'row_reduce_subgroup.wgsl', 'row_reduce_workgroup.wgsl',
  'helpers/lsh_buckets.wgsl', 'helpers/topk_blocks.wgsl', 'helpers/tile_minmax.wgsl', 'helpers/sorted_list.wgsl', 'helpers/schedule_build.wgsl',
  'helpers/row_permute.wgsl', 'helpers/row_gather.wgsl', 'helpers/row_tensors.wgsl',
].map((f) => ({ path: `runtime/${f}`, source: `codegen/wgsl/runtime/${f}` }));

/** Runtime-schedule kernels (helpers/*.wgsl; one invocation per row / entry, 64 per workgroup). */
function runtimeKernels(p: LoweredPattern): LaunchMetadata['kernels'] {
  const rt = p.runtime;
  if (!rt) return [];
  const oneD = (n: string): [string, string, string] => [`ceil(${n} / 64)`, '1', '1'];
  const helper = (name: string, n: string, file: string, buffer: string) => ({
    name, role: 'helper' as const, variant: { buffer }, grid: oneD(n), block: [64, 1, 1] as [number, number, number], dynamicSmemBytes: 0, params: [], file: `runtime/helpers/${file}`,
  });
  // row permutation (helpers/row_permute.wgsl, row_gather.wgsl, row_tensors.wgsl): grids for
  // per-batch position tables (a broadcast table needs B = 1 in the sort and gather formulas)
  const perm = p.permutation;
  const bufferOf = (input: string) => p.buffers.find((b) => b.source.kind === 'input' && p.ir.inputs[b.source.inputIndex]!.name === input)!.name;
  const permKernels = perm ? [
    ...[perm.query, perm.key].flatMap((s) => [
      helper('row_sort_count', `B * ${s.rows} * ${s.buckets}`, 'row_permute.wgsl', bufferOf(s.positions)),
      helper('row_sort_place', `B * ${s.rows} * ${s.buckets}`, 'row_permute.wgsl', bufferOf(s.positions)),
      ...s.gathered.map((g) => helper('row_gather_i32', `B * ${s.rows} * ${s.n}`, 'row_gather.wgsl', bufferOf(g.to))),
    ]),
    helper('row_gather_tensor', 'B * H * Nq * D', 'row_tensors.wgsl', 'q_sorted'),
    helper('row_gather_tensor', 'B * Hkv * Nk * D', 'row_tensors.wgsl', 'k_sorted'),
    helper('row_gather_tensor', 'B * Hkv * Nk * D', 'row_tensors.wgsl', 'v_sorted'),
    helper('row_scatter', 'B * H * Nq * D', 'row_tensors.wgsl', 'out'),
  ] : [];
  return [
    ...permKernels,
    ...rt.summaries.flatMap((s) => {
      const rows = `B * ${s.rows}`;
      const file = `runtime/helpers/${s.kind}.wgsl`;
      const entries = s.kind === 'tile_minmax' ? [{ name: 'tile_minmax', n: `${rows} * ${s.tiles}` }] : [{ name: 'sorted_keys', n: `${rows} * ${s.n}` }, { name: 'sorted_scatter', n: `${rows} * ${s.n}` }];
      return entries.map((e) => ({
        name: e.name, role: 'helper' as const, variant: { buffer: s.buffer.name }, grid: oneD(e.n), block: [64, 1, 1] as [number, number, number],
        dynamicSmemBytes: 0, params: [], file,
      }));
    }),
    {
      name: SCHEDULE_BUILD_ENTRY, role: 'schedule' as const, variant: { buffer: rt.schedule.name }, grid: oneD(`B * H * ${p.numQueryTiles}`),
      block: [64, 1, 1], dynamicSmemBytes: 0, params: [], file: `${p.name}.schedule.wgsl`,
    },
  ];
}

type Group = 'pat_i32' | 'rt_i32' | 'pat_f32';
const groupOf = (b: LBuffer): Group => (b.elem === 'float' ? 'pat_f32' : b.batched ? 'rt_i32' : 'pat_i32');

export interface WgslLayout {
  /** Static offsets of static buffers in their merged array. */
  staticOffset: Map<string, number>;
  /** Uniform fields in order (offsets of runtime buffers, batch strides). */
  uniforms: string[];
  groups: Group[];
  staticData: { pat_i32: number[]; pat_f32: number[] };
}

export function wgslLayout(p: LoweredPattern): WgslLayout {
  const staticOffset = new Map<string, number>();
  const staticData = { pat_i32: [] as number[], pat_f32: [] as number[] };
  const uniforms: string[] = [];
  const groups = new Set<Group>();
  for (const b of p.buffers) {
    const g = groupOf(b);
    groups.add(g);
    if (b.source.kind === 'table' || b.source.kind === 'random_blocks') {
      const arr = g === 'pat_f32' ? staticData.pat_f32 : staticData.pat_i32;
      staticOffset.set(b.name, arr.length);
      arr.push(...b.source.data);
    } else {
      uniforms.push(`${b.name}_off`);
    }
  }
  uniforms.push(...p.scalars);
  return { staticOffset, uniforms, groups: (['pat_i32', 'rt_i32', 'pat_f32'] as Group[]).filter((g) => groups.has(g)), staticData };
}

export function wrapHook(fn: LFunction, ret: 'u32' | 'bool' | 'f32'): string {
  const args = fn.params.map((x) => (x.type === 'int' ? `${x.name}: u32` : `${x.name}: f32`));
  const outs = fn.outs.map((o) => `${o.name}: ptr<function, bool>`);
  const call = `attnc_${fn.name}(${[...fn.params.map((x) => (x.type === 'int' ? `i32(${x.name})` : x.name)), ...fn.outs.map((o) => o.name)].join(', ')})`;
  return `fn ${fn.name}(${[...args, ...outs].join(', ')}) -> ${ret} {\n  return ${ret === 'u32' ? `u32(${call})` : call};\n}`;
}

/** The WGSL spelling of the pattern's lowered functions: buffers placed in the merged arrays. */
export function patternSyntax(p: LoweredPattern, layout: WgslLayout) {
  return wgslSyntax({
    uniformVar: 'pattern',
    place: (name) => {
      const b = p.buffers.find((x) => x.name === name)!;
      const g = groupOf(b);
      const off = layout.staticOffset.get(name);
      return { array: g, offset: off !== undefined ? `${off}i` : `pattern.${name}_off` };
    },
  });
}

/** The pattern's group-1 declarations: uniform block and merged arrays (`rt_i32` writable or not). */
export function patternBindings(layout: WgslLayout, runtimeWritable = false): string {
  const fields = layout.uniforms.length ? layout.uniforms : ['unused_'];
  const arrays = layout.groups.map((g, i) => {
    const access = g === 'rt_i32' && runtimeWritable ? 'read_write' : 'read';
    return `@group(1) @binding(${i + 1}) var<storage, ${access}> ${g}: array<${g === 'pat_f32' ? 'f32' : 'i32'}>;`;
  });
  return [
    'struct PatternUniforms {', ...fields.map((f) => `  ${f}: i32,`), '}',
    '@group(1) @binding(0) var<uniform> pattern: PatternUniforms;', ...arrays,
  ].join('\n');
}

export function emitWgslPrelude(p: LoweredPattern, headDim: number, layout: WgslLayout): string {
  const syn = patternSyntax(p, layout);
  const inner = [p.hooks.numKeyTiles, p.hooks.keyTile, p.hooks.mask, p.hooks.scoreMod].map((f) => printFunction({ ...f, name: `attnc_${f.name}` }, syn));
  return code`
    // attnc pattern prelude "${p.name}" (generated by attnc compile; do not edit).
    // Specialised for Nq = ${p.sizes.Nq}, Nk = ${p.sizes.Nk}, H = ${p.sizes.H}, Hkv = ${p.sizes.Hkv}, L = ${p.sizes.L}.
    const BLOCK_M: u32 = ${p.tile.blockM}u;
    const BLOCK_N: u32 = ${p.tile.blockN}u;
    const HEAD_DIM: u32 = ${headDim}u;

    ${patternBindings(layout)}

    ${WGSL_EXPR_HELPERS}
    ${inner.join('\n\n')}

    ${wrapHook(p.hooks.numKeyTiles, 'u32')}
    ${wrapHook(p.hooks.keyTile, 'u32')}
    ${wrapHook(p.hooks.mask, 'bool')}
    ${wrapHook(p.hooks.scoreMod, 'f32')}
  `;
}

export function emitWgsl(ir: IrProgram, p: LoweredPattern, opts: { headDims: number[]; sourceSummary: string[]; statistics?: LaunchMetadata['statistics'] }) {
  const layout = wgslLayout(p);
  const parts = patternMetadataParts(ir, p);
  const files: EmittedFile[] = opts.headDims.map((D) => ({
    path: `${p.name}.d${D}.prelude.wgsl`,
    contents: `${opts.sourceSummary.map((l) => `// ${commentText(l)}\n`).join('')}${emitWgslPrelude(p, D, layout)}`,
  }));
  if (p.runtime) files.push({ path: `${p.name}.schedule.wgsl`, contents: emitScheduleBuildPrelude(p, layout) });
  for (const g of ['pat_i32', 'pat_f32'] as const) {
    if (layout.groups.includes(g)) files.push({ path: `tables/${g}.bin`, contents: tableBytes(layout.staticData[g], g === 'pat_f32' ? 'float' : 'int') });
  }
  const metadata: LaunchMetadata = {
    version: 1, pattern: p.name, target: 'wgsl', sizes: p.sizes, tile: p.tile, dtypes: ['f32', 'f16'], headDims: opts.headDims,
    constants: { ...parts.constants },
    kernels: [
      ...opts.headDims.map((D) => ({
        name: 'attention_fwd', role: 'attention' as const, variant: { headDim: D },
        grid: [`ceil(Nq / ${p.tile.blockM})`, 'H', 'B'] as [string, string, string], block: [p.tile.blockM * 8, 1, 1] as [number, number, number],
        dynamicSmemBytes: 0, params: [], file: `${p.name}.d${D}.prelude.wgsl`,
      })),
      ...runtimeKernels(p),
    ],
    tables: parts.tables.map((t) => ({ ...t, file: `tables/${groupOf(p.buffers.find((b) => b.name === t.name)!)}.bin` })),
    inputs: parts.inputs,
    launchOrder: [...parts.helperSteps, { kernel: 'attention_fwd', reads: p.buffers.map((b) => b.name), writes: [] }, ...parts.afterSteps],
    helpers: parts.helpers,
    ...(parts.permutation ? { permutation: parts.permutation } : {}),
    wgsl: {
      requiredFeatures: [],
      limits: { maxStorageBuffersPerShaderStage: 8, maxComputeWorkgroupStorageSize: 16384, maxComputeInvocationsPerWorkgroup: 256 },
      bindGroups: [{
        group: 1,
        entries: [
          { binding: 0, name: 'pattern', type: 'uniform' as const, bytes: Math.max(16, Math.ceil((layout.uniforms.length || 1) * 4 / 16) * 16) },
          ...layout.groups.map((g, i) => ({ binding: i + 1, name: g, type: 'read-only-storage' as const })),
        ],
      }],
      patternUniforms: (layout.uniforms.length ? layout.uniforms : ['unused_']).map((name, i) => ({ name, offset: i * 4, type: 'i32' as const })),
      runtimeBuffers: p.buffers.filter((b) => b.batched).map((b) => ({
        buffer: b.name, array: groupOf(b), length: b.length, offsetUniform: `${b.name}_off`, batchStrideUniform: `${b.name}_bstride`,
      })),
    },
    statistics: opts.statistics,
    files: [],
  };
  files.push({ path: 'metadata.json', contents: '' });
  metadata.files = [...files.map((f) => f.path), ...WGSL_ASSETS.map((a) => a.path)];
  files[files.length - 1] = { path: 'metadata.json', contents: JSON.stringify(metadata, null, 2) + '\n' };
  return { files, metadata };
}
