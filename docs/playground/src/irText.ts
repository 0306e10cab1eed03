// Helpers for the hover explanation of the mask view: the readable text of an IR node (the
// front end's own IR printer) and the operands of a top-level `or` / `and`.
import { formatIrExpr } from '../../../src/ir/print.ts';
import type { IrProgram } from '../../../src/ir/schema.ts';

export function irText(ir: IrProgram, id: number, maxLength = 160): string {
  const text = formatIrExpr(ir, id);
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

/** Flattens nested `or` (or `and`) nodes into their operands. */
export function flatten(ir: IrProgram, id: number, op: 'or' | 'and'): number[] {
  const node = ir.nodes[id];
  if (node?.kind === 'op' && node.op === op) return node.args.flatMap((a) => flatten(ir, a, op));
  return [id];
}

export function opOf(ir: IrProgram, id: number): 'or' | 'and' | undefined {
  const node = ir.nodes[id];
  return node?.kind === 'op' && (node.op === 'or' || node.op === 'and') ? node.op : undefined;
}
