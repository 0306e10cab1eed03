// Smart constructors for the lowered expression IR: constant folding with the kernels'
// arithmetic and the algebraic identities that keep the emitted hooks small (sizes are
// literals here, so most index arithmetic folds away). Floor division / modulo by a positive
// power of two become shifts and masks, which are exact for int32 in both backends.
import { applyOp } from './eval.ts';
import { lit, type LExpr, type LOp, type LType } from './ir.ts';

const isLit = (e: LExpr): e is Extract<LExpr, { kind: 'lit' }> => e.kind === 'lit';
const litIs = (e: LExpr, v: number | boolean) => isLit(e) && e.value === v;

export function mk(o: LOp, type: LType, ...args: LExpr[]): LExpr {
  if (args.every(isLit) && !(type === 'float' && ['exp', 'log', 'tanh', 'sqrt'].includes(o))) {
    return lit(type, applyOp(o, type, args.map((a) => (a as { value: number | boolean }).value)));
  }
  const [a, b] = args;
  const intType = type === 'int';
  switch (o) {
    case 'add':
      if (litIs(b, 0)) return a;
      if (litIs(a, 0)) return b;
      break;
    case 'sub':
      if (litIs(b, 0)) return a;
      break;
    case 'mul':
      if (litIs(b, 1)) return a;
      if (litIs(a, 1)) return b;
      if (intType && (litIs(a, 0) || litIs(b, 0))) return lit('int', 0);
      break;
    case 'floordiv':
    case 'floormod':
      if (intType && isLit(b)) {
        const d = b.value as number;
        if (d === 0) return lit('int', 0);
        if (d === 1) return o === 'floordiv' ? a : lit('int', 0);
        if (d > 0 && (d & (d - 1)) === 0) {
          return o === 'floordiv'
            ? { kind: 'op', op: 'shr', type: 'int', args: [a, lit('int', Math.log2(d))] }
            : { kind: 'op', op: 'band', type: 'int', args: [a, lit('int', d - 1)] };
        }
      }
      break;
    case 'and':
      if (litIs(a, false) || litIs(b, false)) return lit('bool', false);
      if (litIs(a, true)) return b;
      if (litIs(b, true)) return a;
      break;
    case 'or':
      if (litIs(a, true) || litIs(b, true)) return lit('bool', true);
      if (litIs(a, false)) return b;
      if (litIs(b, false)) return a;
      break;
    case 'select':
      if (isLit(a)) return a.value ? b : args[2];
      break;
  }
  return { kind: 'op', op: o, type, args };
}

export const add = (a: LExpr, b: LExpr) => mk('add', 'int', a, b);
export const sub = (a: LExpr, b: LExpr) => mk('sub', 'int', a, b);
export const mul = (a: LExpr, b: LExpr) => mk('mul', 'int', a, b);
export const min = (a: LExpr, b: LExpr) => mk('min', 'int', a, b);
export const max = (a: LExpr, b: LExpr) => mk('max', 'int', a, b);
export const clampInt = (x: LExpr, lo: number, hi: number) => min(max(x, lit('int', lo)), lit('int', hi));
