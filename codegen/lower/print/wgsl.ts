// WGSL spelling of the lowered IR. Buffers are module-scope storage arrays named as the
// lowering names them; scalar parameters are fields of one uniform struct. The helper
// functions the printed code calls are in WGSL_EXPR_HELPERS (emitted once per module).
import type { LFunction, LType } from '../ir.ts';
import type { Syntax } from './printer.ts';

export function wgslFloat(v: number): string {
  const f = Math.fround(v);
  if (!Number.isFinite(f)) throw new Error('WGSL has no literal for a non-finite float');
  let s = Number.isInteger(f) && Math.abs(f) < 1e15 ? f.toFixed(1) : String(f);
  if (!/[.eE]/.test(s)) s += '.0';
  return f < 0 || s.startsWith('-') ? `(${s}f)` : `${s}f`;
}

export function wgslInt(v: number): string {
  if (v === -2147483648) return '(-2147483647i - 1i)';
  return v < 0 ? `(${v}i)` : `${v}i`;
}

export const WGSL_EXPR_HELPERS = `fn attnc_floordiv(a: i32, b: i32) -> i32 {
  if (b == 0i) { return 0i; }
  let q = a / b;
  if (q * b != a && ((a < 0i) != (b < 0i))) { return q - 1i; }
  return q;
}
fn attnc_floormod(a: i32, b: i32) -> i32 {
  if (b == 0i) { return 0i; }
  let r = a - (a / b) * b;
  if (r != 0i && ((r < 0i) != (b < 0i))) { return r + b; }
  return r;
}
fn attnc_floordivf(a: f32, b: f32) -> f32 {
  if (b == 0.0f) { return 0.0f; }
  return floor(a / b);
}
fn attnc_floormodf(a: f32, b: f32) -> f32 {
  if (b == 0.0f) { return 0.0f; }
  return a - b * floor(a / b);
}
fn attnc_round(x: f32) -> i32 {
  return i32(sign(x) * floor(abs(x) + 0.5f));
}
`;

export interface WgslOptions {
  /** Name of the uniform struct variable holding scalar parameters. */
  uniformVar: string;
  /** Where a lowered buffer lives: the merged storage array and an offset expression. */
  place?: (buffer: string) => { array: string; offset: string };
}

export function wgslSyntax(opts: WgslOptions): Syntax {
  const T: Record<LType, string> = { int: 'i32', float: 'f32', bool: 'bool' };
  const at = (buffer: string, index: string) => {
    const p = opts.place?.(buffer);
    return p ? `${p.array}[${p.offset} + ${index}]` : `${buffer}[${index}]`;
  };
  return {
    type: (t) => T[t],
    literal: (t, v) => (t === 'bool' ? String(v) : t === 'float' ? wgslFloat(v as number) : wgslInt(v as number)),
    param: (name) => `${opts.uniformVar}.${name}`,
    load: (buffer, index) => at(buffer, index),
    op(o, t, argTypes, a) {
      const f = t === 'float' || argTypes[0] === 'float';
      switch (o) {
        case 'floordiv': return `attnc_floordiv${f ? 'f' : ''}(${a[0]}, ${a[1]})`;
        case 'floormod': return `attnc_floormod${f ? 'f' : ''}(${a[0]}, ${a[1]})`;
        case 'shr': return `(${a[0]} >> u32(${a[1]}))`;
        case 'band': return `(${a[0]} & ${a[1]})`;
        case 'min': case 'max': case 'abs': case 'tanh': case 'exp': case 'log': case 'sqrt':
          return `${o}(${a.join(', ')})`;
        case 'floor': case 'ceil': return `i32(${o}(${a[0]}))`;
        case 'round': return `attnc_round(${a[0]})`;
        case 'tofloat': return `f32(${a[0]})`;
        case 'select': return `select(${a[2]}, ${a[1]}, ${a[0]})`;
        default: return null;
      }
    },
    letDecl: (name, t, value) => `let ${name}: ${T[t]} = ${value};`,
    memberLoop: (name, value, buffer, base, count) => [
      `var ${name}: bool = false;`,
      `for (var ${name}_i: i32 = 0i; ${name}_i < ${count}i; ${name}_i++) {`,
      `  let ${name}_e: i32 = ${at(buffer, `${base} + ${name}_i`)};`,
      `  ${name} = ${name} || (${name}_e == ${value} && ${name}_e >= 0i);`,
      `}`,
    ],
    varDecl: (name, value) => `var ${name}: i32 = ${value};`,
    out: (name, value) => `*${name} = ${value};`,
    switchCase: (values) => `case ${values.map((v) => `${v}i`).join(', ')}:`,
    switchDefault: 'default:',
    signature(fn: LFunction) {
      const params = [
        ...fn.params.map((p) => `${p.name}: ${T[p.type]}`),
        ...fn.outs.map((p) => `${p.name}: ptr<function, ${T[p.type]}>`),
      ];
      return `fn ${fn.name}(${params.join(', ')}) -> ${T[fn.ret]}`;
    },
  };
}
