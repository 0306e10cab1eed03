// Every built-in of grammar/SPEC.md, compiled from a tiny .attn source through the front end
// and evaluated by evalMask, against an independent hand-written formula over random sizes
// and arguments (negative operands included, Nq != Nk included).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileToIr } from '../../src/api.ts';
import type { IrProgram } from '../../src/ir/schema.ts';
import { evalMask } from '../../src/reference/mask.ts';
import { randomQkv } from '../../src/reference/inputs.ts';
import { specChosen } from './specRandom.ts';

// independent floor semantics (not the implementation under test)
const fdiv = (a: number, b: number) => (b === 0 ? 0 : Math.floor(a / b));
const fmod = (a: number, b: number) => (b === 0 ? 0 : ((a % b) + b) % b);

interface Case { nq: number; nk: number; H: number }
const sizesArb = fc.record({ nq: fc.integer({ min: 1, max: 70 }), nk: fc.integer({ min: 1, max: 70 }), H: fc.integer({ min: 1, max: 3 }) });
const small = fc.integer({ min: -20, max: 40 });
const positive = fc.integer({ min: 1, max: 24 });

function compile(src: string): IrProgram {
  const { ir, diagnostics } = compileToIr(src, { file: 'builtin.attn' });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  expect(errors.map((d) => d.message), src).toEqual([]);
  expect(ir, src).toBeTruthy();
  return ir!;
}

function header(c: Case): string {
  return `sizes Nq = ${c.nq}, Nk = ${c.nk}, H = ${c.H}, Hkv = ${c.H}, L = 1\n`;
}

/** Compare the mask of every head with `expected(h, q, k)`; report the first mismatch. */
function checkMask(ir: IrProgram, c: Case, expected: (h: number, q: number, k: number) => boolean, opts = {}) {
  const m = evalMask(ir, opts);
  for (let h = 0; h < c.H; h++) {
    const dense = m.dense(0, h);
    for (let q = 0; q < c.nq; q++) for (let k = 0; k < c.nk; k++) {
      const want = expected(h, q, k) ? 1 : 0;
      if (dense[q * c.nk + k] !== want) expect({ h, q, k, got: dense[q * c.nk + k] }).toEqual({ h, q, k, got: want });
    }
  }
}

const lit = (x: number) => (x < 0 ? `-${-x}` : `${x}`);
const flit = (x: number) => (x < 0 ? `-${(-x).toFixed(3)}` : x.toFixed(3));
const RUNS = { numRuns: 40 };

