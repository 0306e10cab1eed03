// Rule coverage: selectors in range, every (layer, head) covered by exactly one rule.
import type { CheckContext } from '../context.ts';
import { resolveMaskRules } from '../coverage.ts';

export function coverageRule(ctx: CheckContext): void {
  for (const d of resolveMaskRules(ctx).problems) ctx.report(d, ctx.root);
}
