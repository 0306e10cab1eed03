// The random-blocks overlay (src/analysis/overlay.ts): masks `rest or random_blocks(...)` and
// `rest and not random_blocks(...)` (BigBird heads, a layer's union of heads, coverage gaps)
// are classified from the rest's tile map plus the draw's hit tiles. It must give exactly what
// the general row-wise classification gives (same tile map, same allowed count and exactness),
// and both must agree with the element-wise reference, on random sizes, tiles and rests, with
// one seed or a union of several seeds.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MaskBuilder } from './builtins.ts';
import { compare, tileTruth } from './oracle.ts';
import { AnalysisContext } from '../../src/analysis/context.ts';
import { instantiate } from '../../src/analysis/fold.ts';
import { classify, classifyRowWise } from '../../src/analysis/classify.ts';
import { overlayParts } from '../../src/analysis/overlay.ts';
import { evalMask } from '../../src/reference/index.ts';
import type { IrProgram } from '../../src/ir/schema.ts';

type Make = (b: MaskBuilder) => number;

const rest: fc.Arbitrary<{ name: string; make: Make }> = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 }))
    .map(([l, r]) => ({ name: `window(${l},${r})`, make: (b: MaskBuilder) => b.window(l, r) })),
  fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 20 }))
    .map(([w, s, g]) => ({ name: `window(${w},${w}) or sinks(${s}) or global(${g})`, make: (b: MaskBuilder) => b.or(b.window(w, w), b.sinks(s), b.globalQueries(g)) })),
  fc.tuple(fc.integer({ min: 1, max: 4 }), fc.constantFrom(4, 8, 16))
    .map(([n, bl]) => ({ name: `causal and local_blocks(${n},${bl})`, make: (b: MaskBuilder) => b.and(b.causal(), b.localBlocks(n, bl)) })),
  fc.constant({ name: 'causal', make: (b: MaskBuilder) => b.causal() }),
);

const shape = fc.record({
  Nq: fc.integer({ min: 1, max: 260 }),
  Nk: fc.integer({ min: 1, max: 260 }),
  bq: fc.constantFrom(1, 3, 8, 16, 32, 64),
  bk: fc.constantFrom(1, 5, 8, 16, 32, 64),
  r: fc.integer({ min: 1, max: 4 }),
  block: fc.constantFrom(4, 8, 16, 32),
  seed: fc.integer({ min: 0, max: 50 }),
  causal: fc.boolean(),
  form: fc.constantFrom('or', 'except', 'union', 'gaps'),
});

const HEADS = 4;

/** The mask of one case: built per head (seed + h), or over all heads (union, gaps) in the analysis pool. */
function rootOf(ir: IrProgram, ctx: AnalysisContext, form: string): number {
  const rule = ir.rules[0]!;
  const heads = Array.from({ length: HEADS }, (_, h) => instantiate(ir, ir.sizes, ctx.pool, rule.mask, 0, h));
  if (form === 'or' || form === 'except') return heads[1]!;
  const p = ctx.pool;
  const u = p.op('or', 'bool', heads);
  if (form === 'union') return u;
  return p.op('and', 'bool', [p.op('le', 'bool', [p.v('k'), p.v('q')]), p.op('not', 'bool', [u])]);
}

/** Element-wise truth of the same mask (the union / gaps over the heads when asked). */
function truthOf(ir: IrProgram, s: { Nq: number; Nk: number; bq: number; bk: number }, form: string) {
  const tile = { bq: s.bq, bk: s.bk };
  if (form === 'or' || form === 'except') return tileTruth(ir, ir.sizes, tile, 0, 1);
  const ev = evalMask(ir, { sizes: ir.sizes });
  const heads = Array.from({ length: HEADS }, (_, h) => ev.element(0, h));
  const nqt = Math.ceil(s.Nq / s.bq), nkt = Math.ceil(s.Nk / s.bk);
  const allowed = new Int32Array(nqt * nkt), inRange = new Int32Array(nqt * nkt);
  let total = 0;
  for (let q = 0; q < s.Nq; q++) for (let k = 0; k < s.Nk; k++) {
    const t = Math.floor(q / s.bq) * nkt + Math.floor(k / s.bk);
    inRange[t]!++;
    const any = heads.some((f) => f(q, k));
    if (form === 'union' ? any : k <= q && !any) { allowed[t]!++; total++; }
  }
  return { nqt, nkt, allowed, inRange, total };
}

describe('random-blocks overlay', () => {
  it('equals the row-wise classification and the reference (one seed, unions, gaps)', () => {
    let overlaid = 0;
    fc.assert(fc.property(rest, shape, (r, s) => {
      const b = new MaskBuilder();
      const rand = b.random(s.r, s.block, s.seed, s.causal, true);
      const base = r.make(b);
      const mask = s.form === 'except' ? b.except(base, rand) : b.or(base, rand);
      const ir = b.program(mask, { Nq: s.Nq, Nk: s.Nk, H: HEADS });
      const tile = { bq: s.bq, bk: s.bk };
      const fast = new AnalysisContext(s.Nq, s.Nk, tile), slow = new AnalysisContext(s.Nq, s.Nk, tile);
      const root = rootOf(ir, fast, s.form);
      if (overlayParts(fast, root)) overlaid++;
      const a = classify(fast, root), g = classifyRowWise(slow, rootOf(ir, slow, s.form));
      const name = `${s.form} ${r.name} ${JSON.stringify(s)}`;
      expect({ ...a.map }, name).toEqual({ ...g.map });
      expect([a.allowed, a.allowedExact, a.tiles], name).toEqual([g.allowed, g.allowedExact, g.tiles]);
      expect(compare(a, truthOf(ir, s, s.form), true), name).toEqual([]);
    }), { numRuns: 300 });
    // the fast path is what was tested (the pool may fold a case into another shape)
    expect(overlaid).toBeGreaterThan(200);
  });

  it('recognises BigBird heads, their union and the coverage gaps', () => {
    const b = new MaskBuilder();
    const mask = b.or(b.window(64, 64), b.sinks(16), b.globalQueries(16), b.random(3, 16, 0, false, true));
    const ir = b.program(mask, { Nq: 512, Nk: 512, H: HEADS });
    const ctx = new AnalysisContext(512, 512, { bq: 32, bk: 32 });
    for (const form of ['or', 'union', 'gaps']) {
      const parts = overlayParts(ctx, rootOf(ir, ctx, form));
      expect(parts?.op, form).toBe(form === 'gaps' ? 'and' : 'or');
    }
    // a rest that itself holds a random leaf is not an overlay
    const two = b.or(b.random(2, 16, 1), b.random(2, 32, 1));
    const ir2 = b.program(two, { Nq: 512, Nk: 512, H: 1 });
    expect(overlayParts(ctx, instantiate(ir2, ir2.sizes, ctx.pool, ir2.rules[0]!.mask, 0, 0))).toBeNull();
  });
});
