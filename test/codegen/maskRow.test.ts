// Row hoisting of the mask (codegen/lower/maskRow.ts): mask_at(q, k, mask_row(q)) equals
// mask(q, k) for every shipped pattern (interpreted lowered IR, random runtime inputs, two
// batch entries), and the printed C++ of both halves agrees with the unsplit mask under g++.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callFunction, type LValue } from '../../codegen/lower/eval.ts';
import type { LBuffer, LFunction } from '../../codegen/lower/ir.ts';
import { splitMaskByHead, splitMaskByRow } from '../../codegen/lower/maskRow.ts';
import { lowerPattern } from '../../codegen/lower/pattern.ts';
import { compileToIr } from '../../src/api.ts';
import { hasCompiler, hostSource, runHost } from './hostHarness.ts';

/** Buffer contents: static tables as emitted, runtime inputs random in [-2, 6). */
function bufferData(buffers: LBuffer[], seed: number): Record<string, number[]> {
  let x = seed >>> 0;
  const rnd = () => { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; return x / 2 ** 32; };
  return Object.fromEntries(buffers.map((b) => [b.name,
    b.source.kind === 'table' || b.source.kind === 'random_blocks' ? b.source.data : Array.from({ length: b.length * 2 }, () => Math.floor(rnd() * 8) - 2)]));
}

const dir = join(__dirname, '../../patterns');
const files = readdirSync(dir).filter((f) => f.endsWith('.attn'));

function lowered(file: string) {
  const { ir } = compileToIr(readFileSync(join(dir, file), 'utf8'), { file: join(dir, file), sizes: { Nq: 389, Nk: 389 }, readFile: (f) => readFileSync(f, 'utf8') });
  expect(ir).not.toBeNull();
  const p = lowerPattern(ir!, { sizes: ir!.sizes, tile: { blockM: 128, blockN: 64 } });
  const data = bufferData(p.buffers, 7);
  const bstrides = Object.fromEntries(p.buffers.filter((b) => b.batched).map((b) => [b.name, b.length]));
  const params: Record<string, number> = Object.fromEntries(Object.entries(bstrides).map(([n, v]) => [`${n}_bstride`, v]));
  return { p, sizes: ir!.sizes, data, bstrides, ctx: { params, buffers: data } };
}

