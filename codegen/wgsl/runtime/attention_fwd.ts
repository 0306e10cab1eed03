// The WGSL attention skeleton's contract in TypeScript: variant choice, module assembly
// (variant header + pattern prelude + skeleton + row reduction), tile limits, the uniform
// block and the binding layout. Browser-safe: skeleton sources are passed in (load.ts reads
// them in Node; a bundler can import them as text).

export const ATTENTION_ENTRY_POINT = 'attention_fwd';
/** Invocations sharing one query row; fixed by the skeleton. */
export const ROW_LANES = 8;
/** Bytes of the Params uniform block. */
export const PARAMS_BYTES = 32;
/** Bind group 0 is the skeleton's; group 1 is the pattern prelude's. */
export const ATTENTION_BINDINGS = { params: 0, q: 1, k: 2, v: 3, o: 4, lse: 5 } as const;
export const PATTERN_GROUP = 1;
/** Storage buffers left for pattern tables under the default limit of 8 per stage. */
export const MAX_PATTERN_STORAGE_BUFFERS = 3;

/** WebGPU default limits the skeleton is designed for. */
export const DEFAULT_LIMITS = {
  workgroupStorageBytes: 16_384,
  invocationsPerWorkgroup: 256,
  storageBuffersPerStage: 8,
} as const;

export type ElemType = 'f32' | 'f16';

export interface AttentionVariant {
  /** Storage type of Q, K, V, O and of the workgroup tiles; arithmetic is f32 throughout. */
  elem: ElemType;
  /** Row reduction through subgroup shuffles (else through workgroup memory). */
  subgroups: boolean;
}

export interface AttentionTiles {
  blockM: number;
  blockN: number;
  headDim: number;
}

export interface AttentionSkeletonSources {
  body: string;
  rowReduceSubgroup: string;
  rowReduceWorkgroup: string;
}

export interface AttentionParams {
  batch: number;
  heads: number;
  kvHeads: number;
  qLen: number;
  kLen: number;
  scale: number;
  layer: number;
}

const ELEM_BYTES: Record<ElemType, number> = { f32: 4, f16: 2 };

export function threadsPerWorkgroup(tiles: AttentionTiles): number {
  return tiles.blockM * ROW_LANES;
}

/** Workgroup storage the assembled module declares, in bytes. */
export function workgroupBytes(tiles: AttentionTiles, variant: AttentionVariant): number {
  const kv = 2 * tiles.blockN * tiles.headDim * ELEM_BYTES[variant.elem];
  const reduction = variant.subgroups ? 4 : tiles.blockM * tiles.blockN * ROW_LANES * 4;
  return kv + reduction;
}

const ALL_VARIANTS: AttentionVariant[] = [
  { elem: 'f32', subgroups: false },
  { elem: 'f32', subgroups: true },
  { elem: 'f16', subgroups: false },
  { elem: 'f16', subgroups: true },
];

/**
 * Errors of a tile shape against the skeleton and WebGPU's default limits. Without a
 * variant, the shape must fit every variant, since the variant is chosen at run time.
 */
export function checkTiles(tiles: AttentionTiles, variant?: AttentionVariant): string[] {
  const errors: string[] = [];
  const { blockM, blockN, headDim } = tiles;
  const isPow2 = (n: number) => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
  if (!isPow2(blockM)) errors.push(`BLOCK_M=${blockM} must be a power of two`);
  if (!Number.isInteger(blockN) || blockN < 1 || blockN > 32) errors.push(`BLOCK_N=${blockN} must be in [1, 32]`);
  if (!Number.isInteger(headDim) || headDim <= 0 || headDim % (4 * ROW_LANES) !== 0) {
    errors.push(`HEAD_DIM=${headDim} must be a positive multiple of ${4 * ROW_LANES}`);
  }
  const threads = threadsPerWorkgroup(tiles);
  if (threads > DEFAULT_LIMITS.invocationsPerWorkgroup) {
    errors.push(`BLOCK_M=${blockM} gives ${threads} invocations, limit ${DEFAULT_LIMITS.invocationsPerWorkgroup}`);
  }
  for (const v of variant ? [variant] : ALL_VARIANTS) {
    const bytes = workgroupBytes(tiles, v);
    if (bytes > DEFAULT_LIMITS.workgroupStorageBytes) {
      errors.push(`${v.elem}${v.subgroups ? '+subgroups' : ''}: ${bytes} bytes of workgroup storage, limit ${DEFAULT_LIMITS.workgroupStorageBytes}`);
    }
  }
  return errors;
}

