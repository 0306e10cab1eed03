/// <reference types="@webgpu/types" />
// Emitted WGSL (pattern prelude + launch metadata) -> LaunchPlan: the pattern uniform block, the
// merged group-1 storage arrays with runtime inputs placed as `wgsl.runtimeBuffers` describes,
// the runtime helper passes (lsh buckets, top-k key blocks, then the runtime schedule's tile
// summaries, sorted lists and builder) in the metadata's launch order, then
// the attention dispatch with its grid from the metadata's formulas; with a row permutation
// also the sort, gathers and scatter of rowPermutation.ts. Browser-safe.
import type { EmittedFile } from '../../codegen/files.ts';
import { evalFormula } from '../../codegen/metadata/formula.ts';
import type { LaunchMetadata } from '../../codegen/metadata/schema.ts';
import {
  variantHeader,
  type AttentionParams,
  type AttentionSkeletonSources,
  type AttentionTiles,
  type AttentionVariant,
} from '../../codegen/wgsl/runtime/attention_fwd.ts';
import { lshRotation } from '../reference/lsh.ts';
import { buildAttentionPlan, decodeAttentionOutputs, type AttentionOutputs, type PatternBuffer } from './attention.ts';
import type { BindingRef, BufferSpec, DispatchSpec, LaunchPlan } from './plan.ts';
import { permuteAttention, rowPermutationPass, tensorPass, type PermutationPassContext } from './rowPermutation.ts';

/** The runtime helper shaders of codegen/wgsl/runtime/helpers/. */
export interface PatternHelperSources {
  lshBuckets: string;
  topkBlocks: string;
  /** Runtime schedules: tile summaries, sorted lists, the schedule builder skeleton. */
  tileMinmax: string;
  sortedList: string;
  scheduleBuild: string;
  /** Row permutation: the sort, the gather of int inputs, the Q/K/V gather and O/LSE scatter. */
  rowPermute: string;
  rowGather: string;
  rowTensors: string;
}

/** Every WGSL source the runner assembles besides the emitted prelude. */
export interface PatternSources {
  attention: AttentionSkeletonSources;
  helpers: PatternHelperSources;
}

/** What `compile(ir, { target: 'wgsl' })` returns (only these two fields are read). */
export interface EmittedWgsl {
  files: EmittedFile[];
  metadata: LaunchMetadata;
}

export interface PatternLaunch {
  label?: string;
  compiled: EmittedWgsl;
  headDim: number;
  batch: number;
  layer: number;
  variant: AttentionVariant;
  /** Row-major [B, H, Nq, D]; k and v [B, Hkv, Nk, D]. Nq, Nk, H, Hkv are the compiled sizes. */
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  /** Caller-given runtime inputs by declared name, row-major [B or 1, ...shape]. */
  inputs?: Record<string, ArrayLike<number>>;
  /** Logit scale (default 1 / sqrt(D)). */
  scale?: number;
  /** O and LSE start as NaN, helper outputs as a huge int (default true). */
  poison?: boolean;
  /** Read the merged runtime arrays back (to check helper outputs). */
  readRuntime?: boolean;
}

/** Where a runtime buffer lives in its merged array. */
export interface RuntimePlacement {
  buffer: string;
  array: string;
  offset: number;
  /** Elements per batch entry. */
  length: number;
  /** 0 when one entry is broadcast over the batch. */
  batchStride: number;
  /** Written on the device by a helper pass. */
  helper: boolean;
}

export interface PatternPlan {
  plan: LaunchPlan;
  /** What decodePatternOutputs needs. */
  decode: { params: AttentionParams; tiles: AttentionTiles; variant: AttentionVariant };
  runtime: RuntimePlacement[];
}

export interface PatternOutputs extends AttentionOutputs {
  /** Each runtime buffer's contents (batch entries concatenated), when readRuntime was set. */
  runtime: Record<string, Int32Array>;
}

const POISON_I32 = 0x7fc0dead;
const HELPER_WORKGROUP = 64;
const MAX_GROUPS = 65_535;

/** Workgroups for `n` invocations of a 64-wide 1-D helper, folded into y past the limit. */
function helperGroups(n: number): [number, number, number] {
  const groups = Math.max(1, Math.ceil(n / HELPER_WORKGROUP));
  const x = Math.min(groups, MAX_GROUPS);
  return [x, Math.ceil(groups / x), 1];
}

function fileBytes(compiled: EmittedWgsl, path: string): Uint8Array | undefined {
  const f = compiled.files.find((x) => x.path === path);
  if (!f) return undefined;
  return typeof f.contents === 'string' ? new TextEncoder().encode(f.contents) : f.contents;
}

