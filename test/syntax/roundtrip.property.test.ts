// Property tests of the printer: (1) random ASTs print to text that parses back to the same
// tree; (2) random well-formed sources format idempotently and keep their IR.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { BinaryOp, Expr } from '../../src/syntax/ast.ts';
import { printExpr } from '../../src/syntax/printer.ts';
import { parseSource } from '../../src/syntax/parse.ts';
import { compileToIr, formatSource } from '../../src/api.ts';
import { irWithoutSpans } from './util.ts';

const S = { offset: 0, end: 0, line: 1, col: 1 };
const name = (n: string): Expr => ({ kind: 'Name', ns: null, name: n, nameSpan: S, span: S });

/** Random expression trees (no Paren nodes: the printer must add what precedence needs). */
const exprArb: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.nat(1000).map((v): Expr => ({ kind: 'Int', value: v, raw: String(v), span: S })),
    fc.constantFrom('q', 'k', 'h', 'l', 'w', 'Nk').map(name),
    fc.constantFrom(true, false).map((v): Expr => ({ kind: 'Bool', value: v, span: S })),
    fc.tuple(fc.constantFrom<BinaryOp>('+', '-', '*', '//', '%', '/', '<', '<=', '==', '!=', '>', '>=', 'and', 'or', 'except'), tie('e'), tie('e'))
      .map(([op, left, right]): Expr => ({ kind: 'Binary', op, left, right, opSpan: S, span: S })),
    fc.tuple(fc.constantFrom<'-' | 'not'>('-', 'not'), tie('e')).map(([op, operand]): Expr => ({ kind: 'Unary', op, operand, span: S })),
    fc.tuple(tie('e'), tie('e'), tie('e')).map(([cond, then, otherwise]): Expr => ({ kind: 'If', cond, then, else: otherwise, span: S })),
    fc.tuple(tie('e'), tie('e')).map(([a, b]): Expr => ({ kind: 'Call', callee: name('min') as Expr & { kind: 'Name' }, args: [{ name: null, value: a, span: S }, { name: { name: 'b', span: S }, value: b, span: S }], span: S })),
    fc.tuple(tie('e')).map(([v]): Expr => ({ kind: 'In', value: v, target: name('cols') as Expr & { kind: 'Name' }, indices: [name('h')], span: S })),
  ),
})).e;

/** The tree without spans and Paren nodes. */
function strip(e: Expr): unknown {
  switch (e.kind) {
    case 'Paren': return strip(e.expr);
    case 'Binary': return { op: e.op, l: strip(e.left), r: strip(e.right) };
    case 'Unary': return { op: e.op, x: strip(e.operand) };
    case 'If': return { if: strip(e.cond), then: strip(e.then), else: strip(e.else) };
    case 'Call': return { call: e.callee.name, args: e.args.map((a) => [a.name?.name ?? null, strip(a.value)]) };
    case 'In': return { in: strip(e.value), t: e.target.name, ix: e.indices.map(strip) };
    case 'Name': return e.name;
    case 'Int': case 'Bool': return e.value;
    default: return e.kind;
  }
}

describe('printer round trip', () => {
  it('parse(print(ast)) == ast for random expression trees', () => {
    fc.assert(
      fc.property(exprArb, (e) => {
        const text = `let x = ${printExpr(e)}`;
        const r = parseSource(text);
        // Chained comparisons are not expressible without parentheses; the printer adds them.
        expect(r.diagnostics).toEqual([]);
        const s = r.ast.statements[0];
        expect(s?.kind).toBe('Let');
        if (s?.kind === 'Let') expect(strip(s.value)).toEqual(strip(e));
      }),
      { numRuns: 400 },
    );
  });

  // Random sources that compile: masks built from a small vocabulary, random layout and comments.
  const atom = fc.constantFrom('causal', 'window(64)', 'sinks(4)', 'k <= q - w', 'local_blocks(2, block = 32)', 'near', '(q - k) % 3 == 0', 'shard(2)', 'k < Nk // 2', 'true');
  const boolExpr: fc.Arbitrary<string> = fc.letrec<{ b: string }>((tie) => ({
    b: fc.oneof(
      { depthSize: 'small' },
      atom,
      fc.tuple(tie('b'), fc.constantFrom(' and ', ' or ', ' except ', '\n  and ', ' or # c\n '), tie('b')).map(([a, op, b]) => `(${a}${op}${b})`),
      tie("b").map((a) => `not (${a})`),
      fc.tuple(tie('b'), tie('b')).map(([a, b]) => `(if q < 100 then ${a} else ${b})`),
    ),
  })).b;
  const ws = fc.constantFrom(' ', '  ', '\n', '\n\n\n', ' # note\n', '\t');

  it('formatting is idempotent and keeps the IR (random sources)', () => {
    fc.assert(
      fc.property(boolExpr, boolExpr, ws, ws, fc.boolean(), (m1, m2, w1, w2, block) => {
        const src = `# pattern\n${w1}sizes Nq = 512, H = 4, L = 2${w2}param w = 16\nlet near = q - k <${w1}w\n` +
          (block ? `mask {${w2}layers 0: ${m1}${w1}otherwise:${w2}${m2}\n}` : `mask =${w1}${m1}`) + `${w2}score = s * 0.5\n`;
        const once = formatSource(src);
        expect(once.diagnostics).toEqual([]);
        const twice = formatSource(once.text!);
        expect(twice.text).toBe(once.text);
        const a = compileToIr(src);
        const b = compileToIr(once.text!);
        expect(a.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
        expect(irWithoutSpans(b.ir)).toEqual(irWithoutSpans(a.ir));
      }),
      { numRuns: 150 },
    );
  });
});
