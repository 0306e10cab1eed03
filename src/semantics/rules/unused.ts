// Unused params and lets of the compiled file (warnings).
import { diagnostic } from '../../diagnostics/diagnostic.ts';
import type { Stmt } from '../../syntax/ast.ts';
import type { CheckContext } from '../context.ts';
import { forEachExpr } from '../walk.ts';
import { isPositionVariable, isSizeName } from '../scope.ts';

const isReserved = (name: string) => isPositionVariable(name) || isSizeName(name);

export function unusedRule(ctx: CheckContext): void {
  const used = new Set<Stmt>();
  forEachExpr(ctx, (e, root) => {
    const name = e.kind === 'Name' ? e : e.kind === 'Call' ? e.callee : e.kind === 'Index' || e.kind === 'In' ? e.target : null;
    if (!name) return;
    const r = ctx.resolve(name, root.module);
    if (r.kind === 'let' || r.kind === 'param' || r.kind === 'table' || r.kind === 'input') {
      if (!(root.stmt === r.decl)) used.add(r.decl);
    }
  });
  const own = new Set([...ctx.scope(ctx.root).own.values()].map((sym) => sym.decl as Stmt));
  for (const s of ctx.root.ast.statements) {
    // Duplicates and reserved names are errors already; "unused" would only add noise.
    if (!own.has(s) || ((s.kind === 'Param' || s.kind === 'Let') && isReserved(s.name.name))) continue;
    if (s.kind === 'Param' && !used.has(s)) {
      ctx.report(diagnostic('unused-param', `param '${s.name.name}' is never used`, s.name.span, {
        suggestion: { message: 'remove it, or use it in the mask or score' },
      }), ctx.root);
    }
    if (s.kind === 'Let' && !used.has(s)) {
      ctx.report(diagnostic('unused-let', `let '${s.name.name}' is never used`, s.name.span), ctx.root);
    }
  }
}