describe('mask row hoisting', () => {
  it.each(files)('mask_at(mask_row(q), k) == mask(q, k) on %s', (file) => {
    const { p, sizes: s, ctx } = lowered(file);
    const split = splitMaskByRow(p.hooks.mask);
    if (!split) {
      // nothing row-only to hoist: the kernel calls the plain mask; no loads may be left behind
      expect(JSON.stringify(p.hooks.mask.body)).not.toMatch(/"kind":"member"/);
      return;
    }
    const stride = 7 * Math.ceil(s.H * s.L / 4);
    let mismatches = 0, checked = 0;
    for (let b = 0; b < 2; b++) for (let l = 0; l < s.L; l++) for (let h = 0; h < s.H; h++) for (let q = (b + h) % stride; q < s.Nq; q += stride) {
      const row = callFunction(split.row, { b, l, h, q }, ctx).outs;
      for (let k = 0; k < s.Nk; k++) {
        const args: Record<string, LValue> = { b, l, h, q, k };
        for (const f of split.fields) args[f.name] = row.get(f.name)!;
        checked++;
        if (callFunction(split.at, args, ctx).value !== callFunction(p.hooks.mask, { b, l, h, q, k }, ctx).value) mismatches++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
    expect(mismatches).toBe(0);
  });

  it('splits the patterns with row-only table loads (BigBird, documents, bucket/keep inputs)', () => {
    const split = files.filter((f) => splitMaskByRow(lowered(f).p.hooks.mask));
    for (const f of ['bigbird.attn', 'packed_documents.attn', 'scfa_hash.attn', 'scfa_qk_drop.attn', 'moa.attn']) expect(split).toContain(f);
    const { p } = lowered('bigbird.attn');
    const bb = splitMaskByRow(p.hooks.mask)!;
    const loads = (fn: LFunction) => JSON.stringify(fn.body).split('"kind":"load"').length - 1;
    expect(loads(bb.at)).toBe(0);
    expect(loads(bb.row)).toBeGreaterThan(0);
  });

  it.skipIf(!hasCompiler('g++'))('printed C++ of the split equals the printed mask (g++)', () => {
    for (const file of ['bigbird.attn', 'packed_documents.attn', 'scfa_qk_drop.attn', 'moa.attn']) {
      const { p, sizes: s, data, bstrides } = lowered(file);
      const split = splitMaskByRow(p.hooks.mask)!;
      const decl = split.fields.map((f) => `${f.type === 'float' ? 'float' : f.type === 'bool' ? 'bool' : 'int'} ${f.name};`).join(' ');
      const fieldArgs = split.fields.map((f) => f.name).join(', ');
      const main = `int main() {
  const PatternParams P = make_params();
  long bad = 0, n = 0;
  for (int b = 0; b < 2; ++b) for (int l = 0; l < ${s.L}; ++l) for (int h = 0; h < ${s.H}; ++h) for (int q = (b + h) % 11; q < ${s.Nq}; q += 11) {
    ${decl}
    mask_row_impl(P, b, l, h, q, ${fieldArgs});
    for (int k = 0; k < ${s.Nk}; ++k) { ++n; if (mask(P, b, l, h, q, k) != mask_at_impl(P, b, l, h, q, k, ${fieldArgs})) ++bad; }
  }
  printf("%ld %ld\\n", n, bad);
  return 0;
}`;
      const [n, bad] = runHost(hostSource([p.hooks.mask, split.row, split.at], p.buffers, main, data, bstrides)).trim().split(' ').map(Number);
      expect(n, file).toBeGreaterThan(5000);
      expect(bad, file).toBe(0);
    }
  });
});

// The (l, h) rule dispatch hoisted out of the element loops (splitMaskByHead):
// mask_in(mask_head(b, l, h), q, k) equals mask(q, k) for every multi-rule pattern, and every
// load of the dispatch table leaves the per-element part.
describe('mask dispatch hoisting', () => {
  const multi = files.filter((f) => lowered(f).p.hooks.mask.body.some((st) => st.kind === 'switch'));

  it('applies to the multi-rule patterns and to nothing else', () => {
    for (const f of ['dilated.attn', 's2_hybrid.attn']) expect(multi).toContain(f);
    for (const f of files) expect(splitMaskByHead(lowered(f).p.hooks.mask) !== null, f).toBe(multi.includes(f));
    // dilated at 8 heads x 12 layers: a rule table, loaded by mask_head only
    const split = splitMaskByHead(lowered('dilated.attn').p.hooks.mask)!;
    const loads = (fn: LFunction) => JSON.stringify(fn.body).split('"kind":"load"').length - 1;
    expect(loads(split.head)).toBe(1);
    expect(loads(split.in)).toBe(0);
  });

  it.each(multi)('mask_in(mask_head(l, h), q, k) == mask(q, k) on %s', (file) => {
    const { p, sizes: s, ctx } = lowered(file);
    const split = splitMaskByHead(p.hooks.mask)!;
    let mismatches = 0, checked = 0;
    for (let b = 0; b < 2; b++) for (let l = 0; l < s.L; l++) for (let h = 0; h < s.H; h++) {
      const head = callFunction(split.head, { b, l, h }, ctx).value as number;
      for (let q = (b + h + l) % 29; q < s.Nq; q += 29) for (let k = (q + h) % 7; k < s.Nk; k += 7) {
        checked++;
        if (callFunction(split.in, { head, b, l, h, q, k }, ctx).value !== callFunction(p.hooks.mask, { b, l, h, q, k }, ctx).value) mismatches++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
    expect(mismatches).toBe(0);
  });
});
