// The skeleton's TypeScript contract without a GPU: tile limits, the uniform block bytes,
// module assembly order, and variant choice.
import { describe, expect, it } from 'vitest';
import {
  assembleAttentionModule,
  attentionWorkgroups,
  checkTiles,
  chooseVariant,
  defaultBlockN,
  packParams,
  workgroupBytes,
} from '../../codegen/wgsl/runtime/attention_fwd.ts';
import { loadAttentionSkeleton } from '../../codegen/wgsl/runtime/load.ts';

describe('WGSL attention skeleton contract', () => {
  it('fits the documented tile shapes in every variant under default limits', () => {
    expect(defaultBlockN(16, 64)).toBe(16);
    expect(defaultBlockN(16, 128)).toBe(8);
    expect(checkTiles({ blockM: 16, blockN: 16, headDim: 64 })).toEqual([]);
    expect(checkTiles({ blockM: 16, blockN: 8, headDim: 128 })).toEqual([]);
    expect(workgroupBytes({ blockM: 16, blockN: 16, headDim: 64 }, { elem: 'f32', subgroups: false })).toBe(16_384);
    expect(workgroupBytes({ blockM: 16, blockN: 16, headDim: 128 }, { elem: 'f16', subgroups: true })).toBe(8_196);
  });

  it('rejects shapes the skeleton cannot run', () => {
    expect(checkTiles({ blockM: 64, blockN: 16, headDim: 64 })).toContain('BLOCK_M=64 gives 512 invocations, limit 256');
    expect(checkTiles({ blockM: 16, blockN: 16, headDim: 48 })).toContain('HEAD_DIM=48 must be a positive multiple of 32');
    expect(checkTiles({ blockM: 16, blockN: 64, headDim: 64 })).toContain('BLOCK_N=64 must be in [1, 32]');
    expect(checkTiles({ blockM: 12, blockN: 16, headDim: 64 })).toContain('BLOCK_M=12 must be a power of two');
  });

  it('packs Params as B, H, Hkv, Nq, Nk, scale, layer, pad (32 bytes)', () => {
    const bytes = packParams({ batch: 2, heads: 8, kvHeads: 2, qLen: 77, kLen: 90, scale: 0.125, layer: 3 });
    expect(bytes.byteLength).toBe(32);
    const u32 = new Uint32Array(bytes);
    expect([u32[0], u32[1], u32[2], u32[3], u32[4], u32[6], u32[7]]).toEqual([2, 8, 2, 77, 90, 3, 0]);
    expect(new Float32Array(bytes)[5]).toBe(0.125);
    expect(() => packParams({ batch: 1, heads: 6, kvHeads: 4, qLen: 1, kLen: 1, scale: 1, layer: 0 })).toThrow(/must divide/);
  });

  it('dispatches one workgroup per (query tile, head, batch)', () => {
    expect(attentionWorkgroups({ blockM: 16, blockN: 16, headDim: 64 }, { batch: 2, heads: 4, kvHeads: 1, qLen: 77, kLen: 5, scale: 1, layer: 0 })).toEqual([5, 4, 2]);
  });

  it('assembles header, prelude, skeleton, row reduction in order', () => {
    const sources = loadAttentionSkeleton();
    const { code, sections } = assembleAttentionModule(sources, 'const PRELUDE_MARK: u32 = 1u;', { elem: 'f16', subgroups: true });
    expect(code.startsWith('// variant: f16, subgroup row reduction\nenable f16;\nenable subgroups;\nalias elem = f16;\n')).toBe(true);
    expect(sections.map((s) => s.name)).toEqual(['variant header', 'prelude', 'skeleton', 'row reduction']);
    const lines = code.split('\n');
    expect(lines[sections[1]!.firstLine - 1]).toBe('const PRELUDE_MARK: u32 = 1u;');
    expect(code.indexOf('fn attention_fwd')).toBeLessThan(code.indexOf('subgroupShuffleXor'));
    expect(assembleAttentionModule(sources, '', { elem: 'f32', subgroups: false }).code).not.toMatch(/^enable|subgroup[A-Z]\w*\(/m);
    expect(() => assembleAttentionModule(sources, 'enable f16;', { elem: 'f32', subgroups: false })).toThrow(/enable/);
  });

  it('chooses subgroups only when every subgroup holds a whole row', () => {
    expect(chooseVariant({ f16: true, subgroups: true, subgroupMinSize: 8 }, 'f16')).toEqual({ elem: 'f16', subgroups: true });
    expect(chooseVariant({ f16: true, subgroups: true, subgroupMinSize: 4 }, 'f32')).toEqual({ elem: 'f32', subgroups: false });
    expect(chooseVariant({ f16: true, subgroups: true, subgroupMinSize: 32 }, 'f32', false)).toEqual({ elem: 'f32', subgroups: false });
    expect(() => chooseVariant({ f16: false, subgroups: false, subgroupMinSize: 0 }, 'f16')).toThrow(/shader-f16/);
  });
});
