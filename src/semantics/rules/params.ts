// Params and the block size: values must be compile-time constants of the declared type;
// `block N` needs a positive int.
import { diagnostic } from '../../diagnostics/diagnostic.ts';
import type { CheckContext } from '../context.ts';

export function paramsRule(ctx: CheckContext): void {
  for (const m of ctx.modules) {
    const scope = ctx.scope(m);
    for (const s of ctx.activeStatements(m)) {
      if (s.kind === 'Param') {
        const sym = scope.own.get(s.name.name);
        if (!sym || sym.kind !== 'param' || sym.decl !== s || ctx.cyclic.has(s)) continue;
        const vt = ctx.typeOf(s.value, m);
        if (vt === 'error') continue;
        const v = ctx.constValue(s.value, m);
        if (!v) {
          ctx.report(diagnostic('not-constant', `the value of param '${s.name.name}' must be a compile-time constant`, s.value.span, {
            notes: [{ message: 'a param may use literals, sizes and other params; use a let for expressions over q, k, h, l' }],
          }), m);
          continue;
        }
        const declared = s.type?.name;
        if (declared && !(v.type === declared || (v.type === 'int' && declared === 'float'))) {
          ctx.report(diagnostic('param-type-mismatch', `param '${s.name.name}' is declared ${declared} but its value is ${v.type}`, s.value.span, {
            notes: [{ message: 'declared here', span: s.type!.span }],
            suggestion: v.type === 'float' && declared === 'int' ? { message: 'use floor(...), ceil(...) or round(...) to convert' } : undefined,
          }), m);
        }
      } else if (s.kind === 'Block') {
        if (ctx.typeOf(s.size, m) === 'error') continue;
        const v = ctx.constValue(s.size, m);
        if (!v) {
          ctx.report(diagnostic('not-constant', 'the block size must be a compile-time constant', s.size.span), m);
        } else if (v.type !== 'int') {
          ctx.report(diagnostic('type-mismatch', `the block size must be an int, found ${v.type}`, s.size.span), m);
        } else if ((v.value as number) <= 0) {
          ctx.report(diagnostic('constant-out-of-range', `the block size must be positive, found ${v.value}`, s.size.span), m);
        }
      }
    }
  }
}
