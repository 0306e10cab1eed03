// Division and modulo by a constant zero: defined as 0 at run time (grammar/SPEC.md), but a
// constant zero divisor is always a mistake.
import { diagnostic } from '../../diagnostics/diagnostic.ts';
import type { CheckContext } from '../context.ts';
import { forEachExpr } from '../walk.ts';

export function divisionRule(ctx: CheckContext): void {
  forEachExpr(ctx, (e, root) => {
    if (e.kind !== 'Binary' || (e.op !== '/' && e.op !== '//' && e.op !== '%')) return;
    const v = ctx.constValue(e.right, root.module);
    if (v && v.type !== 'bool' && v.value === 0) {
      ctx.report(diagnostic('division-by-zero', `${e.op === '%' ? 'modulo' : 'division'} by zero`, e.right.span, {
        notes: [{ message: `'${e.op}' by zero would evaluate to 0 everywhere` }],
      }), root.module);
    }
  });
}
