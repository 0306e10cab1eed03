// The backward hook `score_mod_grad` (codegen/HOOKS.md "Backward hooks"): d score_mod / d s,
// derived symbolically from the pattern IR's score expression by forward-mode differentiation
// over its DAG. Primal subexpressions are lowered once by the same ExprLowering as score_mod
// (same buffers, same arithmetic) and reused; derivatives are built with the folding
// constructors, so an additive bias gives `return 1.0f`. Piecewise forms (select, min, max, abs)
// take the derivative of the branch taken, as autograd does; step functions of s (floor, ceil,
// round, //, %, table or input indices) have no useful derivative and are refused.
import type { IrNode, IrProgram } from '../../src/ir/schema.ts';
import type { BufferRegistry } from './buffers.ts';
import { mk } from './build.ts';
import { coerce, ExprLowering, type PositionVar } from './expr.ts';
import { lit, ref, type LExpr, type LFunction, type LStmt } from './ir.ts';

/** The score modifier uses a form of `s` the backward pass cannot differentiate. */
export class NotDifferentiableError extends Error {
  constructor(readonly form: string) {
    super(`the score modifier is not differentiable in s: ${form} of an expression of s (its derivative is 0 almost everywhere and undefined at the steps)`);
    this.name = 'NotDifferentiableError';
  }
}

const POS: Record<PositionVar, LExpr> = {
  b: ref('b', 'int'), l: ref('l', 'int'), h: ref('h', 'int'),
  q: ref('q', 'int'), k: ref('k', 'int'), s: ref('s', 'float'),
};

const STEP_OPS: Record<string, string> = { floor: 'floor', ceil: 'ceil', round: 'round', floordiv: 'floor division (//)', mod: 'modulo (%)' };

const F = (v: number) => lit('float', v);
const fadd = (a: LExpr, b: LExpr) => mk('add', 'float', a, b);
const fsub = (a: LExpr, b: LExpr) => mk('sub', 'float', a, b);
const fmul = (a: LExpr, b: LExpr) => mk('mul', 'float', coerce(a, 'float'), coerce(b, 'float'));
const fdiv = (a: LExpr, b: LExpr) => mk('fdiv', 'float', coerce(a, 'float'), coerce(b, 'float'));

class ScoreDerivative {
  private readonly primal: ExprLowering;
  private readonly dep = new Map<number, boolean>();
  private readonly grad = new Map<number, LExpr | null>();
  private readonly values = new Map<number, LExpr>();
  private n = 0;
  readonly fresh = () => `g${this.n++}`;

  constructor(private readonly ir: IrProgram, buffers: BufferRegistry, root: number) {
    this.primal = new ExprLowering({ ir, buffers, vars: POS, fresh: this.fresh }, [root]);
  }

  get stmts(): LStmt[] { return this.primal.stmts; }

  /** Does node `id` depend on s? */
  private depends(id: number): boolean {
    const hit = this.dep.get(id);
    if (hit !== undefined) return hit;
    const n = this.ir.nodes[id]!;
    let d = false;
    if (n.kind === 'var') d = n.name === 's';
    else if (n.kind === 'op' || n.kind === 'table' || n.kind === 'input') d = n.args.some((a) => this.depends(a));
    else if (n.kind === 'member') d = [n.value, ...n.args].some((a) => this.depends(a));
    this.dep.set(id, d);
    return d;
  }

  /** The primal value of node `id`, bound to a temporary (it is reused by the derivative). */
  private value(id: number): LExpr {
    const hit = this.values.get(id);
    if (hit) return hit;
    let e = this.primal.lower(id);
    if (e.kind !== 'lit' && e.kind !== 'ref' && e.kind !== 'param') {
      const name = this.fresh();
      this.primal.stmts.push({ kind: 'let', name, type: e.type, value: e });
      e = ref(name, e.type);
    }
    this.values.set(id, e);
    return e;
  }

  /** d node / d s as a float expression; null when the node does not depend on s. */
  d(id: number): LExpr | null {
    if (this.grad.has(id)) return this.grad.get(id)!;
    const g = this.depends(id) ? this.derive(id, this.ir.nodes[id]!) : null;
    this.grad.set(id, g);
    return g;
  }

  private dz(id: number): LExpr {
    return this.d(id) ?? F(0);
  }

  private derive(id: number, n: IrNode): LExpr | null {
    if (n.kind === 'var') return F(1);
    if (n.kind === 'table' || n.kind === 'input') throw new NotDifferentiableError(`an index of ${n.kind} '${n.name}'`);
    if (n.kind === 'member') throw new NotDifferentiableError(`membership in '${n.name}'`);
    if (n.kind !== 'op') return null;
    const [a, b, c] = n.args as [number, number, number];
    if (STEP_OPS[n.op]) throw new NotDifferentiableError(STEP_OPS[n.op]!);
    switch (n.op) {
      case 'add': return fadd(this.dz(a), this.dz(b));
      case 'sub': return fsub(this.dz(a), this.dz(b));
      case 'neg': return mk('neg', 'float', this.dz(a));
      case 'mul': {
        const da = this.d(a), db = this.d(b);
        const left = da ? fmul(da, this.value(b)) : F(0);
        const right = db ? fmul(this.value(a), db) : F(0);
        return fadd(left, right);
      }
      case 'div': {
        // (a / b)' = a' / b - (a / b) * b' / b
        const da = this.d(a), db = this.d(b);
        const vb = this.value(b);
        const left = da ? fdiv(da, vb) : F(0);
        if (!db) return left;
        return fsub(left, fdiv(fmul(this.value(id), db), vb));
      }
      case 'abs': return mk('select', 'float', mk('lt', 'bool', coerce(this.value(a), 'float'), F(0)), mk('neg', 'float', this.dz(a)), this.dz(a));
      case 'min': case 'max': {
        const cmp = n.op === 'min' ? 'le' : 'ge';
        return mk('select', 'float', mk(cmp, 'bool', coerce(this.value(a), 'float'), coerce(this.value(b), 'float')), this.dz(a), this.dz(b));
      }
      case 'tanh': {
        const t = this.value(id);
        return fmul(fsub(F(1), fmul(t, t)), this.dz(a));
      }
      case 'exp': return fmul(this.value(id), this.dz(a));
      case 'log': return fdiv(this.dz(a), this.value(a));
      case 'sqrt': return fdiv(this.dz(a), fmul(F(2), this.value(id)));
      case 'tofloat': return this.d(a);
      case 'select': {
        if (!this.d(b) && !this.d(c)) return F(0);
        return mk('select', 'float', this.value(a), this.dz(b), this.dz(c));
      }
      // comparisons and logic: bool results, used as select conditions (piecewise forms)
      default: return null;
    }
  }
}

const PARAMS = [{ name: 's', type: 'float' as const }, ...['b', 'l', 'h', 'q', 'k'].map((name) => ({ name, type: 'int' as const }))];

/**
 * `score_mod_grad(s, b, l, h, q, k)`: 1 when the pattern has no score modifier. Throws
 * NotDifferentiableError for step functions of s.
 */
export function lowerScoreGradHook(ir: IrProgram, buffers: BufferRegistry): LFunction {
  const fn = (body: LStmt[]): LFunction => ({ name: 'score_mod_grad', params: PARAMS, outs: [], ret: 'float', body });
  if (ir.score === null) return fn([{ kind: 'return', value: F(1) }]);
  const diff = new ScoreDerivative(ir, buffers, ir.score);
  const g = diff.d(ir.score) ?? F(0);
  return fn([...diff.stmts, { kind: 'return', value: coerce(g, 'float') }]);
}
