// Enumerates every expression the checker must look at, with the module it belongs to and the
// kind of place it sits in (mask, score, let, constant), so each rule is a short loop.
import type { Expr, Stmt } from '../syntax/ast.ts';
import { selectorExprs } from '../syntax/ast.ts';
import type { CheckContext, ExprSite } from './context.ts';
import type { Module } from './modules.ts';

export interface ExprRoot {
  expr: Expr;
  module: Module;
  site: ExprSite;
  stmt: Stmt;
}

/** Top-level expressions of the statements that take effect (input initialisers excluded). */
export function exprRoots(ctx: CheckContext): ExprRoot[] {
  const out: ExprRoot[] = [];
  for (const m of ctx.modules) {
    for (const stmt of ctx.activeStatements(m)) {
      const add = (expr: Expr, site: ExprSite) => out.push({ expr, module: m, site, stmt });
      switch (stmt.kind) {
        case 'Sizes': for (const e of stmt.entries) add(e.value, 'constant'); break;
        case 'Param': add(stmt.value, 'constant'); break;
        case 'Block': add(stmt.size, 'constant'); break;
        case 'Table': for (const d of stmt.dims) add(d, 'constant'); break;
        case 'Input': for (const d of stmt.dims) add(d, 'constant'); break;
        case 'Let': add(stmt.value, 'let'); break;
        case 'Mask': add(stmt.expr, 'mask'); break;
        case 'MaskBlock':
          for (const r of stmt.rules) {
            for (const e of selectorExprs(r.selector)) add(e, 'constant');
            add(r.expr, 'mask');
          }
          break;
        case 'Score': add(stmt.expr, 'score'); break;
        default: break;
      }
    }
  }
  return out;
}

/** Visit every sub-expression (pre-order, iterative) of every root. */
export function forEachExpr(
  ctx: CheckContext,
  visit: (e: Expr, root: ExprRoot, parent: Expr | null) => void,
): void {
  for (const root of exprRoots(ctx)) {
    const stack: Array<[Expr, Expr | null]> = [[root.expr, null]];
    while (stack.length > 0) {
      const [e, parent] = stack.pop()!;
      visit(e, root, parent);
      const kids = childrenOf(e);
      for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i]!, e]);
    }
  }
}

function childrenOf(e: Expr): Expr[] {
  switch (e.kind) {
    case 'Call': return e.args.map((a) => a.value);
    case 'Index': return e.indices;
    case 'In': return [e.value, ...e.indices];
    case 'Unary': return [e.operand];
    case 'Binary': return [e.left, e.right];
    case 'If': return [e.cond, e.then, e.else];
    case 'Paren': return [e.expr];
    case 'List': return e.items;
    default: return [];
  }
}
