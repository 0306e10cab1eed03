// Tile classification against the element-wise reference (src/reference evalMask): sound for
// every mask (never FULL with a masked element, never EMPTY with an allowed one), exact for the
// SPEC's static built-ins and their combinations (PARTIAL only when truly mixed, exact counts),
// on random sizes (not multiples of the tile), random tile shapes and random parameters.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MaskBuilder } from './builtins.ts';
import { classifyHead, compare, tileTruth } from './oracle.ts';
import { maskTree, build } from '../codegen/randomExpr.ts';
import { IrBuilder as CodegenBuilder } from '../codegen/irBuilder.ts';

type Atom = (b: MaskBuilder) => number;

/** Random built-in masks with random parameters. */
const atom: fc.Arbitrary<{ name: string; make: Atom }> = fc.oneof(
  fc.constant({ name: 'causal', make: (b: MaskBuilder) => b.causal() }),
  fc.constant({ name: 'causal_bottom_right', make: (b: MaskBuilder) => b.causalBottomRight() }),
  fc.tuple(fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 40 }))
    .map(([l, r]) => ({ name: `window(${l},${r})`, make: (b: MaskBuilder) => b.window(l, r) })),
  fc.tuple(fc.integer({ min: 0, max: 150 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 9 }))
    .map(([l, d, r]) => ({ name: `dilated(${l},${d},${r})`, make: (b: MaskBuilder) => b.dilated(l, d, r) })),
  fc.integer({ min: 0, max: 90 }).map((n) => ({ name: `sinks(${n})`, make: (b: MaskBuilder) => b.sinks(n) })),
  fc.integer({ min: 0, max: 90 }).map((n) => ({ name: `global_queries(${n})`, make: (b: MaskBuilder) => b.globalQueries(n) })),
  fc.tuple(fc.integer({ min: 1, max: 5 }), fc.constantFrom(4, 8, 16, 24, 64))
    .map(([n, bl]) => ({ name: `local_blocks(${n},${bl})`, make: (b: MaskBuilder) => b.localBlocks(n, bl) })),
  fc.tuple(fc.integer({ min: 1, max: 6 }), fc.constantFrom(4, 8, 16, 40), fc.oneof(fc.integer({ min: 0, max: 9 }), fc.constant('h' as const)))
    .map(([s, bl, o]) => ({ name: `vstride(${s},${bl},${o})`, make: (b: MaskBuilder) => b.vstride(s, bl, o) })),
  fc.tuple(fc.integer({ min: 1, max: 5 }), fc.constantFrom(4, 8, 16, 32))
    .map(([n, bl]) => ({ name: `shard(${n},${bl})`, make: (b: MaskBuilder) => b.shard(n, bl) })),
  fc.integer({ min: 0, max: 120 }).map((n) => ({ name: `prefix_lm(${n})`, make: (b: MaskBuilder) => b.prefixLm(n) })),
  fc.tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom(8, 16, 32), fc.integer({ min: 0, max: 99 }), fc.boolean(), fc.boolean())
    .map(([r, bl, s, c, perHead]) => ({ name: `random_blocks(${r},${bl},${s},${c},${perHead})`, make: (b: MaskBuilder) => b.random(r, bl, s, c, perHead) })),
  fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 20 }))
    .map(([a, beta]) => ({ name: `moa(${a}.5,${beta / 100})`, make: (b: MaskBuilder) => b.moa(a + 0.5, beta / 100) })),
);

type Combo = { name: string; make: Atom };
const combo: fc.Arbitrary<Combo> = fc.letrec<{ c: Combo }>((tie) => ({
  c: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    atom,
    fc.tuple(fc.constantFrom('and', 'or', 'except'), tie('c'), tie('c')).map(([op, x, y]) => ({
      name: `(${x.name} ${op} ${y.name})`,
      make: (b: MaskBuilder) => {
        const p = x.make(b), q = y.make(b);
        return op === 'and' ? b.and(p, q) : op === 'or' ? b.or(p, q) : b.except(p, q);
      },
    })),
    tie('c').map((x) => ({ name: `not ${x.name}`, make: (b: MaskBuilder) => b.not(x.make(b)) })),
  ),
})).c;

const shape = fc.record({
  Nq: fc.integer({ min: 1, max: 300 }),
  Nk: fc.integer({ min: 1, max: 300 }),
  bq: fc.constantFrom(1, 3, 8, 16, 32, 64, 128),
  bk: fc.constantFrom(1, 5, 8, 16, 32, 64, 128),
  h: fc.integer({ min: 0, max: 5 }),
});

function check(make: Atom, s: { Nq: number; Nk: number; bq: number; bk: number; h: number }, exact: boolean): string[] {
  const b = new MaskBuilder();
  const ir = b.program(make(b), { Nq: s.Nq, Nk: s.Nk, H: 6 });
  const tile = { bq: s.bq, bk: s.bk };
  const cl = classifyHead(ir, ir.sizes, tile, 0, s.h);
  return compare(cl, tileTruth(ir, ir.sizes, tile, 0, s.h), exact);
}

describe('tile classification vs the element-wise reference', () => {
  it('is exact for every built-in alone', () => {
    fc.assert(fc.property(atom, shape, (a, s) => {
      expect(check(a.make, s, true), a.name).toEqual([]);
    }), { numRuns: 400 });
  });

  it('is exact for and / or / except / not combinations of built-ins', () => {
    fc.assert(fc.property(combo, shape, (c, s) => {
      expect(check(c.make, s, true), c.name).toEqual([]);
    }), { numRuns: 400 });
  });

  it('is sound for random expressions (floor division, modulo, min / max, select, floats)', () => {
    fc.assert(fc.property(maskTree, shape, (tree, s) => {
      const b = new CodegenBuilder();
      const root = build(b, tree);
      const ir = b.program(root, { sizes: { Nq: s.Nq, Nk: s.Nk, H: 6, Hkv: 6, L: 1 }, rules: [{ layers: [0], heads: [0, 1, 2, 3, 4, 5], mask: root }] });
      const tile = { bq: s.bq, bk: s.bk };
      const cl = classifyHead(ir, ir.sizes, tile, 0, s.h);
      expect(compare(cl, tileTruth(ir, ir.sizes, tile, 0, s.h), false), JSON.stringify(tree)).toEqual([]);
    }), { numRuns: 400 });
  });

  it('handles patterns from the papers exactly at awkward sizes', () => {
    const cases: Array<[string, Atom]> = [
      ['s2', (b) => b.and(b.causal(), b.or(b.localBlocks(4, 16), b.vstride(4, 16, 'h')))],
      ['bigbird', (b) => b.or(b.window(40, 40), b.sinks(16), b.globalQueries(16), b.random(2, 16, 7, false, true))],
      ['longformer', (b) => b.or(b.window(33, 33), b.sinks(7), b.globalQueries(7))],
      ['streaming', (b) => b.and(b.causal(), b.or(b.window(50), b.sinks(4)))],
      ['dilated', (b) => b.and(b.causal(), b.dilated(120, 2))],
    ];
    for (const [name, make] of cases) {
      for (const s of [{ Nq: 257, Nk: 257, bq: 64, bk: 32, h: 3 }, { Nq: 200, Nk: 311, bq: 16, bk: 64, h: 1 }]) {
        expect(check(make, s, true), name).toEqual([]);
      }
    }
  });
});
