// The float64 attention oracle on hand-checkable cases.
import { describe, expect, it } from 'vitest';
import { attentionBackwardReference, attentionReference } from '../../src/reference/attention.ts';
import { randomQkv } from '../../src/reference/inputs.ts';
import { IrBuilder } from './irBuilder.ts';

function causalIr(sizes: { Nq: number; Nk: number; H: number; Hkv: number }, withAlibi = false) {
  const b = new IrBuilder();
  const mask = b.op('le', 'bool', b.v('k'), b.v('q'));
  let score: number | null = null;
  if (withAlibi) score = b.op('add', 'float', b.v('s'), b.op('tofloat', 'float', b.op('sub', 'int', b.v('k'), b.v('q'))));
  return b.program(mask, { ...sizes, L: 1 }, score);
}

/** Straightforward dense softmax attention for one (b, h), used as a second opinion. */
function naive(q: number[][], k: number[][], v: number[][], allow: (i: number, j: number) => boolean, score: (s: number, i: number, j: number) => number, scale: number) {
  return q.map((qi, i) => {
    const w = k.map((kj, j) => (allow(i, j) ? Math.exp(score(scale * qi.reduce((a, x, d) => a + x * kj[d]!, 0), i, j)) : 0));
    const z = w.reduce((a, b) => a + b, 0);
    return { out: v[0]!.map((_, d) => (z === 0 ? 0 : w.reduce((a, wj, j) => a + wj * v[j]![d]!, 0) / z)), lse: Math.log(z) };
  });
}

describe('attentionReference', () => {
  it('one allowed key gives out = v of that key, lse = its score', () => {
    const sizes = { Nq: 3, Nk: 3, H: 1, Hkv: 1 };
    const q = new Float64Array([1, 0, 0, 1, 1, 1]);
    const k = new Float64Array([2, 0, 0, 3, 1, 1]);
    const v = new Float64Array([10, 20, 30, 40, 50, 60]);
    const { out, lse } = attentionReference({ q, k, v, B: 1, ...sizes, D: 2, scale: 1, ir: causalIr(sizes), layer: 0 });
    expect(Array.from(out.subarray(0, 2))).toEqual([10, 20]);
    expect(lse[0]).toBeCloseTo(2);
  });

  it('uniform scores give the mean of the allowed values', () => {
    const sizes = { Nq: 4, Nk: 4, H: 1, Hkv: 1 };
    const q = new Float64Array(8), k = new Float64Array(8);
    const v = new Float64Array([1, 2, 3, 4, 5, 6, 7, 8]);
    const { out, lse } = attentionReference({ q, k, v, B: 1, ...sizes, D: 2, ir: causalIr(sizes), layer: 0 });
    expect(Array.from(out.subarray(6, 8))).toEqual([4, 5]);
    expect(lse[3]).toBeCloseTo(Math.log(4));
  });

  it('an empty row gives 0 and -inf', () => {
    const b = new IrBuilder();
    const ir = b.program(b.op('lt', 'bool', b.v('k'), b.v('q')), { Nq: 2, Nk: 2 }); // row 0 is empty
    const { out, lse } = attentionReference({ q: new Float64Array([1, 1]), k: new Float64Array([1, 2]), v: new Float64Array([3, 4]), B: 1, H: 1, Hkv: 1, Nq: 2, Nk: 2, D: 1, ir, layer: 0 });
    expect(out[0]).toBe(0);
    expect(lse[0]).toBe(-Infinity);
    expect(out[1]).toBe(3);
  });

  it('GQA and a score modifier agree with a naive implementation', () => {
    const sizes = { Nq: 7, Nk: 9, H: 4, Hkv: 2 };
    const D = 5, B = 2;
    const { q, k, v } = randomQkv(sizes, D, B, 42);
    for (const alibi of [false, true]) {
      const ir = causalIr(sizes, alibi);
      const res = attentionReference({ q, k, v, B, ...sizes, D, ir, layer: 0 });
      const scale = 1 / Math.sqrt(D);
      for (let b = 0; b < B; b++) for (let h = 0; h < 4; h++) {
        const hkv = h >> 1;
        const rows = (x: Float64Array, heads: number, hh: number, n: number) =>
          Array.from({ length: n }, (_, i) => Array.from(x.subarray(((b * heads + hh) * n + i) * D, ((b * heads + hh) * n + i + 1) * D)));
        const expected = naive(rows(q, 4, h, 7), rows(k, 2, hkv, 9), rows(v, 2, hkv, 9), (i, j) => j <= i, (s, i, j) => (alibi ? s + (j - i) : s), scale);
        expected.forEach((e, i) => {
          const row = (b * 4 + h) * 7 + i;
          e.out.forEach((x, d) => expect(res.out[row * D + d]).toBeCloseTo(x, 12));
          expect(res.lse[row]).toBeCloseTo(e.lse, 12);
        });
      }
    }
  });
});

describe('attentionBackwardReference', () => {
  // L = sum(out * dout); its gradients by central differences of attentionReference
  it('matches finite differences of the forward (causal + ALiBi-like bias, GQA 2/1)', () => {
    const sizes = { Nq: 5, Nk: 5, H: 2, Hkv: 1 };
    const D = 3;
    const { q, k, v } = randomQkv(sizes, D, 1, 3);
    const ir = causalIr(sizes, true);
    const dout = randomQkv({ ...sizes, Hkv: sizes.H }, D, 1, 4).q;
    const base = { B: 1, ...sizes, D, ir, layer: 0 };
    const loss = (qq: Float64Array, kk: Float64Array, vv: Float64Array) => {
      const { out } = attentionReference({ ...base, q: qq, k: kk, v: vv });
      return out.reduce((a, x, i) => a + x * dout[i]!, 0);
    };
    const g = attentionBackwardReference({ ...base, q, k, v }, dout);
    const e = 1e-6;
    for (const [name, x, grad] of [['q', q, g.dq], ['k', k, g.dk], ['v', v, g.dv]] as const) {
      for (let i = 0; i < x.length; i++) {
        const plus = Float64Array.from(x), minus = Float64Array.from(x);
        plus[i] += e;
        minus[i] -= e;
        const args = (y: Float64Array) => (name === 'q' ? [y, k, v] : name === 'k' ? [q, y, v] : [q, k, y]) as [Float64Array, Float64Array, Float64Array];
        const fd = (loss(...args(plus)) - loss(...args(minus))) / (2 * e);
        expect(grad[i], `d${name}[${i}]`).toBeCloseTo(fd, 6);
      }
    }
  });
});
