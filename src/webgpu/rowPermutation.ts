/// <reference types="@webgpu/types" />
// The row permutation's passes in a pattern's launch plan (pattern.ts calls them in the
// metadata's launch order; docs/wgsl-kernel.md, "Row permutation"): the sort and the gathers of
// runtime inputs into the merged runtime array, the Q/K/V gather into sorted tensors and the
// O/LSE scatter back, and attention rebound to the sorted tensors. Browser-safe.
import type { LaunchMetadata } from '../../codegen/metadata/schema.ts';
import { packParams, variantHeader, type AttentionParams } from '../../codegen/wgsl/runtime/attention_fwd.ts';
import type { PatternHelperSources, PatternLaunch, RuntimePlacement } from './pattern.ts';
import type { BindingRef, BufferSpec, DispatchSpec } from './plan.ts';

/** What the passes need from pattern.ts's helper loop. */
export interface PermutationPassContext {
  sources: PatternHelperSources;
  launch: PatternLaunch;
  label: string;
  placed: (buffer: string) => RuntimePlacement;
  uniform: (name: string, values: number[]) => void;
  /** Scratch buffers of the passes go here. */
  buffers: BufferSpec[];
  /** Workgroups of a 64-wide 1-D helper over n invocations. */
  groups: (n: number) => [number, number, number];
}

const rtBinding = (binding: number, r: RuntimePlacement): BindingRef => ({ group: 0, binding, buffer: `pattern.${r.array}` });

/** row_sort (helpers/row_permute.wgsl) or row_gather of a runtime input (helpers/row_gather.wgsl) writing `out`. */
export function rowPermutationPass(ctx: PermutationPassContext, kernel: 'row_sort' | 'row_gather', out: RuntimePlacement): DispatchSpec[] {
  const { launch, label, placed, uniform } = ctx;
  const meta = launch.compiled.metadata;
  const B = launch.batch;
  const helper = meta.helpers.find((x) => x.kind === kernel && x.buffer === out.buffer);
  if (!helper?.of || !helper.rows || !helper.n) throw new Error(`${label}: no ${kernel} helper for ${out.buffer}`);
  const rows = helper.rows, n = helper.n;
  const entries = (r: RuntimePlacement) => (r.batchStride === 0 ? 1 : B) * rows;
  const src = placed(helper.of);
  const prefix = `${kernel}.${out.buffer}`;
  if (kernel === 'row_sort') {
    if (!helper.buckets) throw new Error(`${label}: row_sort of ${out.buffer} has no bucket count`);
    uniform(`${prefix}.params`, [entries(out), n, helper.buckets, helper.keyKind === 'keep' ? 1 : 0, src.offset, out.offset, 0, 0]);
    ctx.buffers.push({ name: `${prefix}.counts`, kind: 'storage', byteLength: 4 * entries(out) * helper.buckets });
    const bindings = [{ group: 0, binding: 0, buffer: `${prefix}.params` }, rtBinding(1, out), { group: 0, binding: 2, buffer: `${prefix}.counts` }];
    return ['row_sort_count', 'row_sort_place'].map((entryPoint) => ({
      label: `${label}: row_sort(${helper.of}) ${entryPoint}`, code: ctx.sources.rowPermute, entryPoint, workgroups: ctx.groups(entries(out) * helper.buckets!), bindings,
    }));
  }
  if (!helper.positions) throw new Error(`${label}: row_gather of ${out.buffer} has no positions`);
  const pos = placed(helper.positions);
  uniform(`${prefix}.params`, [entries(out), n, entries(src), entries(pos), src.offset, pos.offset, out.offset, 0]);
  return [{
    label: `${label}: row_gather(${helper.of}) -> ${out.buffer}`, code: ctx.sources.rowGather, entryPoint: 'row_gather_i32',
    workgroups: ctx.groups(entries(out) * n), bindings: [{ group: 0, binding: 0, buffer: `${prefix}.params` }, rtBinding(1, out)],
  }];
}