describe('built-in masks against independent formulas', () => {
  it('causal, causal_bottom_right', () => {
    fc.assert(fc.property(sizesArb, (c) => {
      checkMask(compile(header(c) + 'mask = causal\n'), c, (_h, q, k) => k <= q);
      checkMask(compile(header(c) + 'mask = causal_bottom_right\n'), c, (_h, q, k) => k <= q + (c.nk - c.nq));
    }), RUNS);
  });
  it('window(left, right)', () => {
    fc.assert(fc.property(sizesArb, small, small, (c, left, right) => {
      checkMask(compile(header(c) + `mask = window(${lit(left)}, right = ${lit(right)})\n`), c, (_h, q, k) => q - left <= k && k <= q + right);
      checkMask(compile(header(c) + `mask = window(${lit(left)})\n`), c, (_h, q, k) => q - left <= k && k <= q);
    }), RUNS);
  });
  it('dilated(left, dilation, right)', () => {
    fc.assert(fc.property(sizesArb, small, positive, small, (c, left, dil, right) => {
      checkMask(compile(header(c) + `mask = dilated(${lit(left)}, ${dil}, right = ${lit(right)})\n`), c, (_h, q, k) => {
        const r = q - k;
        return -right <= r && r <= left && fmod(r, dil) === 0;
      });
    }), RUNS);
  });
  it('sinks, global_queries, prefix_lm', () => {
    fc.assert(fc.property(sizesArb, small, (c, n) => {
      checkMask(compile(header(c) + `mask = sinks(${lit(n)})\n`), c, (_h, _q, k) => k < n);
      checkMask(compile(header(c) + `mask = global_queries(${lit(n)})\n`), c, (_h, q) => q < n);
      checkMask(compile(header(c) + `mask = prefix_lm(${lit(n)})\n`), c, (_h, q, k) => k <= q || k < n);
    }), RUNS);
  });
  it('local_blocks(n, block)', () => {
    fc.assert(fc.property(sizesArb, small, positive, (c, n, block) => {
      checkMask(compile(header(c) + `mask = local_blocks(${lit(n)}, block = ${block})\n`), c, (_h, q, k) => {
        const d = fdiv(q, block) - fdiv(k, block);
        return 0 <= d && d < n;
      });
    }), RUNS);
  });
  it('vstride(stride, block, offset) with a per-head offset', () => {
    fc.assert(fc.property(sizesArb, positive, positive, small, (c, stride, block, off) => {
      checkMask(compile(header(c) + `mask = vstride(${stride}, block = ${block}, offset = h + ${lit(off)})\n`.replace('+ -', '- ')), c,
        (h, _q, k) => fmod(fdiv(k, block) + h + off + 1, stride) === 0);
    }), RUNS);
  });
  it('shard(n, block)', () => {
    fc.assert(fc.property(sizesArb, positive, positive, (c, n, block) => {
      checkMask(compile(header(c) + `mask = shard(${n}, block = ${block})\n`), c, (h, _q, k) => fmod(fdiv(k, block), n) === fmod(h, n));
    }), RUNS);
  });
  it('random_blocks(r, block, seed, causal) against the SPEC pseudo-code', () => {
    fc.assert(fc.property(sizesArb, fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 0, max: 1000 }), fc.boolean(),
      (c, r, block, seed, causal) => {
        const ir = compile(header(c) + `mask = random_blocks(${r}, block = ${block}, seed = ${seed} + 3 * h, causal = ${causal})\n`);
        checkMask(ir, c, (h, q, k) => specChosen(r, block, seed + 3 * h, causal, fdiv(q, block), c.nk).includes(fdiv(k, block)));
      }), RUNS);
  });
  it('moa(alpha, beta)', () => {
    fc.assert(fc.property(sizesArb, fc.double({ min: -5, max: 40, noNaN: true }), fc.double({ min: -0.5, max: 1, noNaN: true }), (c, a, b) => {
      const alpha = Number(a.toFixed(3)), beta = Number(b.toFixed(3));
      checkMask(compile(header(c) + `mask = moa(${flit(alpha)}, ${flit(beta)})\n`), c, (_h, q, k) => {
        const span = Math.floor(alpha + beta * c.nk);
        return k <= q && q - k < span;
      });
    }), RUNS);
  });
  it('topk_blocks(k, block, causal) against a direct pooled-score selection', () => {
    fc.assert(fc.property(sizesArb, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 16 }), fc.boolean(), fc.integer(), (c, top, block, causal, seed) => {
      const D = 4;
      const { q, k } = randomQkv({ Nq: c.nq, Nk: c.nk, H: c.H, Hkv: c.H }, D, 1, seed);
      const ir = compile(header(c) + `mask = topk_blocks(${top}, block = ${block}, causal = ${causal})\n`);
      const mean = (x: Float64Array, h: number, n: number, b: number) => {
        const lo = b * block, hi = Math.min(n, lo + block);
        return Array.from({ length: D }, (_, d) => {
          let s = 0;
          for (let i = lo; i < hi; i++) s += x[(h * n + i) * D + d]!;
          return s / (hi - lo);
        });
      };
      const nkb = Math.ceil(c.nk / block);
      const chosen = (h: number, qb: number) => {
        const mq = mean(q, h, c.nq, qb);
        const cands = Array.from({ length: causal ? Math.min(qb + 1, nkb) : nkb }, (_, kb) => ({ kb, s: mean(k, h, c.nk, kb).reduce((a, x, d) => a + x * mq[d]!, 0) }));
        cands.sort((x, y) => (y.s !== x.s ? y.s - x.s : x.kb - y.kb));
        return new Set(cands.slice(0, top).map((x) => x.kb));
      };
      checkMask(ir, c, (h, qq, kk) => chosen(h, fdiv(qq, block)).has(fdiv(kk, block)), { qk: { q, k, D, B: 1 } });
    }), { numRuns: 25 });
  });
  it('membership `in` ignores negative padding; hkv under GQA', () => {
    const c = { nq: 12, nk: 12, H: 4 };
    const ir = compile('sizes Nq = 12, Nk = 12, H = 4, Hkv = 2, L = 1\ninput cols: int[Hkv, 3]\nmask = k in cols[hkv] or (q - k) in cols[hkv]\n');
    const cols = [0, -1, 5, 2, 2, -3];
    checkMask(ir, c, (h, q, k) => {
      const set = cols.slice((h >> 1) * 3, (h >> 1) * 3 + 3).filter((x) => x >= 0);
      return set.includes(k) || set.includes(q - k);
    }, { inputs: { cols } });
  });
  it('if/then/else, except, not, and the set operators', () => {
    fc.assert(fc.property(sizesArb, small, positive, (c, w, m) => {
      const ir = compile(header(c) + `mask = if h % 2 == 0 then causal except window(${lit(w)}) else not causal or (q - k) % ${m} == 0\n`);
      checkMask(ir, c, (h, q, k) => (h % 2 === 0 ? k <= q && !(q - w <= k && k <= q) : !(k <= q) || fmod(q - k, m) === 0));
    }), RUNS);
  });
});

