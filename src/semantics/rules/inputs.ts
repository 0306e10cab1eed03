// Runtime inputs: dimensions and the lsh initialiser.
import type { CheckContext } from '../context.ts';
import { resolveInput } from '../inputs.ts';

export function inputsRule(ctx: CheckContext): void {
  for (const m of ctx.modules) {
    for (const s of ctx.activeStatements(m)) {
      if (s.kind !== 'Input') continue;
      for (const d of resolveInput(ctx, s, m).problems) ctx.report(d, m);
    }
  }
}
