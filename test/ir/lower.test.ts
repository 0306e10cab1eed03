// Lowering to IR: built-ins follow SPEC's formulas exactly, lets and params are inlined,
// nodes are hash-consed, folded and normalised, and the result satisfies the zod schema.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileToIr } from '../../src/api.ts';
import { IrProgram, type IrNode } from '../../src/ir/schema.ts';
import { irFloorDiv as fdiv, irFloorMod as fmod } from '../../src/ir/builder.ts';
import { evalMaskAt, evalNode } from './evalIr.ts';
import { memoryFiles } from '../semantics/harness.ts';

function ir(source: string, opts: Parameters<typeof compileToIr>[1] = {}): IrProgram {
  const r = compileToIr(source, opts);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (!r.ir || errors.length) throw new Error(errors.map((d) => `${d.code} ${d.message}`).join('\n'));
  return r.ir;
}

const N = 300;
const sizes = `sizes Nq = ${N}, Nk = ${N + 37}, H = 8, Hkv = 2, L = 1\n`;
// Each built-in against SPEC's formula, written out in plain JavaScript.
const formulas: Array<[string, (q: number, k: number, h: number) => boolean]> = [
  ['causal', (q, k) => k <= q],
  ['causal_bottom_right', (q, k) => k <= q + 37],
  ['window(17, 3)', (q, k) => q - 17 <= k && k <= q + 3],
  ['dilated(40, 3, 2)', (q, k) => { const r = q - k; return -2 <= r && r <= 40 && fmod(r, 3) === 0; }],
  ['sinks(5)', (_q, k) => k < 5],
  ['global_queries(7)', (q) => q < 7],
  ['local_blocks(2, block = 16)', (q, k) => { const d = fdiv(q, 16) - fdiv(k, 16); return 0 <= d && d < 2; }],
  ['vstride(3, block = 8, offset = h)', (_q, k, h) => fmod(fdiv(k, 8) + h + 1, 3) === 0],
  ['shard(4, block = 32)', (_q, k, h) => fmod(fdiv(k, 32), 4) === fmod(h, 4)],
  ['prefix_lm(9)', (q, k) => k <= q || k < 9],
  ['moa(3.0, 0.05)', (q, k) => k <= q && q - k < Math.floor(3 + 0.05 * (N + 37))],
  ['k <= q except window(4)', (q, k) => k <= q && !(q - 4 <= k && k <= q)],
  ['(q - k) % 5 == 0 or hkv == 1', (q, k, h) => fmod(q - k, 5) === 0 || fdiv(h, 4) === 1],
  ['if q < 100 then causal else sinks(3)', (q, k) => (q < 100 ? k <= q : k < 3)],
];

describe('built-ins desugar to SPEC formulas', () => {
  it.each(formulas)('%s', (src, f) => {
    const p = ir(`${sizes}mask = ${src}`);
    fc.assert(fc.property(fc.integer({ min: 0, max: N - 1 }), fc.integer({ min: 0, max: N + 36 }), fc.integer({ min: 0, max: 7 }), (q, k, h) => {
      expect(evalMaskAt(p, { q, k, h, l: 0 })).toBe(f(q, k, h));
    }), { numRuns: 300 });
  });

  it('numeric built-ins', () => {
    const p = ir(`${sizes}mask = causal\nscore = softcap(s, 30.0) + alibi_slope(h) + clamp(s, -1.0, 2.0) + abs(-3) + round(-2.5) + min(s, 1)`);
    for (const [s, h] of [[0.7, 0], [-5.2, 3], [44.0, 7]] as const) {
      const want = 30 * Math.tanh(s / 30) + 2 ** (-8 * (h + 1) / 8) + Math.min(Math.max(s, -1), 2) + 3 - 3 + Math.min(s, 1);
      expect(evalNode(p, p.score!, { q: 0, k: 0, h, l: 0, s }) as number).toBeCloseTo(want, 12);
    }
  });

  it('random_blocks and topk_blocks are their own nodes', () => {
    const p = ir('mask = causal and random_blocks(3, block = 32, seed = 7 + h, causal = true) or topk_blocks(4)');
    expect(p.nodes.find((n) => n.kind === 'random_blocks')).toMatchObject({ r: 3, block: 32, causal: true });
    expect(p.nodes.find((n) => n.kind === 'topk_blocks')).toEqual({ kind: 'topk_blocks', k: 4, block: 64, causal: true });
  });
});

