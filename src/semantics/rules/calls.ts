// Built-in calls: argument count, names and order; argument types; arguments that must be
// compile-time constants (block sizes, r, k, strides, ...) and their ranges; `seed` of
// random_blocks may depend only on the head and layer.
import { diagnostic } from '../../diagnostics/diagnostic.ts';
import type { CheckContext } from '../context.ts';
import { forEachExpr } from '../walk.ts';
import { bindArguments, signatureText } from '../builtins.ts';
import { closestName } from '../suggest.ts';
import { isNumeric } from '../types.ts';

export function callsRule(ctx: CheckContext): void {
  forEachExpr(ctx, (e, root) => {
    if (e.kind !== 'Call') return;
    const m = root.module;
    const r = ctx.resolveCallee(e.callee, m);
    if (r.kind !== 'builtin') return;
    const sig = r.sig;
    const bound = bindArguments(sig, e.args);
    const usage = { message: `usage: ${signatureText(sig)}` };
    for (const p of bound.problems) {
      switch (p.kind) {
        case 'positional-after-named':
          ctx.report(diagnostic('positional-after-named', 'a positional argument cannot follow a named one', p.arg.span, { suggestion: usage }), m);
          break;
        case 'too-many':
          ctx.report(diagnostic('wrong-argument-count', `'${sig.name}' takes at most ${p.max} argument${p.max === 1 ? '' : 's'}`, p.arg.span, { suggestion: usage }), m);
          break;
        case 'unknown-name': {
          const guess = closestName(p.name.name, sig.params.map((q) => q.name));
          ctx.report(diagnostic('unknown-argument', `'${sig.name}' has no argument named '${p.name.name}'`, p.name.span, {
            suggestion: guess ? { message: `did you mean '${guess}'?`, replacement: guess } : usage,
          }), m);
          break;
        }
        case 'duplicate':
          ctx.report(diagnostic('duplicate-argument', `argument '${p.name.name}' is given twice`, p.name.span, {
            notes: [{ message: 'first given here', span: p.first.span }],
          }), m);
          break;
        case 'missing':
          ctx.report(diagnostic('wrong-argument-count', `'${sig.name}' is missing its argument '${p.param.name}'`, e.span, { suggestion: usage }), m);
          break;
      }
    }
    for (const param of sig.params) {
      const arg = bound.values.get(param.name);
      if (!arg) continue;
      const t = ctx.typeOf(arg, m);
      if (t === 'error') continue;
      const ok = param.type === 'num' || param.type === 'float' ? isNumeric(t) : t === param.type;
      if (!ok) {
        const want = param.type === 'num' ? 'a number' : param.type;
        ctx.report(diagnostic('type-mismatch', `argument '${param.name}' of '${sig.name}' must be ${want}, found ${t}`, arg.span, {
          suggestion: param.type === 'int' && t === 'float' ? { message: 'convert with floor(...), ceil(...) or round(...)' } : undefined,
        }), m);
        continue;
      }
      if (param.constant) {
        const v = ctx.constValue(arg, m);
        if (!v) {
          ctx.report(diagnostic('argument-not-constant', `argument '${param.name}' of '${sig.name}' must be a compile-time constant`, arg.span, {
            notes: [{ message: 'it decides the kernel\'s block structure, so it must be known when compiling' }],
          }), m);
        } else if (param.constant === 'positive' && (v.value as number) <= 0) {
          ctx.report(diagnostic('argument-out-of-range', `argument '${param.name}' of '${sig.name}' must be positive, found ${v.value}`, arg.span), m);
        }
      }
      if (param.headLevel) {
        const uses = ctx.uses(arg, m);
        const bad = ['q', 'k', 's', 'runtime', 'table'].find((u) => uses.has(u));
        if (bad) {
          const what = bad === 'runtime' ? 'a runtime input' : bad === 'table' ? 'a table' : `'${bad}'`;
          ctx.report(diagnostic('argument-not-constant', `argument '${param.name}' of '${sig.name}' may depend only on h, l, sizes and params, not on ${what}`, arg.span), m);
        }
      }
    }
  });
}