/** A Q/K/V gather into sorted rows, or the O/LSE scatter back (helpers/row_tensors.wgsl). */
export function tensorPass(ctx: PermutationPassContext, step: LaunchMetadata['launchOrder'][number], helperArrays: Set<string>): DispatchSpec {
  const { sources, launch, placed, uniform, label } = ctx;
  const meta = launch.compiled.metadata;
  const perm = meta.permutation!;
  const { Nq, Nk, H, Hkv } = meta.sizes;
  const B = launch.batch, D = launch.headDim;
  const scatter = step.kernel === 'row_scatter';
  const pos = placed(scatter ? step.reads[2]! : step.reads[1]!);
  if (!helperArrays.has(pos.array)) throw new Error(`${label}: positions ${pos.buffer} are not a helper output`);
  const src = step.reads[0]!;
  const isQ = scatter || src === 'q';
  const rows = isQ ? H : Hkv;
  const srcHeads = isQ ? H : perm.sourceKvHeads;
  const n = isQ ? Nq : Nk;
  const prefix = `${step.kernel}.${step.writes[0]}`;
  uniform(`${prefix}.params`, [B, rows, srcHeads, n, D, pos.offset, pos.batchStride, 0]);
  const header = variantHeader({ elem: launch.variant.elem, subgroups: false });
  const bindings: BindingRef[] = [
    { group: 0, binding: 0, buffer: `${prefix}.params` },
    { group: 0, binding: 1, buffer: `pattern.${pos.array}`, readOnly: true },
    { group: 0, binding: 2, buffer: scatter ? perm.tensors.out : src, readOnly: scatter ? true : undefined },
    { group: 0, binding: 3, buffer: scatter ? 'o' : step.writes[0]! },
  ];
  if (scatter) bindings.push({ group: 0, binding: 4, buffer: perm.tensors.lse, readOnly: true }, { group: 0, binding: 5, buffer: 'lse' });
  return {
    label: `${label}: ${step.kernel} ${src} -> ${step.writes.join(', ')}`, code: header + sources.rowTensors,
    entryPoint: scatter ? 'row_scatter' : 'row_gather_tensor', workgroups: ctx.groups(B * rows * n * D), bindings,
  };
}

/**
 * Attention over sorted rows: it reads q_sorted, k_sorted, v_sorted and writes out_sorted,
 * lse_sorted (row_gather / row_scatter passes fill and empty them); the caller's o and lse are
 * written by the scatter. Its params carry the sorted K / V's heads.
 */
export function permuteAttention(buffers: BufferSpec[], bindings: BindingRef[], params: AttentionParams, names: { q: string; k: string; v: string; out: string; lse: string }, elemBytes: number, D: number, poison: boolean): void {
  const paramsBuffer = buffers.find((b) => b.name === 'params')!;
  paramsBuffer.init = { bytes: new Uint8Array(packParams(params)) };
  const bytes = (rows: number, d: number) => Math.ceil((rows * d * elemBytes) / 4) * 4;
  const qRows = params.batch * params.heads * params.qLen, kRows = params.batch * params.kvHeads * params.kLen;
  const fill = poison ? { fillU32: 0x7fc0dead } : undefined;
  buffers.push(
    { name: names.q, kind: 'storage', byteLength: bytes(qRows, D), init: fill },
    { name: names.k, kind: 'storage', byteLength: bytes(kRows, D), init: fill },
    { name: names.v, kind: 'storage', byteLength: bytes(kRows, D), init: fill },
    { name: names.out, kind: 'storage', byteLength: bytes(qRows, D), init: fill },
    { name: names.lse, kind: 'storage', byteLength: 4 * qRows, init: fill },
  );
  const rename: Record<string, string> = { q: names.q, k: names.k, v: names.v, o: names.out, lse: names.lse };
  for (const b of bindings) {
    if (b.group !== 0 || !(b.buffer in rename)) continue;
    const to = rename[b.buffer]!;
    b.readOnly = b.buffer === 'q' || b.buffer === 'k' || b.buffer === 'v' ? true : undefined;
    b.buffer = to;
  }
}
