// The float64 oracle of the WebGPU tests, checked on cases worked out by hand.
import { describe, expect, it } from 'vitest';
import { referenceAttention, type AttentionProblem } from './helpers/reference.ts';

const problem = (over: Partial<AttentionProblem>): AttentionProblem => ({
  batch: 1,
  heads: 1,
  kvHeads: 1,
  qLen: 1,
  kLen: 2,
  headDim: 1,
  scale: 1,
  layer: 0,
  ...over,
});

describe('float64 attention reference', () => {
  it('is softmax(q k * scale) v with LSE in natural log', () => {
    const { o, lse } = referenceAttention(problem({}), [1], [0, Math.log(3)], [10, 20], () => true);
    expect(o[0]).toBeCloseTo((1 * 10 + 3 * 20) / 4, 12);
    expect(lse[0]).toBeCloseTo(Math.log(4), 12);
  });

  it('gives O = 0 and LSE = -inf to a row with no allowed key', () => {
    const { o, lse } = referenceAttention(problem({ qLen: 2 }), [1, 1], [0, 1], [5, 7], (_b, _l, _h, q) => q === 1);
    expect(o[0]).toBe(0);
    expect(lse[0]).toBe(-Infinity);
    expect(lse[1]).toBeCloseTo(Math.log(1 + Math.E), 12);
  });

  it('maps query heads to KV heads in groups (GQA) and applies score_mod', () => {
    // Heads 0, 1 -> KV head 0 (values 1, 1); heads 2, 3 -> KV head 1 (values 2, 2).
    const p = problem({ heads: 4, kvHeads: 2 });
    const { o, lse } = referenceAttention(p, [1, 1, 1, 1], [0, 0, 0, 0], [1, 1, 2, 2], () => true, (s, _b, _l, h, _q, k) => s + h * k);
    expect(Array.from(o)).toEqual([1, 1, 2, 2]);
    expect(lse[3]).toBeCloseTo(Math.log(1 + Math.exp(3)), 12);
  });
});
