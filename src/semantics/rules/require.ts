// `require`: only the checks the analysis knows.
import { diagnostic } from '../../diagnostics/diagnostic.ts';
import type { CheckContext } from '../context.ts';
import { REQUIREMENTS } from '../../../grammar/tokens.ts';
import { closestName } from '../suggest.ts';

export function requireRule(ctx: CheckContext): void {
  const stmt = ctx.first(ctx.root, 'Require');
  for (const item of stmt?.items ?? []) {
    if ((REQUIREMENTS as readonly string[]).includes(item.name)) continue;
    const guess = closestName(item.name, REQUIREMENTS);
    ctx.report(diagnostic('unknown-requirement', `unknown requirement '${item.name}' (expected ${REQUIREMENTS.join(' or ')})`, item.span, {
      suggestion: guess ? { message: `did you mean '${guess}'?`, replacement: guess } : undefined,
    }), ctx.root);
  }
}
