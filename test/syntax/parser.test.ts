// Parser: every statement form, precedence and associativity, spans, and recovery (one run
// reports every broken statement).
import { describe, expect, it } from 'vitest';
import { parseSource } from '../../src/syntax/parse.ts';
import type { Expr, Stmt } from '../../src/syntax/ast.ts';
import { printExpr } from '../../src/syntax/printer.ts';

function parseOk(src: string): Stmt[] {
  const r = parseSource(src);
  expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  return r.ast.statements;
}

function expr(src: string): Expr {
  const [s] = parseOk(`let x = ${src}`);
  if (s?.kind !== 'Let') throw new Error('not a let');
  return s.value;
}

/** Fully parenthesised rendering, to check the tree shape. */
function shape(e: Expr): string {
  switch (e.kind) {
    case 'Binary': return `(${shape(e.left)} ${e.op} ${shape(e.right)})`;
    case 'Unary': return `(${e.op === 'not' ? 'not ' : '-'}${shape(e.operand)})`;
    case 'If': return `(if ${shape(e.cond)} then ${shape(e.then)} else ${shape(e.else)})`;
    case 'Paren': return shape(e.expr);
    case 'In': return `(${shape(e.value)} in ${printExpr({ ...e, kind: 'Index', indices: e.indices, target: e.target, span: e.span } as Expr)})`;
    default: return printExpr(e);
  }
}

describe('statements', () => {
  it('parses every statement form of the spec', () => {
    const src = `
import "path/other.attn"
import "path/other.attn" as ns
sizes Nq = 4096, Nk = Nq, H = 16, Hkv = H, L = 1
param window = 1024
param beta: float = 0.25
block 64
table alpha: int[L, H] = [[1, 2], [3, 4]]
table beta2: float[L, H] = json("profiles/moa.json", "beta")
input doc: int[Nk]
input hq: int[H, Nq] = lsh(Q, buckets = 64, seed = 1)
let near = q - k < 256
mask {
  layers 0.. by 4: causal
  heads 0..7: causal and window(256)
  layers 1..3 heads 8..: causal and shard(4)
  otherwise: causal and local_blocks(16)
}
score = softcap(s + alibi_slope(h) * (k - q), 30.0)
require coverage, reachability
`;
    const kinds = parseOk(src).map((s) => s.kind);
    expect(kinds).toEqual(['Import', 'Import', 'Sizes', 'Param', 'Param', 'Block', 'Table', 'Table', 'Input', 'Input', 'Let', 'MaskBlock', 'Score', 'Require']);
  });

  it('reads selectors and ranges', () => {
    const [m] = parseOk('mask {\n layers 0.. by 4, 7: causal\n layers 1..3 heads 8..: causal\n otherwise: causal\n}');
    if (m?.kind !== 'MaskBlock') throw new Error();
    const [r0, r1, r2] = m.rules;
    expect(r0!.selector.kind === 'Select' && r0!.selector.layers!.map((r) => [r.end === 'open' ? 'open' : r.end ? 'end' : 'one', !!r.step])).toEqual([['open', true], ['one', false]]);
    expect(r1!.selector.kind === 'Select' && r1!.selector.heads!.length).toBe(1);
    expect(r2!.selector.kind).toBe('Otherwise');
  });

  it('accepts numbers with separators, floats with exponents and string escapes', () => {
    const [p1, p2, i] = parseOk('param n = 131_072\nparam f = 1.5e-3\nimport "a\\"b.attn"');
    expect(p1?.kind === 'Param' && p1.value.kind === 'Int' && p1.value.value).toBe(131072);
    expect(p2?.kind === 'Param' && p2.value.kind === 'Float' && p2.value.value).toBe(0.0015);
    expect(i?.kind === 'Import' && i.path.value).toBe('a"b.attn');
  });

  it('treats block = as a named argument, not a block statement', () => {
    const [m] = parseOk('mask = local_blocks(4, block = 32)');
    expect(m?.kind).toBe('Mask');
  });

  it('is insensitive to newlines, CRLF and a BOM', () => {
    expect(parseOk('\uFEFFmask =\r\n  causal\r\n  and window(3)\r\n').map((s) => s.kind)).toEqual(['Mask']);
  });
});

