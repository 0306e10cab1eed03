// The lsh projection: exactly float32-representable entries, determinism, and the bucket as
// an argmax over [xR, -xR] against a direct computation.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lshBuckets, lshEntry, lshRotation } from '../../src/reference/lsh.ts';
import { Rng, gaussian } from '../../src/reference/inputs.ts';

describe('lsh', () => {
  it('entries are exact float32 values in [-2, 2] with mean ~0 and std ~0.577', () => {
    const r = lshRotation(3, 64, 64);
    let sum = 0, sq = 0;
    for (const x of r) {
      expect(Math.fround(x)).toBe(x);
      expect(Math.abs(x)).toBeLessThanOrEqual(2);
      sum += x; sq += x * x;
    }
    const n = r.length;
    expect(Math.abs(sum / n)).toBeLessThan(0.06);
    expect(Math.sqrt(sq / n)).toBeGreaterThan(0.5);
    expect(Math.sqrt(sq / n)).toBeLessThan(0.65);
  });

  it('golden values pin the hash (the GPU helpers must reproduce these)', () => {
    expect([lshEntry(1, 0, 0), lshEntry(1, 3, 5), lshEntry(-7, 100, 31)].map((x) => x * 65536)).toEqual([4720, -10796, 73461]);
  });

  it('bucket = argmax of [xR, -xR], first maximum wins', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 8 }), fc.integer(), (D, half, seed) => {
      const x = gaussian(5 * D, new Rng(seed));
      const got = lshBuckets(x, 5, D, 2 * half, seed);
      for (let row = 0; row < 5; row++) {
        const proj = Array.from({ length: half }, (_, j) => {
          let s = 0;
          for (let d = 0; d < D; d++) s += x[row * D + d]! * lshEntry(seed, d, j);
          return s;
        });
        const all = [...proj, ...proj.map((p) => -p)];
        expect(got[row]).toBe(all.indexOf(Math.max(...all)));
      }
    }), { numRuns: 200 });
  });
});
