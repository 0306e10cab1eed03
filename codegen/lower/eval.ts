// An interpreter for the lowered expression IR with the kernels' arithmetic (int32 wrap-around,
// float32 rounding). Used by constant folding and by the tests, which check lowered code by
// executing it against the reference evaluator.
import type { LExpr, LFunction, LOp, LStmt } from './ir.ts';

export type LValue = number | boolean;
export interface LEnv {
  vars: Map<string, LValue>;
  params: Record<string, number>;
  buffers: Record<string, ArrayLike<number>>;
}

const f32 = Math.fround;

export function floorDivInt(a: number, b: number): number {
  if (b === 0) return 0;
  return Math.floor(a / b) | 0;
}
export function floorModInt(a: number, b: number): number {
  if (b === 0) return 0;
  return (a - b * Math.floor(a / b)) | 0;
}

export function applyOp(o: LOp, type: string, a: LValue[]): LValue {
  const n = a as number[];
  const isF = type === 'float';
  const num = (x: number) => (isF ? f32(x) : x | 0);
  switch (o) {
    case 'add': return num(n[0] + n[1]);
    case 'sub': return num(n[0] - n[1]);
    case 'mul': return isF ? f32(n[0] * n[1]) : Math.imul(n[0], n[1]);
    case 'fdiv': return f32(n[0] / n[1]);
    case 'floordiv': return isF ? (n[1] === 0 ? 0 : f32(Math.floor(f32(n[0] / n[1])))) : floorDivInt(n[0], n[1]);
    case 'floormod': return isF ? (n[1] === 0 ? 0 : f32(n[0] - f32(n[1] * Math.floor(f32(n[0] / n[1]))))) : floorModInt(n[0], n[1]);
    case 'shr': return n[0] >> n[1];
    case 'band': return n[0] & n[1];
    case 'min': return Math.min(n[0], n[1]);
    case 'max': return Math.max(n[0], n[1]);
    case 'neg': return num(-n[0]);
    case 'abs': return num(Math.abs(n[0]));
    case 'floor': return Math.floor(n[0]) | 0;
    case 'ceil': return Math.ceil(n[0]) | 0;
    case 'round': return (Math.sign(n[0]) * Math.floor(Math.abs(n[0]) + 0.5)) | 0;
    case 'tofloat': return f32(n[0]);
    case 'tanh': return f32(Math.tanh(n[0]));
    case 'exp': return f32(Math.exp(n[0]));
    case 'log': return f32(Math.log(n[0]));
    case 'sqrt': return f32(Math.sqrt(n[0]));
    case 'eq': return a[0] === a[1];
    case 'ne': return a[0] !== a[1];
    case 'lt': return n[0] < n[1];
    case 'le': return n[0] <= n[1];
    case 'gt': return n[0] > n[1];
    case 'ge': return n[0] >= n[1];
    case 'and': return Boolean(a[0]) && Boolean(a[1]);
    case 'or': return Boolean(a[0]) || Boolean(a[1]);
    case 'not': return !a[0];
    case 'select': return a[0] ? a[1] : a[2];
  }
}

export function evalExpr(e: LExpr, env: LEnv): LValue {
  switch (e.kind) {
    case 'lit': return e.value;
    case 'ref': {
      const v = env.vars.get(e.name);
      if (v === undefined) throw new Error(`unbound ${e.name}`);
      return v;
    }
    case 'param': return env.params[e.name] ?? 0;
    case 'load': {
      const buf = env.buffers[e.buffer];
      const i = evalExpr(e.index, env) as number;
      if (!buf || i < 0 || i >= buf.length) throw new Error(`load ${e.buffer}[${i}] out of range`);
      return buf[i];
    }
    case 'op': return applyOp(e.op, e.type, e.args.map((x) => evalExpr(x, env)));
  }
}

type Flow = { returned: true; value: LValue } | { returned: false };

function run(body: LStmt[], env: LEnv, outs: Map<string, LValue>): Flow {
  for (const s of body) {
    switch (s.kind) {
      case 'let': env.vars.set(s.name, evalExpr(s.value, env)); break;
      case 'member': {
        const v = evalExpr(s.value, env) as number;
        const base = evalExpr(s.base, env) as number;
        const buf = env.buffers[s.buffer];
        let found = false;
        for (let i = 0; i < s.count; i++) if (buf[base + i] === v && buf[base + i] >= 0) found = true;
        env.vars.set(s.name, found);
        break;
      }
      case 'count_sorted': {
        const base = evalExpr(s.base, env) as number;
        const lo = evalExpr(s.lo, env) as number, hi = evalExpr(s.hi, env) as number;
        const buf = env.buffers[s.buffer];
        if (!buf || base < 0 || base + s.count > buf.length) throw new Error(`count_sorted ${s.buffer}[${base}..+${s.count}] out of range`);
        let n = 0;
        for (let i = 0; i < s.count; i++) if (buf[base + i] >= lo && buf[base + i] <= hi) n++;
        env.vars.set(s.name, n);
        break;
      }
      case 'return': return { returned: true, value: evalExpr(s.value, env) };
      case 'out': outs.set(s.name, evalExpr(s.value, env)); break;
      case 'if': {
        const f = run(evalExpr(s.cond, env) ? s.then : s.else, env, outs);
        if (f.returned) return f;
        break;
      }
      case 'switch': {
        const v = evalExpr(s.on, env) as number;
        const c = s.cases.find((x) => x.values.includes(v));
        const f = run(c ? c.body : s.otherwise, env, outs);
        if (f.returned) return f;
        break;
      }
      case 'comment': break;
    }
  }
  return { returned: false };
}

/** Call a lowered function; returns its value and its output arguments. */
export function callFunction(
  fn: LFunction, args: Record<string, LValue>, ctx: Omit<LEnv, 'vars'>,
): { value: LValue; outs: Map<string, LValue> } {
  const env: LEnv = { ...ctx, vars: new Map(Object.entries(args)) };
  const outs = new Map<string, LValue>();
  const f = run(fn.body, env, outs);
  if (!f.returned) throw new Error(`${fn.name} did not return`);
  return { value: f.value, outs };
}
