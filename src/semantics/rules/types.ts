// Types: operands of operators, conditions, branches, indices; the mask must be bool and the
// score numeric. Operands already of type `error` were reported elsewhere and are skipped.
import { diagnostic } from '../../diagnostics/diagnostic.ts';
import type { Expr } from '../../syntax/ast.ts';
import type { CheckContext } from '../context.ts';
import { forEachExpr, exprRoots } from '../walk.ts';
import { isNumeric, type ValueType } from '../types.ts';
import type { Module } from '../modules.ts';

function describe(t: ValueType): string {
  return t;
}

export function typesRule(ctx: CheckContext): void {
  const want = (e: Expr, m: Module, ok: (t: ValueType) => boolean, what: string, context: string) => {
    const t = ctx.typeOf(e, m);
    if (t === 'error' || ok(t)) return;
    ctx.report(diagnostic('type-mismatch', `${context} must be ${what}, found ${describe(t)}`, e.span, {
      suggestion: what === 'int' && t === 'float' ? { message: 'convert with floor(...), ceil(...) or round(...)' }
        : what === 'bool' && isNumeric(t) ? { message: 'compare it, e.g. x != 0' } : undefined,
    }), m);
  };
  const numeric = (t: ValueType) => isNumeric(t);
  const bool = (t: ValueType) => t === 'bool';
  const int = (t: ValueType) => t === 'int';

  forEachExpr(ctx, (e, root) => {
    const m = root.module;
    switch (e.kind) {
      case 'Unary':
        if (e.op === 'not') want(e.operand, m, bool, 'bool', "the operand of 'not'");
        else want(e.operand, m, numeric, 'a number', "the operand of '-'");
        break;
      case 'Binary': {
        const side = (x: Expr, ok: (t: ValueType) => boolean, what: string) =>
          want(x, m, ok, what, `the ${x === e.left ? 'left' : 'right'} operand of '${e.op}'`);
        switch (e.op) {
          case '+': case '-': case '*': case '/': case '//': case '%': case '<': case '<=': case '>': case '>=':
            side(e.left, numeric, 'a number');
            side(e.right, numeric, 'a number');
            break;
          case 'and': case 'or': case 'except':
            side(e.left, bool, 'bool');
            side(e.right, bool, 'bool');
            break;
          case '==': case '!=': {
            const a = ctx.typeOf(e.left, m), b = ctx.typeOf(e.right, m);
            if (a !== 'error' && b !== 'error' && (a === 'bool') !== (b === 'bool')) {
              ctx.report(diagnostic('type-mismatch', `cannot compare ${a} with ${b}`, e.opSpan, {
                notes: [{ message: `left is ${a}`, span: e.left.span }, { message: `right is ${b}`, span: e.right.span }],
              }), m);
            }
            break;
          }
        }
        break;
      }
      case 'If': {
        want(e.cond, m, bool, 'bool', 'the condition of if');
        const a = ctx.typeOf(e.then, m), b = ctx.typeOf(e.else, m);
        if (a !== 'error' && b !== 'error' && a !== b && !(isNumeric(a) && isNumeric(b))) {
          ctx.report(diagnostic('branch-type-mismatch', `the branches of if have different types: ${a} and ${b}`, e.span, {
            notes: [{ message: `then-branch is ${a}`, span: e.then.span }, { message: `else-branch is ${b}`, span: e.else.span }],
          }), m);
        }
        break;
      }
      case 'Index':
        for (const ix of e.indices) want(ix, m, int, 'int', 'an index');
        break;
      case 'In':
        want(e.value, m, int, 'int', "the value left of 'in'");
        for (const ix of e.indices) want(ix, m, int, 'int', 'an index');
        break;
      default:
        break;
    }
  });

  for (const root of exprRoots(ctx)) {
    if (root.site !== 'mask' && root.site !== 'score') continue;
    const t = ctx.typeOf(root.expr, root.module);
    if (t === 'error') continue;
    if (root.site === 'mask' && t !== 'bool') {
      ctx.report(diagnostic('mask-not-bool', `the mask must be bool, found ${t}`, root.expr.span, {
        suggestion: { message: 'a mask says which (q, k) pairs attend, e.g. `k <= q`' },
      }), root.module);
    }
    if (root.site === 'score' && !isNumeric(t)) {
      ctx.report(diagnostic('score-not-numeric', `the score must be float (or int), found ${t}`, root.expr.span, {
        suggestion: { message: 'the score modifies the logit s, e.g. `s + 0.5 * (k - q)`' },
      }), root.module);
    }
  }
}
