// evalMask on hand-built IR: closure compilation, folding, tables, inputs, membership and the
// runtime built-ins, each against a direct formula.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evalMask } from '../../src/reference/mask.ts';
import { randomBlocksChosen } from '../../src/reference/random.ts';
import { topkBlocksTable } from '../../src/reference/topk.ts';
import { randomQkv } from '../../src/reference/inputs.ts';
import { IrBuilder } from './irBuilder.ts';

function denseOf(f: (q: number, k: number) => boolean, nq: number, nk: number): Uint8Array {
  const out = new Uint8Array(nq * nk);
  for (let q = 0; q < nq; q++) for (let k = 0; k < nk; k++) out[q * nk + k] = f(q, k) ? 1 : 0;
  return out;
}

describe('evalMask on hand-built IR', () => {
  it('causal and window with a q-only and a k-only subtree', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 50 }), (nq, nk, w) => {
      const b = new IrBuilder();
      const q = b.v('q'), k = b.v('k');
      const causal = b.op('le', 'bool', k, q);
      const lo = b.op('sub', 'int', q, b.int(w)); // q-only
      const kk = b.op('mul', 'int', k, b.int(1)); // k-only
      const win = b.op('le', 'bool', lo, kk);
      const ir = b.program(b.op('and', 'bool', causal, win), { Nq: nq, Nk: nk });
      const m = evalMask(ir);
      expect(m.dense(0, 0)).toEqual(denseOf((q, k) => k <= q && q - w <= k, nq, nk));
    }), { numRuns: 100 });
  });

  it('floor semantics on negative operands, x // 0 = 0 and x % 0 = 0', () => {
    const b = new IrBuilder();
    const q = b.v('q'), k = b.v('k');
    const d = b.op('sub', 'int', q, k); // may be negative
    const m3 = b.op('mod', 'int', d, b.int(3));
    const dv = b.op('floordiv', 'int', d, b.int(-4));
    const z = b.op('add', 'int', b.op('floordiv', 'int', d, b.int(0)), b.op('mod', 'int', d, b.int(0)));
    const mask = b.op('and', 'bool', b.op('and', 'bool', b.op('eq', 'bool', m3, b.int(1)), b.op('ge', 'bool', dv, b.int(-1))), b.op('eq', 'bool', z, b.int(0)));
    const ir = b.program(mask, { Nq: 20, Nk: 20 });
    const ref = (q: number, k: number) => { const x = q - k; return ((x % 3) + 3) % 3 === 1 && Math.floor(x / -4) >= -1; };
    expect(evalMask(ir).dense(0, 0)).toEqual(denseOf(ref, 20, 20));
  });

  it('per-head / per-layer rules, tables with clamped indices', () => {
    const b = new IrBuilder();
    b.tables.push({ name: 'span', type: 'int', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] });
    const q = b.v('q'), k = b.v('k');
    const span = b.table('span', 'int', b.v('l'), b.op('add', 'int', b.v('h'), b.int(1))); // h + 1 clamps at 2
    const mask = b.op('and', 'bool', b.op('le', 'bool', k, q), b.op('lt', 'bool', b.op('sub', 'int', q, k), span));
    const ir = b.program(mask, { Nq: 12, Nk: 12, H: 3, L: 2 });
    const m = evalMask(ir);
    for (let l = 0; l < 2; l++) for (let h = 0; h < 3; h++) {
      const s = [1, 2, 3, 4, 5, 6][l * 3 + Math.min(h + 1, 2)]!;
      expect(m.dense(l, h)).toEqual(denseOf((q, k) => k <= q && q - k < s, 12, 12));
    }
  });

  it('runtime inputs with batch, broadcast and membership with padding', () => {
    const b = new IrBuilder();
    b.inputs.push({ name: 'doc', type: 'int', shape: ['Nk'], source: { kind: 'given' } });
    b.inputs.push({ name: 'cols', type: 'int', shape: ['H', 3], source: { kind: 'given' } });
    const q = b.v('q'), k = b.v('k');
    const same = b.op('eq', 'bool', b.input('doc', 'int', q), b.input('doc', 'int', k));
    const col = b.member('cols', k, b.v('h'));
    const mask = b.op('or', 'bool', same, col);
    const ir = b.program(mask, { Nq: 6, Nk: 6, H: 2, Hkv: 2 });
    const doc = [0, 0, 1, 1, 1, 2, /* batch 1 */ 0, 1, 1, 1, 1, 1];
    const cols = [5, -1, -1, 0, -1, 3]; // B = 1: broadcast
    const m = evalMask(ir, { inputs: { doc, cols } });
    for (const bt of [0, 1]) for (const h of [0, 1]) {
      const set = new Set(cols.slice(h * 3, h * 3 + 3).filter((x) => x >= 0));
      const d = doc.slice(bt * 6, bt * 6 + 6);
      expect(m.dense(0, h, bt)).toEqual(denseOf((q, k) => d[q] === d[k] || set.has(k), 6, 6));
    }
  });

  it('random_blocks with a per-head seed', () => {
    const b = new IrBuilder();
    const seed = b.op('add', 'int', b.int(7), b.v('h'));
    const ir = b.program(b.randomBlocks(2, 4, seed, true), { Nq: 30, Nk: 26, H: 2, Hkv: 2 });
    const m = evalMask(ir);
    for (const h of [0, 1]) {
      const chosen = (qb: number) => randomBlocksChosen({ r: 2, block: 4, seed: 7 + h, causal: true }, qb, 26);
      expect(m.dense(0, h)).toEqual(denseOf((q, k) => chosen(Math.floor(q / 4)).includes(Math.floor(k / 4)), 30, 26));
    }
  });

  it('topk_blocks uses head h with its kv head', () => {
    const b = new IrBuilder();
    const ir = b.program(b.topk(2, 4, true), { Nq: 20, Nk: 20, H: 4, Hkv: 2 });
    const D = 3;
    const { q, k } = randomQkv({ Nq: 20, Nk: 20, H: 4, Hkv: 2 }, D, 1, 9);
    const m = evalMask(ir, { qk: { q, k, D, B: 1 } });
    for (let h = 0; h < 4; h++) {
      const t = topkBlocksTable({ q, qOffset: h * 20 * D, k, kOffset: (h >> 1) * 20 * D, Nq: 20, Nk: 20, D, topk: 2, block: 4, causal: true });
      expect(m.dense(0, h)).toEqual(denseOf((qq, kk) => t[Math.floor(qq / 4) * 5 + Math.floor(kk / 4)] === 1, 20, 20));
    }
  });

  it('score modifier sees s, q, k, h', () => {
    const b = new IrBuilder();
    const mask = b.op('le', 'bool', b.v('k'), b.v('q'));
    const bias = b.op('mul', 'float', b.op('tofloat', 'float', b.v('h')), b.op('tofloat', 'float', b.op('sub', 'int', b.v('k'), b.v('q'))));
    const score = b.op('add', 'float', b.v('s'), bias);
    const ir = b.program(mask, { H: 2, Hkv: 2 }, score);
    const f = evalMask(ir).score(0, 1)!;
    expect(f(0.5, 5, 2)).toBeCloseTo(0.5 - 3);
    expect(evalMask(b.program(mask)).score(0, 0)).toBeNull();
  });
});
