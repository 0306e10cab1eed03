/// <reference types="@webgpu/types" />
// Attention launches on the runner: tensors + pattern prelude -> LaunchPlan, and outputs
// back to f32. Emitted launch metadata maps onto AttentionLaunch. Browser-safe.
import {
  ATTENTION_BINDINGS,
  ATTENTION_ENTRY_POINT,
  PATTERN_GROUP,
  MAX_PATTERN_STORAGE_BUFFERS,
  assembleAttentionModule,
  attentionWorkgroups,
  checkTiles,
  packParams,
  variantFeatures,
  type AttentionParams,
  type AttentionSkeletonSources,
  type AttentionTiles,
  type AttentionVariant,
} from '../../codegen/wgsl/runtime/attention_fwd.ts';
import { fromHalfArray, toHalfArray } from './f16.ts';
import type { BindingRef, BufferSpec, LaunchPlan } from './plan.ts';

/** A buffer of the pattern prelude, bound at @group(1) @binding(binding). */
export interface PatternBuffer {
  name: string;
  binding: number;
  kind: 'uniform' | 'read-only-storage';
  bytes: ArrayBufferView;
}

export interface AttentionLaunch {
  label: string;
  prelude: string;
  tiles: AttentionTiles;
  params: AttentionParams;
  variant: AttentionVariant;
  /** Row-major [B, H, Nq, D]; [B, Hkv, Nk, D] for k and v. Converted to f16 for f16 variants. */
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  patternBuffers?: PatternBuffer[];
  /** Fill O and LSE with NaN before the run, so an unwritten element shows (default true). */
  poison?: boolean;
}

/** A quiet NaN in f32, and two f16 quiet NaNs side by side. */
export const POISON_F32 = 0x7fc0dead;
export const POISON_F16_PAIR = 0x7e017e01;

function alignedBytes(view: ArrayBufferView): ArrayBufferView {
  if (view.byteLength % 4 === 0) return view;
  const padded = new Uint8Array(Math.ceil(view.byteLength / 4) * 4);
  padded.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  return padded;
}

export function buildAttentionPlan(sources: AttentionSkeletonSources, launch: AttentionLaunch): LaunchPlan {
  const { tiles, params: p, variant } = launch;
  const tileErrors = checkTiles(tiles, variant);
  if (tileErrors.length) throw new Error(`${launch.label}: ${tileErrors.join('; ')}`);
  const d = tiles.headDim;
  const expect = { q: p.batch * p.heads * p.qLen * d, k: p.batch * p.kvHeads * p.kLen * d, o: p.batch * p.heads * p.qLen * d };
  for (const [name, n] of [['q', expect.q], ['k', expect.k], ['v', expect.k]] as const) {
    if (launch[name].length !== n) throw new Error(`${launch.label}: ${name} has ${launch[name].length} elements, expected ${n}`);
  }
  const patternBuffers = launch.patternBuffers ?? [];
  if (patternBuffers.filter((b) => b.kind !== 'uniform').length > MAX_PATTERN_STORAGE_BUFFERS) {
    throw new Error(`${launch.label}: more than ${MAX_PATTERN_STORAGE_BUFFERS} pattern storage buffers`);
  }

  const f16 = variant.elem === 'f16';
  const tensor = (x: Float32Array): ArrayBufferView => alignedBytes(f16 ? toHalfArray(x) : x);
  const elemBytes = f16 ? 2 : 4;
  const poison = launch.poison ?? true;
  const buffers: BufferSpec[] = [
    { name: 'params', kind: 'uniform', byteLength: 32, init: { bytes: new Uint8Array(packParams(p)) } },
    { name: 'q', kind: 'read-only-storage', byteLength: tensor(launch.q).byteLength, init: { bytes: tensor(launch.q) } },
    { name: 'k', kind: 'read-only-storage', byteLength: tensor(launch.k).byteLength, init: { bytes: tensor(launch.k) } },
    { name: 'v', kind: 'read-only-storage', byteLength: tensor(launch.v).byteLength, init: { bytes: tensor(launch.v) } },
    {
      name: 'o',
      kind: 'storage',
      byteLength: Math.ceil((expect.o * elemBytes) / 4) * 4,
      init: poison ? { fillU32: f16 ? POISON_F16_PAIR : POISON_F32 } : undefined,
      readBack: true,
    },
    {
      name: 'lse',
      kind: 'storage',
      byteLength: 4 * p.batch * p.heads * p.qLen,
      init: poison ? { fillU32: POISON_F32 } : undefined,
      readBack: true,
    },
  ];
  const bindings: BindingRef[] = Object.entries(ATTENTION_BINDINGS).map(([buffer, binding]) => ({ group: 0, binding, buffer }));
  for (const pb of patternBuffers) {
    const bytes = alignedBytes(pb.bytes);
    buffers.push({ name: `pattern.${pb.name}`, kind: pb.kind, byteLength: bytes.byteLength, init: { bytes } });
    bindings.push({ group: PATTERN_GROUP, binding: pb.binding, buffer: `pattern.${pb.name}` });
  }
  const module = assembleAttentionModule(sources, launch.prelude, variant);
  return {
    label: launch.label,
    requiredFeatures: variantFeatures(variant) as GPUFeatureName[],
    buffers,
    dispatches: [
      {
        label: `${launch.label} (${variant.elem}${variant.subgroups ? ', subgroups' : ''})`,
        code: module.code,
        sections: module.sections,
        entryPoint: ATTENTION_ENTRY_POINT,
        workgroups: attentionWorkgroups(tiles, p),
        bindings,
      },
    ],
  };
}

export interface AttentionOutputs {
  /** [B, H, Nq, D] */
  o: Float32Array;
  /** [B, H, Nq], natural log; -inf for rows with no allowed key. */
  lse: Float32Array;
}

export function decodeAttentionOutputs(outputs: Record<string, ArrayBuffer>, launch: Pick<AttentionLaunch, 'params' | 'tiles' | 'variant'>): AttentionOutputs {
  const { params: p, tiles } = launch;
  const n = p.batch * p.heads * p.qLen * tiles.headDim;
  const o = launch.variant.elem === 'f16' ? fromHalfArray(new Uint16Array(outputs.o!, 0, n)) : new Float32Array(outputs.o!, 0, n);
  return { o, lse: new Float32Array(outputs.lse!) };
}
