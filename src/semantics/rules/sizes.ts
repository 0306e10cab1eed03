// Sizes: known names only, constant positive integers up to 2^30, Hkv divides H; and the
// validity of size overrides and --set values given by the caller.
import { diagnostic } from '../../diagnostics/diagnostic.ts';
import type { CheckContext } from '../context.ts';
import { maxSize, coerceOverride } from '../context.ts';
import { closestName } from '../suggest.ts';
import { SIZE_NAMES } from '../../../grammar/tokens.ts';
import { isSizeName } from '../scope.ts';
import type { Expr } from '../../syntax/ast.ts';

export function sizesRule(ctx: CheckContext): void {
  const stmt = ctx.first(ctx.root, 'Sizes');
  const seen = new Set<string>();
  const defined = new Set<string>();
  for (const entry of stmt?.entries ?? []) {
    const name = entry.name.name;
    if (!isSizeName(name)) {
      const guess = closestName(name, SIZE_NAMES);
      ctx.report(diagnostic('unknown-size', `'${name}' is not a size (sizes are Nq, Nk, H, Hkv, L)`, entry.name.span, {
        suggestion: guess ? { message: `did you mean '${guess}'?`, replacement: guess } : { message: 'declare a param instead: param name = value' },
      }), ctx.root);
      continue;
    }
    if (seen.has(name)) {
      ctx.report(diagnostic('duplicate-declaration', `size '${name}' is set twice`, entry.name.span), ctx.root);
      continue;
    }
    seen.add(name);
    const laterRef = findSizeRef(entry.value, (n) => isSizeName(n) && !defined.has(n) && stmt!.entries.some((e) => e.name.name === n));
    defined.add(name);
    const v = ctx.constValue(entry.value, ctx.root);
    if (laterRef) {
      ctx.report(diagnostic('not-constant', `size '${name}' refers to '${laterRef}', which is set later (or is '${name}' itself)`, entry.value.span, {
        notes: [{ message: 'a size may refer only to sizes set before it' }],
      }), ctx.root);
      continue;
    }
    if (!v) {
      if (ctx.typeOf(entry.value, ctx.root) !== 'error' || entry.value.kind === 'Name') {
        ctx.report(diagnostic('not-constant', `size '${name}' must be a compile-time constant`, entry.value.span), ctx.root);
      }
      continue;
    }
    if (v.type !== 'int') {
      ctx.report(diagnostic('type-mismatch', `size '${name}' must be an int, found ${v.type}`, entry.value.span), ctx.root);
      continue;
    }
    const n = v.value as number;
    if (n <= 0) {
      ctx.report(diagnostic('size-not-positive', `size '${name}' must be positive, found ${n}`, entry.value.span), ctx.root);
    } else if (n > maxSize(name)) {
      ctx.report(diagnostic('size-too-large', `size '${name}' is ${n}, more than ${maxSize(name) === 4096 ? '4096' : '2^30'}`, entry.value.span), ctx.root);
    }
  }

  // Overrides from the caller.
  for (const [name, value] of Object.entries(ctx.options.sizes ?? {})) {
    if (value === undefined) continue;
    if (!isSizeName(name)) {
      ctx.report(diagnostic('invalid-override', `'${name}' is not a size`, null), ctx.root);
    } else if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > maxSize(name)) {
      ctx.report(diagnostic('invalid-override', `size ${name} must be an integer in 1 .. ${maxSize(name)}, got ${value}`, null), ctx.root);
    }
  }
  const scope = ctx.scope(ctx.root);
  const params = new Map<string, ReturnType<typeof scope.visible.get>>();
  const collect = (s: typeof scope) => {
    for (const sym of s.visible.values()) if (sym.kind === 'param') params.set(sym.qualified, sym);
    for (const inner of s.namespaces.values()) collect(inner);
  };
  collect(scope);
  for (const [name, value] of Object.entries(ctx.options.set ?? {})) {
    if (isSizeName(name)) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > maxSize(name)) {
        ctx.report(diagnostic('invalid-override', `size ${name} must be an integer in 1 .. ${maxSize(name)}, got ${value}`, null), ctx.root);
      }
      continue;
    }
    const sym = params.get(name);
    if (!sym || sym.kind !== 'param') {
      const guess = closestName(name, [...params.keys(), ...SIZE_NAMES]);
      ctx.report(diagnostic('invalid-override', `--set ${name}: no param or size named '${name}'`, null, {
        suggestion: guess ? { message: `did you mean '${guess}'?` } : undefined,
      }), ctx.root);
      continue;
    }
    const t = ctx.paramType(sym);
    if (t !== 'error' && !coerceOverride(value, t)) {
      ctx.report(diagnostic('invalid-override', `--set ${name}: expected ${t === 'int' ? 'an int' : t === 'float' ? 'a number' : 'true or false'}, got ${value}`, null), ctx.root);
    }
  }

  const sizes = ctx.sizes();
  if (sizes.H % sizes.Hkv !== 0) {
    const entry = stmt?.entries.find((e) => e.name.name === 'Hkv') ?? stmt?.entries.find((e) => e.name.name === 'H');
    ctx.report(diagnostic('kv-heads-not-divisor', `Hkv = ${sizes.Hkv} does not divide H = ${sizes.H}`, entry?.value.span ?? null, {
      notes: [{ message: 'each key/value head serves H / Hkv query heads (GQA), so H must be a multiple of Hkv' }],
    }), ctx.root);
  }
}

function findSizeRef(e: Expr, pred: (name: string) => boolean): string | null {
  let found: string | null = null;
  const stack = [e];
  while (stack.length > 0 && !found) {
    const x = stack.pop()!;
    if (x.kind === 'Name' && x.ns === null && pred(x.name)) found = x.name;
    if (x.kind === 'Binary') stack.push(x.left, x.right);
    else if (x.kind === 'Unary') stack.push(x.operand);
    else if (x.kind === 'Paren') stack.push(x.expr);
    else if (x.kind === 'Call') stack.push(...x.args.map((a) => a.value));
    else if (x.kind === 'If') stack.push(x.cond, x.then, x.else);
  }
  return found;
}
