// Names: every name must resolve (with a "did you mean" suggestion when it does not);
// `s` only inside score (also through lets), `qb`/`kb` only after `block`, functions only
// called, tables and inputs only indexed, list literals only as table initialisers.
import { diagnostic } from '../../diagnostics/diagnostic.ts';
import type { Expr, NameExpr } from '../../syntax/ast.ts';
import type { CheckContext } from '../context.ts';
import type { ExprRoot } from '../walk.ts';
import { forEachExpr } from '../walk.ts';
import { BUILTINS } from '../builtins.ts';
import { closestName } from '../suggest.ts';
import { namesInScope } from '../scope.ts';

export function namesRule(ctx: CheckContext): void {
  forEachExpr(ctx, (e, root, parent) => {
    if (e.kind === 'Name') {
      const isCallee = parent?.kind === 'Call' && parent.callee === e;
      const isTarget = (parent?.kind === 'Index' || parent?.kind === 'In') && parent.target === e;
      if (!isCallee && !isTarget) checkValueName(ctx, e, root);
    }
    if (e.kind === 'Call') checkCallee(ctx, e.callee, root);
    if (e.kind === 'Index') checkTarget(ctx, e.target, root, 'index');
    if (e.kind === 'In') checkTarget(ctx, e.target, root, 'in');
  });
}

function unknown(ctx: CheckContext, e: NameExpr, root: ExprRoot, candidates: Iterable<string>, what = 'name'): void {
  const scope = ctx.scope(root.module);
  if (e.ns ? scope.failedAliases.has(e.ns.name) : scope.unreadable.has(e.name) || scope.unreadable.has('*')) return;
  const r = ctx.resolve(e, root.module);
  if (r.kind === 'unknown-namespace') {
    const guess = closestName(e.ns!.name, ctx.scope(root.module).namespaces.keys());
    ctx.report(diagnostic('unknown-namespace', `unknown namespace '${e.ns!.name}'`, e.ns!.span, {
      suggestion: guess ? { message: `did you mean '${guess}'?`, replacement: guess } : { message: 'declare it with: import "file.attn" as ' + e.ns!.name },
    }), root.module);
    return;
  }
  const inner = e.ns ? ctx.scope(root.module).namespaces.get(e.ns.name)! : null;
  const pool = inner ? [...inner.visible.keys()] : [...candidates];
  const guess = closestName(e.name, pool);
  const shown = e.ns ? `${e.ns.name}.${e.name}` : e.name;
  ctx.report(diagnostic('unknown-name', `unknown ${what} '${shown}'`, e.nameSpan, {
    suggestion: guess ? { message: `did you mean '${guess}'?`, replacement: guess } : undefined,
  }), root.module);
}

function checkValueName(ctx: CheckContext, e: NameExpr, root: ExprRoot): void {
  const m = root.module;
  const r = ctx.resolve(e, m);
  switch (r.kind) {
    case 'unknown':
    case 'unknown-namespace':
      unknown(ctx, e, root, [...namesInScope(ctx.scope(m)), ...Object.keys(BUILTINS)]);
      return;
    case 'var':
      if (r.name === 's' && root.site !== 'score' && root.site !== 'let') {
        ctx.report(diagnostic('score-variable-outside-score', "'s' (the score) is only available inside the score statement", e.span), m);
      }
      if ((r.name === 'qb' || r.name === 'kb') && ctx.first(m, 'Block') === undefined) {
        ctx.report(diagnostic('block-variable-without-block', `'${r.name}' needs a block statement`, e.span, {
          suggestion: { message: `add e.g. \`block 64\`, or write ${r.name === 'qb' ? 'q' : 'k'} // 64` },
        }), m);
      }
      return;
    case 'let':
      if (root.site !== 'score' && root.site !== 'let' && ctx.uses(r.decl.value, r.module).has('s')) {
        ctx.report(diagnostic('score-variable-outside-score', `'${e.name}' uses 's', which is only available inside the score statement`, e.span, {
          notes: [{ message: `'${e.name}' is defined here`, span: r.decl.name.span, file: r.module.isRoot ? undefined : r.module.file }],
        }), m);
      }
      return;
    case 'table':
    case 'input': {
      const rank = r.decl.dims.length;
      ctx.report(diagnostic('missing-index', `${r.kind} '${e.name}' must be indexed with ${rank} ${rank === 1 ? 'index' : 'indices'}`, e.span, {
        suggestion: { message: `e.g. ${e.name}[${['l', 'h', 'q', 'k'].slice(0, rank).join(', ')}]` },
      }), m);
      return;
    }
    case 'builtin':
      if (!r.sig.bare) {
        ctx.report(diagnostic('function-not-called', `'${e.name}' is a built-in ${r.sig.kind === 'mask' ? 'mask' : 'function'} and must be called`, e.span, {
          suggestion: { message: `call it: ${e.name}(...)` },
        }), m);
      }
      return;
    default:
      return;
  }
}

function checkCallee(ctx: CheckContext, callee: NameExpr, root: ExprRoot): void {
  const r = ctx.resolveCallee(callee, root.module);
  if (r.kind === 'builtin') return;
  if (r.kind === 'unknown' || r.kind === 'unknown-namespace') {
    if (r.kind === 'unknown-namespace') return unknown(ctx, callee, root, []);
    if (ctx.scope(root.module).unreadable.has('*')) return;
    const guess = closestName(callee.name, Object.keys(BUILTINS));
    ctx.report(diagnostic('unknown-function', `unknown function '${callee.ns ? callee.ns.name + '.' : ''}${callee.name}'`, callee.nameSpan, {
      suggestion: guess ? { message: `did you mean '${guess}'?`, replacement: guess } : undefined,
    }), root.module);
    return;
  }
  const what = r.kind === 'var' ? 'a position variable' : r.kind === 'size' ? 'a size' : `a ${r.kind}`;
  ctx.report(diagnostic('not-callable', `'${callee.name}' is ${what}, not a function`, callee.span, {
    suggestion: r.kind === 'table' || r.kind === 'input' ? { message: `index it with [...] instead: ${callee.name}[...]` } : undefined,
  }), root.module);
}

function checkTarget(ctx: CheckContext, target: NameExpr, root: ExprRoot, how: 'index' | 'in'): void {
  const r = ctx.resolve(target, root.module);
  if (r.kind === 'unknown' || r.kind === 'unknown-namespace') {
    const scope = ctx.scope(root.module);
    const arrays = [...scope.visible.entries()].filter(([, s]) => s.kind === 'table' || s.kind === 'input').map(([n]) => n);
    unknown(ctx, target, root, arrays, how === 'in' ? 'input' : 'table or input');
    return;
  }
  if (how === 'in') {
    if (r.kind !== 'input') {
      ctx.report(diagnostic('membership-target', `'x in ${target.name}[...]' needs a runtime input, but '${target.name}' is ${r.kind === 'table' ? 'a static table' : `a ${r.kind}`}`, target.span), root.module);
    }
    return;
  }
  if (r.kind !== 'table' && r.kind !== 'input') {
    ctx.report(diagnostic('not-indexable', `'${target.name}' is not a table or input and cannot be indexed`, target.span), root.module);
  }
}

export type { Expr };
