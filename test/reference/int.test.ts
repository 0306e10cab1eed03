// Integer semantics of the language against BigInt arithmetic (an independent definition).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { floorDiv, floorMod, roundHalfAway } from '../../src/reference/int.ts';

function bigFloorDiv(a: number, b: number): number {
  if (b === 0) return 0;
  const A = BigInt(a), B = BigInt(b);
  let d = A / B; // truncates
  if ((A % B !== 0n) && ((A < 0n) !== (B < 0n))) d -= 1n;
  return Number(d);
}

describe('integer semantics', () => {
  it('floor division and modulo match BigInt floor semantics, x // 0 = x % 0 = 0', () => {
    const int = fc.oneof(fc.integer({ min: -50, max: 50 }), fc.integer(), fc.maxSafeInteger());
    fc.assert(fc.property(int, fc.oneof(fc.integer({ min: -9, max: 9 }), fc.integer()), (a, b) => {
      expect(floorDiv(a, b)).toBe(bigFloorDiv(a, b));
      const m = floorMod(a, b);
      if (b === 0) expect(m).toBe(0);
      else {
        expect(Number(BigInt(a) - BigInt(b) * BigInt(bigFloorDiv(a, b)))).toBe(m);
        expect(m === 0 || Math.sign(m) === Math.sign(b)).toBe(true);
      }
    }), { numRuns: 2000 });
  });
  it('round is half away from zero', () => {
    expect([2.5, -2.5, 0.5, -0.5, 1.49, -1.51, 0].map(roundHalfAway)).toEqual([3, -3, 1, -1, 1, -2, 0]);
  });
});