describe('expressions', () => {
  it.each([
    ['a or b and c', '(a or (b and c))'],
    ['a except b or c', '(a except (b or c))'],
    ['a except b except c', '((a except b) except c)'],
    ['not a and b', '((not a) and b)'],
    ['not not a', '(not (not a))'],
    ['a + b * c - d', '((a + (b * c)) - d)'],
    ['a - b - c', '((a - b) - c)'],
    ['-a * b', '((-a) * b)'],
    ['a // b % c / d', '(((a // b) % c) / d)'],
    ['q - k < 256 and k <= q', '(((q - k) < 256) and (k <= q))'],
    ['if c then a else if d then b else e', '(if c then a else (if d then b else e))'],
    ['k in vcols[h] or (q - k) in slashes[h]', '((k in vcols[h]) or ((q - k) in slashes[h]))'],
    ['ns.alpha[l, h] + f(x, y = 2)', '(ns.alpha[l, h] + f(x, y = 2))'],
  ])('%s', (src, want) => {
    expect(shape(expr(src))).toBe(want);
  });

  it('rejects chained comparisons (non-associative)', () => {
    const r = parseSource('mask = a < b < c');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['E003']);
  });

  it('records spans (offset, end, line, col)', () => {
    const e = expr('q  -  k');
    expect(e.span).toEqual({ offset: 8, end: 15, line: 1, col: 9 });
    if (e.kind !== 'Binary') throw new Error();
    expect(e.opSpan).toMatchObject({ offset: 11, end: 12, col: 12 });
    const [s] = parseOk('\n\nlet x = 1');
    expect(s!.span).toMatchObject({ line: 3, col: 1, offset: 2, end: 11 });
  });
});

describe('error recovery', () => {
  it('reports one error per broken statement and keeps the good ones', () => {
    const r = parseSource('let a = 1 +\nlet b = 2\nparam = 3\nlet c = (4\nmask = causal\nscore = s s\n');
    expect(r.diagnostics.map((d) => [d.code, d.span?.line])).toEqual([['E003', 2], ['E003', 3], ['E003', 5], ['E003', 6]]);
    expect(r.ast.statements.map((s) => s.kind)).toEqual(['Let', 'Mask']);
    expect(r.ast.unparsedNames).toEqual(['a', 'c']);
  });

  it('recovers rule by rule inside a mask block', () => {
    const r = parseSource('mask {\n layers 0: causal and\n heads 1: (x\n layers 2: causal\n otherwise: ok\n}');
    expect(r.diagnostics.map((d) => d.span?.line)).toEqual([3, 4]);
    const m = r.ast.statements[0];
    expect(m?.kind === 'MaskBlock' && m.rules.length).toBe(2);
  });

  it('reports a missing closing brace', () => {
    const r = parseSource('mask {\n layers 0: causal\nscore = s');
    expect(r.diagnostics.map((d) => d.message)).toEqual(["expected '}' to close the mask block but found 'score'"]);
  });

  it('reports lexical errors without cascading parse errors', () => {
    const r = parseSource('let a = q & k\nlet b = "open\nlet c = 1__2\nmask = causal');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['E001', 'E002', 'E004']);
  });

  it('guards nesting depth with a diagnostic', () => {
    for (const src of ['mask = ' + '('.repeat(5000) + 'x', 'mask = ' + '-'.repeat(5000) + 'x', 'mask = ' + 'not '.repeat(5000) + 'x', 'mask = ' + 'if a then b else '.repeat(3000) + 'c', 'mask = x' + ' + x'.repeat(3000)]) {
      const r = parseSource(src);
      expect(r.diagnostics.map((d) => d.code)).toEqual(['E006']);
    }
  });
});
