// C++ spelling of the lowered IR, for the CUDA specialisation header and for the host-side
// test harness (both include codegen/cuda/runtime/helpers/attnc_expr.cuh for the helpers).
import type { LFunction, LType } from '../ir.ts';
import type { Syntax } from './printer.ts';

export function cppFloat(v: number): string {
  const f = Math.fround(v);
  if (!Number.isFinite(f)) return Number.isNaN(f) ? 'ATTNC_NAN' : f > 0 ? 'ATTNC_INF' : '(-ATTNC_INF)';
  let s = Number.isInteger(f) && Math.abs(f) < 1e15 ? f.toFixed(1) : String(f);
  if (!/[.eE]/.test(s)) s += '.0';
  return f < 0 || s.startsWith('-') ? `(${s}f)` : `${s}f`;
}

export function cppInt(v: number): string {
  if (v === -2147483648) return '(-2147483647 - 1)';
  return v < 0 ? `(${v})` : String(v);
}

export interface CppOptions {
  /** Expression naming the parameter struct inside hooks, e.g. `P`. */
  paramsVar: string;
  /** Declaration prefix of every hook, e.g. `__device__ __forceinline__`. */
  qualifiers: string;
  /** Parameter declaration of the struct argument, e.g. `const PatternParams& P`. */
  paramsDecl: string | null;
  /** Read buffers through the read-only data cache (`__ldg`, device code only). */
  ldg?: boolean;
}

export function cppSyntax(opts: CppOptions): Syntax {
  const T: Record<LType, string> = { int: 'int', float: 'float', bool: 'bool' };
  return {
    type: (t) => T[t],
    literal: (t, v) => (t === 'bool' ? String(v) : t === 'float' ? cppFloat(v as number) : cppInt(v as number)),
    param: (name) => `${opts.paramsVar}.${name}`,
    load: (buffer, index) => (opts.ldg ? `__ldg(${opts.paramsVar}.${buffer} + ${index})` : `${opts.paramsVar}.${buffer}[${index}]`),
    op(o, t, argTypes, a) {
      const f = t === 'float' || argTypes[0] === 'float';
      switch (o) {
        case 'floordiv': return `attnc_floordiv${f ? 'f' : ''}(${a[0]}, ${a[1]})`;
        case 'floormod': return `attnc_floormod${f ? 'f' : ''}(${a[0]}, ${a[1]})`;
        case 'shr': return `(${a[0]} >> ${a[1]})`;
        case 'band': return `(${a[0]} & ${a[1]})`;
        case 'min': case 'max': case 'abs': return `attnc_${o}(${a.join(', ')})`;
        case 'floor': return `static_cast<int>(floorf(${a[0]}))`;
        case 'ceil': return `static_cast<int>(ceilf(${a[0]}))`;
        case 'round': return `attnc_round(${a[0]})`;
        case 'tofloat': return `static_cast<float>(${a[0]})`;
        case 'tanh': case 'exp': case 'log': case 'sqrt': return `${o}f(${a[0]})`;
        case 'select': return `(${a[0]} ? ${a[1]} : ${a[2]})`;
        default: return null;
      }
    },
    letDecl: (name, t, value) => `const ${T[t]} ${name} = ${value};`,
    memberLoop: (name, value, buffer, base, count) => [
      `bool ${name} = false;`,
      `for (int ${name}_i = 0; ${name}_i < ${count}; ++${name}_i) {`,
      `  const int ${name}_e = ${opts.ldg ? `__ldg(${opts.paramsVar}.${buffer} + ${base} + ${name}_i)` : `${opts.paramsVar}.${buffer}[${base} + ${name}_i]`};`,
      `  ${name} = ${name} || (${name}_e == ${value} && ${name}_e >= 0);`,
      `}`,
    ],
    varDecl: (name, value) => `int ${name} = ${value};`,
    out: (name, value) => `${name} = ${value};`,
    switchCase: (values) => values.map((v) => `case ${v}:`).join(' '),
    switchDefault: 'default:',
    signature(fn: LFunction) {
      const params = [
        ...(opts.paramsDecl ? [opts.paramsDecl] : []),
        ...fn.params.map((p) => `${T[p.type]} ${p.name}`),
        ...fn.outs.map((p) => `${T[p.type]}& ${p.name}`),
      ];
      return `${opts.qualifiers} ${T[fn.ret]} ${fn.name}(${params.join(', ')})`;
    },
  };
}