/** The largest BLOCK_N (of 32, 16, 8) that fits every variant at this BLOCK_M and head dim. */
export function defaultBlockN(blockM: number, headDim: number): number {
  for (const blockN of [32, 16, 8]) {
    if (checkTiles({ blockM, blockN, headDim }).length === 0) return blockN;
  }
  throw new Error(`no BLOCK_N fits BLOCK_M=${blockM}, HEAD_DIM=${headDim}`);
}

export interface AdapterFeatures {
  f16: boolean;
  subgroups: boolean;
  subgroupMinSize: number;
}

/**
 * The variant for an adapter: subgroups when every subgroup holds a whole row's lanes.
 * Throws if f16 is asked for and the adapter lacks shader-f16.
 */
export function chooseVariant(features: AdapterFeatures, elem: ElemType, allowSubgroups = true): AttentionVariant {
  if (elem === 'f16' && !features.f16) throw new Error("f16 attention needs the adapter feature 'shader-f16'");
  return { elem, subgroups: allowSubgroups && features.subgroups && features.subgroupMinSize >= ROW_LANES };
}

export function variantHeader(variant: AttentionVariant): string {
  const lines = [];
  if (variant.elem === 'f16') lines.push('enable f16;');
  if (variant.subgroups) lines.push('enable subgroups;');
  lines.push(`alias elem = ${variant.elem};`);
  return lines.join('\n') + '\n';
}

/** WGSL features the variant needs on the device. */
export function variantFeatures(variant: AttentionVariant): GPUFeatureNameLike[] {
  const features: GPUFeatureNameLike[] = [];
  if (variant.elem === 'f16') features.push('shader-f16');
  if (variant.subgroups) features.push('subgroups');
  return features;
}
type GPUFeatureNameLike = 'shader-f16' | 'subgroups';

export interface AssembledModule {
  code: string;
  /** First line (1-based) of each piece: 'variant header', 'prelude', 'skeleton', 'row reduction'. */
  sections: { name: string; firstLine: number }[];
}

/** The complete module: header, prelude, skeleton, row reduction (in that order). */
export function assembleAttentionModule(sources: AttentionSkeletonSources, prelude: string, variant: AttentionVariant): AssembledModule {
  if (/^\s*enable\s/m.test(prelude)) throw new Error('a pattern prelude must not contain enable directives');
  const pieces: [string, string][] = [
    ['variant header', `// variant: ${variant.elem}, ${variant.subgroups ? 'subgroup' : 'workgroup'} row reduction\n${variantHeader(variant)}`],
    ['prelude', prelude],
    ['skeleton', sources.body],
    ['row reduction', variant.subgroups ? sources.rowReduceSubgroup : sources.rowReduceWorkgroup],
  ];
  let code = '';
  let line = 1;
  const sections = [];
  for (const [name, text] of pieces) {
    const body = text.endsWith('\n') ? text : `${text}\n`;
    sections.push({ name, firstLine: line });
    code += body;
    line += body.split('\n').length - 1;
  }
  return { code, sections };
}

/** The Params uniform block, byte for byte (see attention_fwd.wgsl). */
export function packParams(p: AttentionParams): ArrayBuffer {
  if (p.kvHeads <= 0 || p.heads % p.kvHeads !== 0) throw new Error(`Hkv=${p.kvHeads} must divide H=${p.heads}`);
  const bytes = new ArrayBuffer(PARAMS_BYTES);
  const u32 = new Uint32Array(bytes);
  const f32 = new Float32Array(bytes);
  u32[0] = p.batch;
  u32[1] = p.heads;
  u32[2] = p.kvHeads;
  u32[3] = p.qLen;
  u32[4] = p.kLen;
  f32[5] = p.scale;
  u32[6] = p.layer;
  u32[7] = 0;
  return bytes;
}

/** Workgroup grid: one workgroup per (query tile, head, batch). */
export function attentionWorkgroups(tiles: AttentionTiles, p: AttentionParams): [number, number, number] {
  return [Math.ceil(p.qLen / tiles.blockM), p.heads, p.batch];
}
