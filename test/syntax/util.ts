// Helpers shared by the syntax tests.
import type { IrProgram } from '../../src/ir/schema.ts';

/** The IR without source positions (formatting moves rules to other lines). */
export function irWithoutSpans(ir: IrProgram | null): unknown {
  if (!ir) return null;
  return { ...ir, rules: ir.rules.map(({ span: _span, ...r }) => r) };
}
