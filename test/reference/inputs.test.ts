// Generators of runtime inputs, and the text pictures of masks.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng, exampleInputs, indexList, keepList, keepMask, packedDocumentIds } from '../../src/reference/inputs.ts';
import { maskLines, renderMaskText } from '../../src/reference/picture.ts';
import { IrBuilder } from './irBuilder.ts';

describe('input generators', () => {
  it('packed document ids are nondecreasing, start at 0 and step by 1', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 500 }), fc.integer(), (n, seed) => {
      const ids = packedDocumentIds(n, new Rng(seed), 1, 40);
      expect(ids[0]).toBe(0);
      for (let i = 1; i < n; i++) expect([0, 1]).toContain(ids[i]! - ids[i - 1]!);
    }));
  });
  it('index lists are sorted, distinct, in range, padded with -1 at the end', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 100 }), fc.integer(), (len, range, seed) => {
      const list = Array.from(indexList(len, range, new Rng(seed), 0.1, [0]));
      const real = list.filter((x) => x >= 0);
      expect(real[0]).toBe(0);
      expect(real).toEqual([...new Set(real)].sort((a, b) => a - b));
      expect(list.slice(real.length).every((x) => x === -1)).toBe(true);
      expect(real.every((x) => x < range)).toBe(true);
    }));
  });
  it('keep lists list the kept positions', () => {
    const mask = keepMask(20, new Rng(3));
    const list = keepList(mask);
    expect(Array.from(list).filter((x) => x >= 0)).toEqual([...mask.keys()].filter((i) => mask[i]));
  });
  it('exampleInputs fills every given input with [B, ...dims] values', () => {
    const b = new IrBuilder();
    b.inputs.push({ name: 'doc', type: 'int', shape: ['Nk'], source: { kind: 'given' } });
    b.inputs.push({ name: 'keep', type: 'bool', shape: ['H', 'Nq'], source: { kind: 'given' } });
    b.inputs.push({ name: 'hq', type: 'int', shape: ['H', 'Nq'], source: { kind: 'lsh', of: 'Q', buckets: 4, seed: 1 } });
    const ir = b.program(b.bool(true), { Nq: 10, Nk: 12, H: 3, Hkv: 3 });
    const inputs = exampleInputs(ir, ir.sizes, 5, 2);
    expect(inputs['doc']!.length).toBe(24);
    expect(inputs['keep']!.length).toBe(60);
    expect(inputs['hq']).toBeUndefined();
  });
});

describe('mask pictures', () => {
  it('one character per element when small', () => {
    const dense = Uint8Array.from([1, 0, 0, 1, 1, 0, 1, 1, 1]);
    expect(maskLines(dense, 3, 3)).toEqual(['█··', '██·', '███']);
    expect(renderMaskText([{ layer: 0, head: 2, dense }], 3, 3)).toContain('layer 0, head 2: 66.7% allowed');
  });
  it('downsampled with shades and a legend when large', () => {
    const n = 128;
    const dense = new Uint8Array(n * n);
    for (let q = 0; q < n; q++) for (let k = 0; k <= q; k++) dense[q * n + k] = 1;
    const lines = maskLines(dense, n, n, { maxCols: 16, maxRows: 16 });
    expect(lines).toHaveLength(16);
    expect(lines[0]).toBe('▒' + '·'.repeat(15));
    expect(lines[15]).toBe('█'.repeat(15) + '▒');
    expect(renderMaskText([{ layer: 0, head: 0, dense }], n, n, { maxCols: 16, maxRows: 16 })).toContain('1 char = 8 queries x 8 keys');
  });
});
