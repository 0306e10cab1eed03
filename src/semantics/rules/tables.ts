// Tables: dimensions, inline data or JSON file, shape and value types.
import type { CheckContext } from '../context.ts';
import { loadTable } from '../tables.ts';

export function tablesRule(ctx: CheckContext): void {
  for (const m of ctx.modules) {
    for (const s of ctx.activeStatements(m)) {
      if (s.kind !== 'Table') continue;
      for (const d of loadTable(ctx, s, m).problems) ctx.report({ ...d }, m);
    }
  }
}