function fileText(compiled: EmittedWgsl, path: string): string {
  const f = compiled.files.find((x) => x.path === path);
  if (!f) throw new Error(`the compiled output has no file ${path}`);
  return typeof f.contents === 'string' ? f.contents : new TextDecoder().decode(f.contents);
}

const u32Uniform = (values: number[]): Uint32Array => {
  const out = new Uint32Array(Math.ceil(values.length / 4) * 4);
  out.set(values);
  return out;
};

/** The plan of one layer's run: helper passes in launch order, then attention. */
export function buildPatternPlan(sources: PatternSources, launch: PatternLaunch): PatternPlan {
  const meta = launch.compiled.metadata;
  if (meta.target !== 'wgsl' || !meta.wgsl) throw new Error(`${meta.pattern}: expected WGSL launch metadata, got target ${meta.target}`);
  const wgsl = meta.wgsl;
  const D = launch.headDim;
  const B = launch.batch;
  const { Nq, Nk, H, Hkv, L } = meta.sizes;
  const label = launch.label ?? meta.pattern;
  if (launch.layer < 0 || launch.layer >= L) throw new Error(`${label}: layer ${launch.layer} outside [0, ${L})`);
  const kernel = meta.kernels.find((k) => k.role === 'attention' && Number(k.variant.headDim) === D);
  if (!kernel) throw new Error(`${label}: no attention kernel for head dim ${D} (compiled for ${meta.headDims.join(', ')})`);
  const vars = { B, Nq, Nk, H, Hkv, L, D };
  const grid = kernel.grid.map((f) => evalFormula(f, vars)) as [number, number, number];
  const poison = launch.poison ?? true;

  // Group 1: the uniform block and the merged storage arrays.
  const group1 = wgsl.bindGroups.find((g) => g.group === 1);
  if (!group1) throw new Error(`${label}: the metadata has no bind group 1`);
  const helperWrites = new Set(meta.launchOrder.filter((s) => s.kernel !== kernel.name).flatMap((s) => s.writes));
  const uniformEntry = group1.entries.find((e) => e.type === 'uniform');
  if (!uniformEntry) throw new Error(`${label}: bind group 1 has no uniform block`);
  const uniformBytes = evalFormula(uniformEntry.bytes ?? 16, vars);
  const uniformView = new DataView(new ArrayBuffer(Math.max(16, Math.ceil(uniformBytes / 16) * 16)));
  const setUniform = (name: string, value: number): void => {
    const field = wgsl.patternUniforms.find((u) => u.name === name);
    if (!field) throw new Error(`${label}: the pattern uniform block has no field ${name}`);
    if (field.type === 'f32') uniformView.setFloat32(field.offset, value, true);
    else if (field.type === 'u32') uniformView.setUint32(field.offset, value, true);
    else uniformView.setInt32(field.offset, value, true);
  };

  // whether a runtime buffer holds one entry for every batch entry: a given input of one entry,
  // or a helper output whose every source is (lsh and top-k outputs depend on Q / K)
  const broadcastMemo = new Map<string, boolean>();
  const broadcast = (buffer: string): boolean => {
    if (broadcastMemo.has(buffer)) return broadcastMemo.get(buffer)!;
    const input = meta.inputs.find((x) => x.buffer === buffer);
    const h = meta.helpers.find((x) => x.buffer === buffer);
    let out = false;
    if (input && input.source === 'given') {
      const rb = wgsl.runtimeBuffers.find((r) => r.buffer === buffer);
      out = !!rb && launch.inputs?.[input.name]?.length === rb.length;
    } else if (h?.of !== undefined && h.kind !== 'topk_blocks' && h.kind !== 'lsh_buckets') {
      out = broadcast(h.of) && (h.positions === undefined || broadcast(h.positions));
    }
    broadcastMemo.set(buffer, out);
    return out;
  };
  const runtime: RuntimePlacement[] = [];
  const patternBuffers: PatternBuffer[] = [{ name: uniformEntry.name, binding: uniformEntry.binding, kind: 'uniform', bytes: new Uint8Array(uniformView.buffer) }];
  const helperArrays = new Set<string>();
  for (const entry of group1.entries) {
    if (entry.type === 'uniform') continue;
    const float = /f32$/.test(entry.name);
    const values: number[] = [];
    const staticBytes = fileBytes(launch.compiled, `tables/${entry.name}.bin`);
    if (staticBytes) {
      const view = new DataView(staticBytes.buffer, staticBytes.byteOffset, staticBytes.byteLength);
      for (let i = 0; i < staticBytes.byteLength; i += 4) values.push(float ? view.getFloat32(i, true) : view.getInt32(i, true));
    }
    for (const rb of wgsl.runtimeBuffers.filter((r) => r.array === entry.name)) {
      const offset = values.length;
      const helper = helperWrites.has(rb.buffer);
      let batchStride = rb.length;
      if (helper) {
        // a summary (sort, gather) of buffers broadcast over the batch is built once and broadcast too
        if (broadcast(rb.buffer)) batchStride = 0;
        const entries = batchStride === 0 ? 1 : B;
        for (let i = 0; i < entries * rb.length; i++) values.push(poison ? POISON_I32 : 0);
        helperArrays.add(entry.name);
      } else {
        const input = meta.inputs.find((x) => x.buffer === rb.buffer);
        if (!input) throw new Error(`${label}: runtime buffer ${rb.buffer} is neither an input nor a helper output`);
        const data = launch.inputs?.[input.name];
        if (!data) throw new Error(`${label}: runtime input '${input.name}' was not given`);
        if (data.length === rb.length) batchStride = 0;
        else if (data.length !== B * rb.length) {
          throw new Error(`${label}: runtime input '${input.name}' has ${data.length} values, expected ${rb.length} or B * ${rb.length}`);
        }
        for (let i = 0; i < data.length; i++) values.push(float ? Number(data[i]) : Math.trunc(Number(data[i])));
      }
      setUniform(rb.offsetUniform, offset);
      setUniform(rb.batchStrideUniform, batchStride);
      runtime.push({ buffer: rb.buffer, array: entry.name, offset, length: rb.length, batchStride, helper });
    }
    if (values.length === 0) values.push(0); // a zero-length buffer is not bindable
    patternBuffers.push({
      name: entry.name,
      binding: entry.binding,
      kind: 'read-only-storage',
      bytes: float ? Float32Array.from(values) : Int32Array.from(values),
    });
  }

  const tiles: AttentionTiles = { blockM: meta.tile.blockM, blockN: meta.tile.blockN, headDim: D };
  // with a row permutation the caller's K / V have sourceKvHeads heads, the sorted ones Hkv
  const perm = meta.permutation;
  const params: AttentionParams = { batch: B, heads: H, kvHeads: perm?.sourceKvHeads ?? Hkv, qLen: Nq, kLen: Nk, scale: launch.scale ?? 1 / Math.sqrt(D), layer: launch.layer };
  const attention = buildAttentionPlan(sources.attention, {
    label, prelude: fileText(launch.compiled, kernel.file), tiles, params, variant: launch.variant,
    q: launch.q, k: launch.k, v: launch.v, patternBuffers, poison,
  });
  const attentionDispatch = attention.dispatches[0]!;
  attentionDispatch.workgroups = grid;
  if (perm) permuteAttention(attention.buffers, attentionDispatch.bindings, { ...params, kvHeads: Hkv }, perm.tensors, launch.variant.elem === 'f16' ? 2 : 4, D, poison);
  // Arrays that helpers write are read_write storage there, read-only in attention.
  for (const name of helperArrays) {
    const spec = attention.buffers.find((b) => b.name === `pattern.${name}`)!;
    spec.kind = 'storage';
    for (const ref of attentionDispatch.bindings) if (ref.buffer === spec.name) ref.readOnly = true;
  }
  if (launch.readRuntime) for (const r of runtime) attention.buffers.find((b) => b.name === `pattern.${r.array}`)!.readBack = true;

  const group1Bindings: BindingRef[] = group1.entries.map((e) => ({ group: 1, binding: e.binding, buffer: `pattern.${e.name}` }));
  const helpers = helperPasses(sources.helpers, launch, runtime, label, group1Bindings, helperArrays);
  const plan: LaunchPlan = {
    label,
    requiredFeatures: attention.requiredFeatures,
    buffers: [...attention.buffers, ...helpers.buffers],
    dispatches: [...helpers.dispatches, attentionDispatch, ...helpers.after],
  };
  return { plan, decode: { params, tiles, variant: launch.variant }, runtime };
}

