// Mask rules: resolves each selector to explicit layer and head lists and checks that every
// (layer, head) pair is covered exactly once (the otherwise rule takes what is left, split
// into rectangular rules). Shared by the coverage rule (problems) and the lowering (lists).
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.ts';
import type { Expr, MaskRule, Range, Span } from '../syntax/ast.ts';
import type { CheckContext } from './context.ts';

export interface ResolvedRule {
  layers: number[];
  heads: number[];
  expr: Expr;
  span: Span;
}

export interface CoverageResult {
  rules: ResolvedRule[];
  problems: Diagnostic[];
}

function resolveRanges(ctx: CheckContext, ranges: Range[] | null, count: number, axis: 'layer' | 'head', problems: Diagnostic[]): number[] | null {
  if (ranges === null) return Array.from({ length: count }, (_, i) => i);
  const out = new Set<number>();
  let ok = true;
  const constInt = (e: Expr, what: string): number | null => {
    if (ctx.typeOf(e, ctx.root) === 'error') return null;
    const v = ctx.constValue(e, ctx.root);
    if (!v) {
      problems.push(diagnostic('not-constant', `a ${axis} ${what} must be a compile-time constant`, e.span));
      return null;
    }
    if (v.type !== 'int') {
      problems.push(diagnostic('type-mismatch', `a ${axis} ${what} must be an int, found ${v.type}`, e.span));
      return null;
    }
    return v.value as number;
  };
  const sizeName = axis === 'layer' ? 'L' : 'H';
  for (const r of ranges) {
    const start = constInt(r.start, 'index');
    const end = r.end === null ? start : r.end === 'open' ? count - 1 : constInt(r.end, 'index');
    const step = r.step ? constInt(r.step, 'step') : 1;
    if (start === null || end === null || step === null) { ok = false; continue; }
    if (step <= 0) {
      problems.push(diagnostic('constant-out-of-range', `a ${axis} step must be positive, found ${step}`, r.step!.span));
      ok = false;
      continue;
    }
    const bad = [start, r.end === 'open' ? start : end].find((v) => v < 0 || v >= count);
    if (bad !== undefined) {
      const at = bad === start ? r.start.span : (r.end as Expr).span;
      problems.push(diagnostic('selector-out-of-range', `${axis} ${bad} is out of range: ${sizeName} = ${count}, so ${axis}s are 0 .. ${count - 1}`, at));
      ok = false;
      continue;
    }
    for (let i = start; i <= end; i += step) out.add(i);
  }
  return ok ? [...out].sort((a, b) => a - b) : null;
}

/** The rectangles of an otherwise rule: layers grouped by their set of uncovered heads. */
function splitRemainder(owner: Int32Array, L: number, H: number): Array<{ layers: number[]; heads: number[] }> {
  const groups = new Map<string, { layers: number[]; heads: number[] }>();
  for (let l = 0; l < L; l++) {
    const heads: number[] = [];
    for (let h = 0; h < H; h++) if (owner[l * H + h] === -1) heads.push(h);
    if (heads.length === 0) continue;
    const key = heads.join(',');
    const g = groups.get(key);
    if (g) g.layers.push(l);
    else groups.set(key, { layers: [l], heads });
  }
  return [...groups.values()];
}

const memo = new WeakMap<CheckContext, CoverageResult>();

export function resolveMaskRules(ctx: CheckContext): CoverageResult {
  const cached = memo.get(ctx);
  if (cached) return cached;
  const problems: Diagnostic[] = [];
  const result: CoverageResult = { rules: [], problems };
  memo.set(ctx, result);
  const { L, H } = ctx.sizes();
  const all = (n: number) => Array.from({ length: n }, (_, i) => i);
  const stmt = ctx.root.ast.statements.find((s) => s.kind === 'Mask' || s.kind === 'MaskBlock');
  if (!stmt) return result;
  if (stmt.kind === 'Mask') {
    result.rules.push({ layers: all(L), heads: all(H), expr: stmt.expr, span: stmt.span });
    return result;
  }
  const owner = new Int32Array(L * H).fill(-1);
  const reportedPairs = new Set<string>();
  let otherwise: MaskRule | null = null;
  let resolvedAll = true;
  for (const [i, rule] of stmt.rules.entries()) {
    const sel = rule.selector;
    if (sel.kind === 'Otherwise') {
      if (otherwise) {
        problems.push(diagnostic('duplicate-otherwise', 'only one otherwise rule is allowed', sel.span, {
          notes: [{ message: 'first otherwise here', span: otherwise.selector.span }],
        }));
      } else otherwise = rule;
      continue;
    }
    const layers = resolveRanges(ctx, sel.layers, L, 'layer', problems);
    const heads = resolveRanges(ctx, sel.heads, H, 'head', problems);
    if (!layers || !heads) { resolvedAll = false; continue; }
    if (layers.length === 0 || heads.length === 0) {
      problems.push(diagnostic('rule-covers-nothing', 'this rule covers no (layer, head) pair', sel.span));
      continue;
    }
    for (const l of layers) {
      for (const h of heads) {
        const prev = owner[l * H + h]!;
        if (prev >= 0) {
          const key = `${prev}:${i}`;
          if (!reportedPairs.has(key)) {
            reportedPairs.add(key);
            problems.push(diagnostic('rule-overlap', `(layer ${l}, head ${h}) is covered by two rules`, sel.span, {
              notes: [{ message: 'also covered by this rule', span: stmt.rules[prev]!.selector.span }],
              suggestion: { message: 'each (layer, head) must match exactly one rule; narrow one of the selectors' },
            }));
          }
          continue;
        }
        owner[l * H + h] = i;
      }
    }
    result.rules.push({ layers, heads, expr: rule.expr, span: rule.span });
  }
  if (!resolvedAll) return result;
  let uncovered = 0;
  let example: [number, number] | null = null;
  for (let l = 0; l < L; l++) {
    for (let h = 0; h < H; h++) {
      if (owner[l * H + h] === -1) {
        uncovered++;
        example ??= [l, h];
      }
    }
  }
  if (otherwise) {
    if (uncovered === 0) {
      problems.push(diagnostic('unreachable-otherwise', 'the otherwise rule covers nothing: the other rules cover every (layer, head)', otherwise.selector.span));
    } else {
      for (const rect of splitRemainder(owner, L, H)) result.rules.push({ ...rect, expr: otherwise.expr, span: otherwise.span });
    }
  } else if (example) {
    problems.push(diagnostic('rule-uncovered', `(layer ${example[0]}, head ${example[1]}) is covered by no rule${uncovered > 1 ? ` (and ${uncovered - 1} more pair${uncovered > 2 ? 's' : ''})` : ''}`, { ...stmt.span, end: stmt.span.offset + 4 }, {
      notes: [{ message: `with L = ${L} and H = ${H}` }],
      suggestion: { message: 'add a rule for them, or an `otherwise:` rule' },
    }));
  }
  return result;
}
