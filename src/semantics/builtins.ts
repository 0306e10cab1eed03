// Signatures of the built-in functions and masks (grammar/SPEC.md, "Built-in functions" and
// "Built-in masks"), plus argument binding shared by the checker and the lowering. The
// desugaring into primitive operations lives in src/ir/desugar.ts.
import type { Arg, Expr, Ident } from '../syntax/ast.ts';
import { BUILTIN_FUNCTIONS, BUILTIN_MASKS } from '../../grammar/tokens.ts';

/** `num`: int or float; the call's type follows (see `BuiltinSignature.result`). */
export type ParamType = 'int' | 'float' | 'num' | 'bool';

export interface BuiltinParam {
  name: string;
  type: ParamType;
  default?: number | boolean;
  /** Must be a compile-time constant; `positive` also requires > 0. */
  constant?: 'any' | 'positive';
  /** May use only h, l, hkv, sizes and params (not q, k): a per-head constant. */
  headLevel?: boolean;
}

export interface BuiltinSignature {
  name: string;
  kind: 'function' | 'mask';
  params: BuiltinParam[];
  /** `join`: int when every `num` argument is int, else float. */
  result: 'int' | 'float' | 'bool' | 'join';
  /** May be written without parentheses (`causal`). */
  bare?: boolean;
}

const p = (name: string, type: ParamType, extra: Partial<BuiltinParam> = {}): BuiltinParam => ({ name, type, ...extra });
const BLOCK = p('block', 'int', { default: 64, constant: 'positive' });

export const BUILTINS: Record<string, BuiltinSignature> = {
  // numeric
  min: { name: 'min', kind: 'function', params: [p('a', 'num'), p('b', 'num')], result: 'join' },
  max: { name: 'max', kind: 'function', params: [p('a', 'num'), p('b', 'num')], result: 'join' },
  abs: { name: 'abs', kind: 'function', params: [p('a', 'num')], result: 'join' },
  clamp: { name: 'clamp', kind: 'function', params: [p('x', 'num'), p('lo', 'num'), p('hi', 'num')], result: 'join' },
  floor: { name: 'floor', kind: 'function', params: [p('x', 'float')], result: 'int' },
  ceil: { name: 'ceil', kind: 'function', params: [p('x', 'float')], result: 'int' },
  round: { name: 'round', kind: 'function', params: [p('x', 'float')], result: 'int' },
  tanh: { name: 'tanh', kind: 'function', params: [p('x', 'float')], result: 'float' },
  exp: { name: 'exp', kind: 'function', params: [p('x', 'float')], result: 'float' },
  log: { name: 'log', kind: 'function', params: [p('x', 'float')], result: 'float' },
  sqrt: { name: 'sqrt', kind: 'function', params: [p('x', 'float')], result: 'float' },
  softcap: { name: 'softcap', kind: 'function', params: [p('x', 'float'), p('c', 'float')], result: 'float' },
  alibi_slope: { name: 'alibi_slope', kind: 'function', params: [p('h', 'int')], result: 'float' },
  // masks
  causal: { name: 'causal', kind: 'mask', params: [], result: 'bool', bare: true },
  causal_bottom_right: { name: 'causal_bottom_right', kind: 'mask', params: [], result: 'bool', bare: true },
  window: { name: 'window', kind: 'mask', params: [p('left', 'int'), p('right', 'int', { default: 0 })], result: 'bool' },
  dilated: {
    name: 'dilated', kind: 'mask',
    params: [p('left', 'int'), p('dilation', 'int', { constant: 'positive' }), p('right', 'int', { default: 0 })],
    result: 'bool',
  },
  sinks: { name: 'sinks', kind: 'mask', params: [p('n', 'int')], result: 'bool' },
  global_queries: { name: 'global_queries', kind: 'mask', params: [p('n', 'int')], result: 'bool' },
  local_blocks: { name: 'local_blocks', kind: 'mask', params: [p('n', 'int'), BLOCK], result: 'bool' },
  vstride: {
    name: 'vstride', kind: 'mask',
    params: [p('stride', 'int', { constant: 'positive' }), BLOCK, p('offset', 'int', { default: 0 })],
    result: 'bool',
  },
  shard: { name: 'shard', kind: 'mask', params: [p('n', 'int', { constant: 'positive' }), BLOCK], result: 'bool' },
  prefix_lm: { name: 'prefix_lm', kind: 'mask', params: [p('n', 'int')], result: 'bool' },
  random_blocks: {
    name: 'random_blocks', kind: 'mask',
    params: [
      p('r', 'int', { constant: 'positive' }),
      BLOCK,
      p('seed', 'int', { default: 0, headLevel: true }),
      p('causal', 'bool', { default: false, constant: 'any' }),
    ],
    result: 'bool',
  },
  moa: { name: 'moa', kind: 'mask', params: [p('alpha', 'float'), p('beta', 'float')], result: 'bool' },
  topk_blocks: {
    name: 'topk_blocks', kind: 'mask',
    params: [p('k', 'int', { constant: 'positive' }), BLOCK, p('causal', 'bool', { default: true, constant: 'any' })],
    result: 'bool',
  },
};