/** The helper passes of the metadata's launch order (everything before attention). */
function helperPasses(sources: PatternHelperSources, launch: PatternLaunch, runtime: RuntimePlacement[], label: string, group1: BindingRef[], helperArrays: Set<string>): { buffers: BufferSpec[]; dispatches: DispatchSpec[]; after: DispatchSpec[] } {
  const meta = launch.compiled.metadata;
  const { Nq, Nk, H } = meta.sizes;
  // K rows of the caller (lsh of K reads them); the sorted K / V may have more heads
  const Hkv = meta.permutation?.sourceKvHeads ?? meta.sizes.Hkv;
  const D = launch.headDim;
  const B = launch.batch;
  const header = variantHeader({ elem: launch.variant.elem, subgroups: false });
  const buffers: BufferSpec[] = [];
  const dispatches: DispatchSpec[] = [];
  const placed = (buffer: string): RuntimePlacement => {
    const r = runtime.find((x) => x.buffer === buffer);
    if (!r) throw new Error(`${label}: helper output ${buffer} has no place in the runtime arrays`);
    return r;
  };
  const uniform = (name: string, values: number[]): void => {
    const bytes = u32Uniform(values);
    buffers.push({ name, kind: 'uniform', byteLength: bytes.byteLength, init: { bytes } });
  };
  const after: DispatchSpec[] = [];
  let afterAttention = false;
  const permCtx: PermutationPassContext = { sources, launch, label, placed, uniform, buffers, groups: helperGroups };
  const perm = meta.permutation;
  for (const step of meta.launchOrder) {
    if (step.kernel === 'attention_fwd') {
      afterAttention = true;
      continue;
    }
    if (perm && (step.kernel === 'row_scatter' || (step.kernel === 'row_gather' && ['q', 'k', 'v'].includes(step.reads[0]!)))) {
      (afterAttention ? after : dispatches).push(tensorPass(permCtx, step, helperArrays));
      continue;
    }
    const out = placed(step.writes[0] ?? '');
    const rtBinding = (binding: number): BindingRef => ({ group: 0, binding, buffer: `pattern.${out.array}` });
    if (step.kernel === 'lsh_buckets') {
      const input = meta.inputs.find((x) => x.buffer === out.buffer);
      if (!input?.lsh) throw new Error(`${label}: lsh_buckets writes ${out.buffer}, which is no lsh input`);
      const { of, buckets, seed } = input.lsh;
      const rows = B * (of === 'Q' ? H * Nq : Hkv * Nk);
      const prefix = `lsh.${out.buffer}`;
      uniform(`${prefix}.params`, [rows, D, buckets >> 1, out.offset]);
      const rotation = Float32Array.from(lshRotation(seed, D, buckets));
      buffers.push({ name: `${prefix}.rotation`, kind: 'read-only-storage', byteLength: rotation.byteLength, init: { bytes: rotation } });
      dispatches.push({
        label: `${label}: lsh(${of}, ${buckets}) -> ${input.name}`,
        code: header + sources.lshBuckets,
        entryPoint: 'lsh_buckets',
        workgroups: helperGroups(rows),
        bindings: [
          { group: 0, binding: 0, buffer: `${prefix}.params` },
          { group: 0, binding: 1, buffer: of === 'Q' ? 'q' : 'k' },
          { group: 0, binding: 2, buffer: `${prefix}.rotation` },
          rtBinding(3),
        ],
      });
    } else if (step.kernel === 'topk_blocks') {
      const helper = meta.helpers.find((x) => x.kind === 'topk_blocks' && x.buffer === out.buffer);
      if (!helper || helper.k === undefined || helper.block === undefined) throw new Error(`${label}: no topk_blocks helper for ${out.buffer}`);
      const { k, block } = helper;
      const nqb = Math.ceil(Nq / block);
      const nkb = Math.ceil(Nk / block);
      if (out.length !== H * nqb * k) throw new Error(`${label}: ${out.buffer} holds ${out.length} entries, expected H * ceil(Nq / block) * k = ${H * nqb * k}`);
      const prefix = `topk.${out.buffer}`;
      uniform(`${prefix}.params`, [B, H, Hkv, Nq, Nk, D, block, k, helper.causal ? 1 : 0, nqb, nkb, out.offset, out.length, 0, 0, 0]);
      const pooledRows = B * (H * nqb + Hkv * nkb);
      buffers.push({ name: `${prefix}.pooled`, kind: 'storage', byteLength: 4 * pooledRows * D });
      buffers.push({ name: `${prefix}.scores`, kind: 'storage', byteLength: 4 * B * H * nqb * nkb });
      const bindings: BindingRef[] = [
        { group: 0, binding: 0, buffer: `${prefix}.params` },
        { group: 0, binding: 1, buffer: 'q' },
        { group: 0, binding: 2, buffer: 'k' },
        { group: 0, binding: 3, buffer: `${prefix}.pooled` },
        { group: 0, binding: 4, buffer: `${prefix}.scores` },
        rtBinding(5),
      ];
      const code = header + sources.topkBlocks;
      const pass = (entryPoint: string, n: number): DispatchSpec => ({
        label: `${label}: topk_blocks(${k}, ${block}) ${entryPoint}`, code, entryPoint, workgroups: helperGroups(n), bindings,
      });
      dispatches.push(pass('topk_pool', pooledRows), pass('topk_scores', B * H * nqb * nkb), pass('topk_select', B * H * nqb * Math.max(nkb, k)));
    } else if (step.kernel === 'tile_minmax' || step.kernel === 'sorted_list') {
      const helper = meta.helpers.find((x) => x.kind === step.kernel && x.buffer === out.buffer);
      if (!helper?.of || !helper.rows || !helper.n) throw new Error(`${label}: no ${step.kernel} helper for ${out.buffer}`);
      const src = placed(helper.of);
      if (src.array !== out.array) throw new Error(`${label}: ${step.kernel} reads ${src.buffer} from ${src.array}, writes ${out.array}`);
      const rows = (out.batchStride === 0 ? 1 : B) * helper.rows;
      const prefix = `${step.kernel}.${out.buffer}`;
      if (step.kernel === 'tile_minmax') {
        const tiles = Math.ceil(helper.n / helper.tile!);
        uniform(`${prefix}.params`, [rows, helper.n, helper.tile!, tiles, src.offset, out.offset, 0, 0]);
        dispatches.push({
          label: `${label}: tile_minmax(${helper.of}, ${helper.tile}) -> ${out.buffer}`, code: sources.tileMinmax, entryPoint: 'tile_minmax',
          workgroups: helperGroups(rows * tiles), bindings: [{ group: 0, binding: 0, buffer: `${prefix}.params` }, rtBinding(1)],
        });
      } else {
        uniform(`${prefix}.params`, [rows, helper.n, src.offset, out.offset]);
        buffers.push({ name: `${prefix}.keys`, kind: 'storage', byteLength: 4 * rows * helper.n });
        const bindings = [{ group: 0, binding: 0, buffer: `${prefix}.params` }, rtBinding(1), { group: 0, binding: 2, buffer: `${prefix}.keys` }];
        for (const entryPoint of ['sorted_keys', 'sorted_scatter']) {
          dispatches.push({ label: `${label}: sorted_list(${helper.of}) ${entryPoint}`, code: sources.sortedList, entryPoint, workgroups: helperGroups(rows * helper.n), bindings });
        }
      }
    } else if (step.kernel === 'row_sort' || step.kernel === 'row_gather') {
      dispatches.push(...rowPermutationPass(permCtx, step.kernel, out));
    } else if (step.kernel === 'schedule_build') {
      const kernel = meta.kernels.find((k) => k.role === 'schedule' && k.name === 'schedule_build');
      if (!kernel) throw new Error(`${label}: the metadata lists no schedule_build kernel`);
      const prefix = `schedule_build.${out.buffer}`;
      uniform(`${prefix}.params`, [B, H, launch.layer, 0]);
      dispatches.push({
        label: `${label}: schedule_build -> ${out.buffer}`,
        code: fileText(launch.compiled, kernel.file) + sources.scheduleBuild,
        entryPoint: 'schedule_build',
        workgroups: helperGroups(evalFormula(kernel.grid[0], { B, Nq, Nk, H, Hkv, D }) * HELPER_WORKGROUP),
        bindings: [{ group: 0, binding: 0, buffer: `${prefix}.params` }, ...group1],
      });
    } else {
      throw new Error(`${label}: unknown helper kernel '${step.kernel}' in the launch order`);
    }
  }
  return { buffers, dispatches, after };
}

/** O [B, H, Nq, D], LSE [B, H, Nq] (-inf for empty rows) and, if read back, the runtime buffers. */
export function decodePatternOutputs(outputs: Record<string, ArrayBuffer>, built: PatternPlan): PatternOutputs {
  const { o, lse } = decodeAttentionOutputs(outputs, built.decode);
  const runtime: Record<string, Int32Array> = {};
  const B = built.decode.params.batch;
  for (const r of built.runtime) {
    const bytes = outputs[`pattern.${r.array}`];
    if (!bytes) continue;
    const all = new Int32Array(bytes);
    runtime[r.buffer] = all.slice(r.offset, r.offset + (r.batchStride === 0 ? r.length : B * r.length));
  }
  return { o, lse, runtime };
}