describe('built-in functions and operators (through the score modifier)', () => {
  const scoreOf = (c: Case, expr: string) => {
    const ir = compile(header(c) + `mask = causal\nscore = ${expr}\n`);
    const m = evalMask(ir);
    return (h: number, s: number, q: number, k: number) => m.score(0, h)!(s, q, k);
  };
  const qkArb = fc.tuple(fc.integer({ min: 0, max: 69 }), fc.integer({ min: 0, max: 69 }));
  it('integer operators with floor semantics, x // 0 = x % 0 = 0', () => {
    fc.assert(fc.property(sizesArb, fc.integer({ min: -7, max: 7 }), qkArb, (c, d, [q, k]) => {
      // the divisor is not a literal: a literal 0 is rejected at compile time
      const dv = `(k - k + ${lit(d)})`;
      const f = scoreOf(c, `(q - k) // ${dv} * 1000 + (q - k) % ${dv} + min(q, k) * 7 - max(q - k, ${lit(d)}) + abs(k - q) + clamp(q - k, -3, 5)`);
      const x = q - k;
      expect(f(0, 0, q, k)).toBe(fdiv(x, d) * 1000 + fmod(x, d) + Math.min(q, k) * 7 - Math.max(x, d) + Math.abs(x) + Math.min(Math.max(x, -3), 5));
    }), { numRuns: 200 });
  });
  it('float functions: floor, ceil, round (half away from zero), tanh, exp, log, sqrt, softcap, alibi_slope, /', () => {
    fc.assert(fc.property(sizesArb, fc.double({ min: -50, max: 50, noNaN: true }), qkArb, (c, s, [q, k]) => {
      const h = c.H - 1;
      const f = scoreOf(c, 'floor(s) + ceil(s / 2.0) + round(s * 0.5) + tanh(s) + exp(s / 50.0) + log(abs(s) + 1.0) + sqrt(abs(s)) + softcap(s, 7.5) + alibi_slope(h) * (k - q) + (q - k) / 3');
      const round = (x: number) => Math.sign(x) * Math.floor(Math.abs(x) + 0.5);
      const want = Math.floor(s) + Math.ceil(s / 2) + round(s * 0.5) + Math.tanh(s) + Math.exp(s / 50) + Math.log(Math.abs(s) + 1) + Math.sqrt(Math.abs(s))
        + 7.5 * Math.tanh(s / 7.5) + Math.pow(2, (-8 * (h + 1)) / c.H) * (k - q) + (q - k) / 3;
      expect(f(h, s, q, k)).toBeCloseTo(want, 9);
    }), { numRuns: 200 });
  });
});
