// random_blocks against a separate, literal transcription of the SPEC's pseudo-code
// (BigInt u32 arithmetic and a full pool array, unlike the implementation under test).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { randomBlocksChosen, randomBlocksTable } from '../../src/reference/random.ts';

const M32 = (1n << 32n) - 1n;
const u32 = (x: bigint) => x & M32;
function fmix(x: bigint): bigint {
  x = u32(x); x ^= x >> 16n; x = u32(x * 0x85ebca6bn); x ^= x >> 13n; x = u32(x * 0xc2b2ae35n); x ^= x >> 16n;
  return x;
}
function xs(x: bigint): bigint {
  x ^= u32(x << 13n); x ^= x >> 17n; x ^= u32(x << 5n);
  return x;
}
function specChosen(r: number, block: number, seed: number, causal: boolean, qb: number, nk: number): number[] {
  const nkb = Math.ceil(nk / block);
  const n = causal ? Math.min(qb, nkb - 1) + 1 : nkb;
  const pool = Array.from({ length: n }, (_, i) => i);
  let state = fmix(u32(BigInt(seed) * 0x9e3779b1n + BigInt(qb) * 0x85ebca77n + 0x165667b1n));
  if (state === 0n) state = 0x6d2b79f5n;
  for (let i = 0; i < Math.min(r, n); i++) {
    state = xs(state);
    const j = i + Number(state % BigInt(n - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, Math.min(r, n));
}

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
