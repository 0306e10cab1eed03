// binary16 conversion used for f16 uploads and read-back.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHalfBits, toHalfBits } from '../../src/webgpu/f16.ts';

describe('f16 conversion', () => {
  it('round-trips every non-NaN half exactly', () => {
    for (let h = 0; h < 0x10000; h++) {
      const x = fromHalfBits(h);
      if (Number.isNaN(x)) {
        expect(Number.isNaN(fromHalfBits(toHalfBits(x)))).toBe(true);
        continue;
      }
      expect(toHalfBits(x)).toBe(h);
    }
  });

  it('rounds to the nearest half, ties to even', () => {
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00); // tie, even stays
    expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie, rounds up to even
    expect(toHalfBits(65520)).toBe(0x7c00); // overflows to +inf
    expect(toHalfBits(2 ** -25)).toBe(0); // tie at the smallest subnormal, to even (0)
    expect(toHalfBits(-0)).toBe(0x8000);
  });

  it('picks the nearer of the two neighbouring halves for any float32 in range', () => {
    fc.assert(
      fc.property(fc.float({ min: -65000, max: 65000, noNaN: true }), (x) => {
        const h = toHalfBits(x);
        const y = fromHalfBits(h);
        const up = fromHalfBits(x >= 0 ? h + 1 : h - 1 === 0x7fff ? 0 : h + 1);
        const down = fromHalfBits(h === 0 || h === 0x8000 ? h : h - 1);
        const err = Math.abs(y - x);
        return err <= Math.abs(up - x) && err <= Math.abs(down - x);
      }),
    );
  });
});