// The word lists in grammar/tokens.ts (used for highlighting) and this table must agree.
for (const name of [...BUILTIN_FUNCTIONS, ...BUILTIN_MASKS]) {
  if (!BUILTINS[name]) throw new Error(`builtin ${name} has no signature`);
}

export function builtin(name: string): BuiltinSignature | undefined {
  return Object.hasOwn(BUILTINS, name) ? BUILTINS[name] : undefined;
}

export type ArgProblem =
  | { kind: 'positional-after-named'; arg: Arg }
  | { kind: 'too-many'; arg: Arg; max: number }
  | { kind: 'unknown-name'; name: Ident }
  | { kind: 'duplicate'; name: Ident; first: Arg }
  | { kind: 'missing'; param: BuiltinParam };

export interface BoundArgs {
  /** Argument expression per parameter name (absent: use the default). */
  values: Map<string, Expr>;
  problems: ArgProblem[];
}

/** Match call arguments to a signature's parameters: positional first, then by name. */
export function bindArguments(sig: BuiltinSignature, args: Arg[]): BoundArgs {
  const values = new Map<string, Expr>();
  const from = new Map<string, Arg>();
  const problems: ArgProblem[] = [];
  let seenNamed = false;
  let position = 0;
  for (const arg of args) {
    if (arg.name === null) {
      if (seenNamed) {
        problems.push({ kind: 'positional-after-named', arg });
        continue;
      }
      const param = sig.params[position++];
      if (!param) {
        problems.push({ kind: 'too-many', arg, max: sig.params.length });
        continue;
      }
      values.set(param.name, arg.value);
      from.set(param.name, arg);
    } else {
      seenNamed = true;
      const param = sig.params.find((q) => q.name === arg.name!.name);
      if (!param) {
        problems.push({ kind: 'unknown-name', name: arg.name });
        continue;
      }
      const first = from.get(param.name);
      if (first) {
        problems.push({ kind: 'duplicate', name: arg.name, first });
        continue;
      }
      values.set(param.name, arg.value);
      from.set(param.name, arg);
    }
  }
  // A misplaced argument probably meant a missing one: report only the misplacement.
  if (!problems.some((p) => p.kind === 'positional-after-named')) {
    for (const param of sig.params) {
      if (!values.has(param.name) && param.default === undefined) problems.push({ kind: 'missing', param });
    }
  }
  return { values, problems };
}

/** `window(left, right = 0)`: the signature as users read it in messages. */
export function signatureText(sig: BuiltinSignature): string {
  const params = sig.params.map((q) => (q.default === undefined ? q.name : `${q.name} = ${q.default}`));
  return `${sig.name}(${params.join(', ')})`;
}
