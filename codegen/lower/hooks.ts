// The `mask` and `score_mod` hooks of codegen/HOOKS.md as lowered functions: the mask of each
// rule behind a dispatch on (l, h) (only the rule's own expression is evaluated), and the
// score modifier (identity when the pattern has none).
import type { IrProgram } from '../../src/ir/schema.ts';
import type { BufferRegistry } from './buffers.ts';
import { dispatchSwitch, lowerDispatch } from './dispatch.ts';
import { coerce, ExprLowering, type PositionVar } from './expr.ts';
import { ref, type LBuffer, type LExpr, type LFunction, type LStmt } from './ir.ts';
import { commentText } from './text.ts';

const POS: Record<PositionVar, LExpr> = {
  b: ref('b', 'int'), l: ref('l', 'int'), h: ref('h', 'int'),
  q: ref('q', 'int'), k: ref('k', 'int'), s: ref('s', 'float'),
};

function freshNames(prefix = 't') {
  let n = 0;
  return () => `${prefix}${n++}`;
}

/** Rule index of every (l, h), row-major l * H + h. */
export function ruleOfPairs(ir: IrProgram, L: number, H: number): number[] {
  const out = new Array<number>(L * H).fill(0);
  ir.rules.forEach((r, i) => {
    for (const l of r.layers) for (const h of r.heads) if (l < L && h < H) out[l * H + h] = i;
  });
  return out;
}

export function lowerMaskHook(ir: IrProgram, buffers: BufferRegistry, extraTables: LBuffer[]): LFunction {
  const { L, H } = buffers.sizes;
  const fresh = freshNames();
  const groupOf = ruleOfPairs(ir, L, H);
  const bodies = new Map<number, LStmt[]>();
  for (const g of [...new Set(groupOf)].sort((a, b) => a - b)) {
    const rule = ir.rules[g];
    const lowering = new ExprLowering({ ir, buffers, vars: POS, fresh }, [rule.mask]);
    const value = lowering.lower(rule.mask);
    const where = rule.span ? ` (line ${rule.span.line})` : '';
    bodies.set(g, [
      { kind: 'comment', text: commentText(`rule ${g}${where}`) },
      ...lowering.stmts,
      { kind: 'return', value },
    ]);
  }
  const d = lowerDispatch(groupOf, H, 'rule_of_pair', 'pair');
  if (d.table) extraTables.push(d.table);
  return {
    name: 'mask',
    params: ['b', 'l', 'h', 'q', 'k'].map((name) => ({ name, type: 'int' as const })),
    outs: [],
    ret: 'bool',
    body: dispatchSwitch(d, groupOf, bodies),
  };
}

export function lowerScoreHook(ir: IrProgram, buffers: BufferRegistry): LFunction {
  const params = [{ name: 's', type: 'float' as const }, ...['b', 'l', 'h', 'q', 'k'].map((name) => ({ name, type: 'int' as const }))];
  if (ir.score === null) {
    return { name: 'score_mod', params, outs: [], ret: 'float', body: [{ kind: 'return', value: POS.s }] };
  }
  const lowering = new ExprLowering({ ir, buffers, vars: POS, fresh: freshNames() }, [ir.score]);
  const value = coerce(lowering.lower(ir.score), 'float');
  return { name: 'score_mod', params, outs: [], ret: 'float', body: [...lowering.stmts, { kind: 'return', value }] };
}