describe('IR shape', () => {
  it('substitutes params and inlines lets; sizes stay symbolic', () => {
    const p = ir('param w = 100\nlet near = q - k < w\nmask = near and k < Nk // 2', { set: { w: 7 } });
    expect(p.params).toEqual([{ name: 'w', type: 'int', value: 7 }]);
    expect(p.nodes.some((n) => n.kind === 'int' && n.value === 7)).toBe(true);
    expect(p.nodes.some((n) => n.kind === 'size' && n.name === 'Nk')).toBe(true);
    expect(p.nodes.some((n) => n.kind === 'int' && n.value === 100)).toBe(false);
  });

  it('hash-conses identical subexpressions', () => {
    const p = ir('mask = (q - k < 8 and k <= q) or (q - k < 8 and k >= 0)');
    const keys = p.nodes.map((n) => JSON.stringify(n));
    expect(new Set(keys).size).toBe(keys.length);
    expect(p.nodes.filter((n) => n.kind === 'op' && n.op === 'sub').length).toBe(1);
  });

  it('folds constants and normalises', () => {
    const p = ir('param a = 3\nmask = k < a * 4 + 1 and q > k and not not (k >= 0) and true');
    const ops = p.nodes.filter((n): n is Extract<IrNode, { kind: 'op' }> => n.kind === 'op');
    expect(ops.some((n) => n.op === 'gt' || n.op === 'ge' || n.op === 'not' || n.op === 'mul')).toBe(false);
    expect(p.nodes.some((n) => n.kind === 'int' && n.value === 13)).toBe(true);
    for (const n of ops) if (['add', 'mul', 'and', 'or', 'eq', 'ne', 'min', 'max'].includes(n.op)) expect(n.args).toEqual([...n.args].sort((x, y) => x - y));
    // Children come before parents.
    p.nodes.forEach((n, i) => { if (n.kind === 'op') for (const a of n.args) expect(a).toBeLessThan(i); });
  });

  it('makes int -> float conversions explicit', () => {
    const p = ir('mask = causal\nscore = s + (k - q)');
    expect(p.nodes.some((n) => n.kind === 'op' && n.op === 'tofloat')).toBe(true);
    for (const n of p.nodes) if (n.kind === 'op' && n.op === 'add' && n.type === 'float') for (const a of n.args) expect(['float', 'var', 'op'].includes(p.nodes[a]!.kind)).toBe(true);
  });

  it('resolves rules to explicit lists, splitting otherwise', () => {
    const p = ir('sizes L = 3, H = 4\nmask {\n layers 0 heads 0..1: causal\n layers 2: sinks(1)\n otherwise: window(8)\n}');
    expect(p.rules.map((r) => [r.layers, r.heads])).toEqual([[[0], [0, 1]], [[2], [0, 1, 2, 3]], [[0], [2, 3]], [[1], [0, 1, 2, 3]]]);
    expect(p.rules[0]!.span).toEqual({ line: 3, col: 2 });
  });

  it('declares tables, inputs and requirements', () => {
    const p = ir('sizes L = 1, H = 2\ntable t: float[L, H] = [[0.5, 1]]\ninput doc: int[Nk]\ninput hq: int[H, Nq] = lsh(Q, buckets = 16, seed = 3)\nmask = doc[k] == doc[q] and hq[h, q] == 0 and t[l, h] > 0.1\nrequire reachability, coverage');
    expect(p.tables).toEqual([{ name: 't', type: 'float', shape: [1, 2], data: [0.5, 1] }]);
    expect(p.inputs).toEqual([
      { name: 'doc', type: 'int', shape: ['Nk'], source: { kind: 'given' } },
      { name: 'hq', type: 'int', shape: ['H', 'Nq'], source: { kind: 'lsh', of: 'Q', buckets: 16, seed: 3 } },
    ]);
    expect(p.requires).toEqual(['coverage', 'reachability']);
  });

  it('imports: namespaced names, json tables relative to the importing file', () => {
    const readFile = memoryFiles({
      'lib/moa.attn': 'param w = 4\ntable beta: float[L, H] = json("moa.json", "beta")\nlet near = q - k < w',
      'lib/moa.json': '{"beta": [[0.5, 0.25]]}',
    });
    const p = ir('sizes H = 2\nimport "lib/moa.attn" as m\nmask = m.near and moa(1.0, m.beta[l, h])', { file: 'main.attn', readFile, set: { 'm.w': 9 } });
    expect(p.params).toEqual([{ name: 'm.w', type: 'int', value: 9 }]);
    expect(p.tables.map((t) => t.name)).toEqual(['m__beta']);
  });

  it('names the IR after the file, sanitised', () => {
    expect(ir('mask = causal', { file: 'dir/big-bird v2.attn' }).name).toBe('big_bird_v2');
    expect(ir('mask = causal', { file: '3d.attn' }).name).toBe('_3d');
    expect(ir('mask = causal').name).toBe('pattern');
  });

  it('validates against the schema', () => {
    expect(() => IrProgram.parse(ir('mask = causal and window(64)\nscore = s'))).not.toThrow();
  });
});
