// Step functions of the logit s in the score (floor, ceil, round, //, %, or s inside a table or
// input index): their derivative is 0 almost everywhere, so the CUDA backend emits no backward
// pass for the pattern (codegen/lower/scoreGrad.ts refuses the same forms). A warning: the
// forward kernels are fine.
import { diagnostic } from '../../diagnostics/diagnostic.ts';
import type { Expr } from '../../syntax/ast.ts';
import type { CheckContext } from '../context.ts';
import { forEachExpr } from '../walk.ts';

const STEP_CALLS = new Set(['floor', 'ceil', 'round']);

export function differentiableRule(ctx: CheckContext): void {
  forEachExpr(ctx, (e, root) => {
    // s may appear only in the score and in lets the score uses (E107 reports the rest)
    if (root.site !== 'score' && root.site !== 'let') return;
    const m = root.module;
    const onS = (x: Expr) => ctx.uses(x, m).has('s');
    let what: string | null = null;
    if (e.kind === 'Call') {
      const r = ctx.resolveCallee(e.callee, m);
      if (r.kind === 'builtin' && STEP_CALLS.has(r.sig.name) && e.args.some((a) => onS(a.value))) what = `${r.sig.name} of an expression of s`;
    } else if (e.kind === 'Binary' && (e.op === '//' || e.op === '%') && (onS(e.left) || onS(e.right))) {
      what = `'${e.op}' on an expression of s`;
    } else if ((e.kind === 'Index' || e.kind === 'In') && e.indices.some(onS)) {
      what = `an index computed from s`;
    }
    if (!what) return;
    ctx.report(diagnostic('score-not-differentiable', `the score is not differentiable in s: ${what}`, e.span, {
      notes: [{ message: 'its derivative is 0 almost everywhere and undefined at the steps, so no backward (training) kernels are emitted; the forward kernels are unaffected' }],
    }), m);
  });
}
