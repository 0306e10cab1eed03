// random_blocks against a separate, literal transcription of the SPEC's pseudo-code
// (test/reference/specRandom.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { randomBlocksChosen, randomBlocksTable } from '../../src/reference/random.ts';
import { specChosen } from './specRandom.ts';

describe('random_blocks', () => {
  it('matches the SPEC pseudo-code for random parameters', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 12 }), fc.integer({ min: 1, max: 128 }), fc.integer({ min: -1000, max: 1 << 30 }),
      fc.boolean(), fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 0, max: 200 }),
      (r, block, seed, causal, nk, qb) => {
        expect(randomBlocksChosen({ r, block, seed, causal }, qb, nk)).toEqual(specChosen(r, block, seed, causal, qb, nk));
      }), { numRuns: 1000 });
  });
  it('chooses min(r, candidates) distinct blocks per query block, within the candidates', () => {
    const spec = { r: 3, block: 16, seed: 5, causal: true };
    const t = randomBlocksTable(spec, 200, 180);
    const nkb = Math.ceil(180 / 16);
    for (let qb = 0; qb < Math.ceil(200 / 16); qb++) {
      const row = Array.from(t.subarray(qb * nkb, (qb + 1) * nkb));
      expect(row.reduce((a, b) => a + b, 0)).toBe(Math.min(3, Math.min(qb, nkb - 1) + 1));
      row.forEach((x, kb) => { if (x) expect(kb).toBeLessThanOrEqual(qb); });
    }
  });
  it('is deterministic and seed-dependent', () => {
    const a = randomBlocksTable({ r: 2, block: 8, seed: 1, causal: false }, 256, 256);
    const b = randomBlocksTable({ r: 2, block: 8, seed: 1, causal: false }, 256, 256);
    const c = randomBlocksTable({ r: 2, block: 8, seed: 2, causal: false }, 256, 256);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });
});
