// The lowered mask hook, executed (TS interpreter of the lowered IR, and the printed C++ built
// with g++), agrees with the reference evaluator on random expressions.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BufferRegistry } from '../../codegen/lower/buffers.ts';
import { callFunction } from '../../codegen/lower/eval.ts';
import { lowerMaskHook } from '../../codegen/lower/hooks.ts';
import type { LBuffer, LFunction } from '../../codegen/lower/ir.ts';
import type { IrProgram } from '../../src/ir/schema.ts';
import { evalMask } from '../../src/reference/mask.ts';
import { hasCompiler, hostSource, runHost } from './hostHarness.ts';
import { IrBuilder } from './irBuilder.ts';
import { build, maskTree } from './randomExpr.ts';

const SIZES = { Nq: 13, Nk: 11, H: 3, Hkv: 3, L: 2 };

function program(tree: Parameters<typeof build>[1]): IrProgram {
  const b = new IrBuilder();
  const mask = build(b, tree);
  return b.program(mask, { sizes: SIZES, rules: [{ layers: [0, 1], heads: [0, 1, 2], mask }] });
}

function lower(ir: IrProgram, name = 'mask'): { fn: LFunction; buffers: LBuffer[] } {
  const reg = new BufferRegistry(ir, ir.sizes);
  const extra: LBuffer[] = [];
  const fn = lowerMaskHook(ir, reg, extra);
  return { fn: { ...fn, name }, buffers: [...reg.buffers, ...extra] };
}

function referenceBits(ir: IrProgram): string {
  const ev = evalMask(ir);
  let s = '';
  for (let l = 0; l < SIZES.L; l++) for (let h = 0; h < SIZES.H; h++) {
    const f = ev.element(l, h);
    for (let q = 0; q < SIZES.Nq; q++) for (let k = 0; k < SIZES.Nk; k++) s += f(q, k) ? '1' : '0';
  }
  return s;
}

describe('lowered mask expressions', () => {
  it('interpreted lowered IR matches the reference', () => {
    fc.assert(fc.property(maskTree, (tree) => {
      const ir = program(tree);
      const { fn } = lower(ir);
      let s = '';
      for (let l = 0; l < SIZES.L; l++) for (let h = 0; h < SIZES.H; h++)
        for (let q = 0; q < SIZES.Nq; q++) for (let k = 0; k < SIZES.Nk; k++)
          s += callFunction(fn, { b: 0, l, h, q, k }, { params: {}, buffers: {} }).value ? '1' : '0';
      expect(s).toBe(referenceBits(ir));
    }), { numRuns: 300 });
  });

  it.skipIf(!hasCompiler('g++'))('printed C++ built with g++ matches the reference', () => {
    const trees = fc.sample(maskTree, { numRuns: 40, seed: 42 });
    const irs = trees.map(program);
    const fns = irs.map((ir, i) => lower(ir, `mask_${i}`).fn);
    const main = `int main() {
  const PatternParams P = make_params();
  ${fns.map((f) => `for (int l = 0; l < ${SIZES.L}; ++l) for (int h = 0; h < ${SIZES.H}; ++h) for (int q = 0; q < ${SIZES.Nq}; ++q) for (int k = 0; k < ${SIZES.Nk}; ++k) putchar(${f.name}(P, 0, l, h, q, k) ? '1' : '0');\n  putchar('\\n');`).join('\n  ')}
  return 0;
}`;
    const out = runHost(hostSource(fns, [], main)).trim().split('\n');
    irs.forEach((ir, i) => expect(out[i], `expression ${i}: ${JSON.stringify(trees[i])}`).toBe(referenceBits(ir)));
  });
});
