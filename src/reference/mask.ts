// The element-wise mask oracle: M(b, l, h, q, k) of an IR program at concrete sizes, as a
// predicate or as a dense [Nq * Nk] Uint8Array per (layer, head). Every later stage (analysis,
// CUDA, WGSL) is tested against this.
import type { IrProgram, Rule, Sizes } from '../ir/schema.ts';
import { compileExpr, nodeDependencies, type ExprFn } from './compile.ts';
import { resolveInputs, type QkData, type RuntimeInputs } from './runtime.ts';

export interface EvalOptions {
  /** Size overrides (rules are already resolved by the front end: keep H and L as compiled). */
  sizes?: Partial<Sizes>;
  /** Given runtime inputs, row-major `[B, ...dims]`. */
  inputs?: RuntimeInputs;
  /** Q and K, needed by lsh-initialised inputs and `topk_blocks`. */
  qk?: QkData;
  /** Default batch index for `element` / `dense` (default 0). */
  b?: number;
}

export interface MaskEvaluator {
  sizes: Sizes;
  /** The rule that applies to (l, h). */
  rule(l: number, h: number): Rule;
  /** The mask of (l, h) in batch b as a predicate over in-range (q, k). */
  element(l: number, h: number, b?: number): (q: number, k: number) => boolean;
  /** The mask of (l, h) in batch b, row-major `[Nq * Nk]`, 1 = allowed. */
  dense(l: number, h: number, b?: number): Uint8Array;
  /** The score modifier of (l, h) in batch b, or null when the pattern has none. */
  score(l: number, h: number, b?: number): ((s: number, q: number, k: number) => number) | null;
}

export function effectiveSizes(ir: IrProgram, override: Partial<Sizes> = {}): Sizes {
  return { ...ir.sizes, ...override };
}

export function evalMask(ir: IrProgram, opts: EvalOptions = {}): MaskEvaluator {
  const sizes = effectiveSizes(ir, opts.sizes);
  const deps = nodeDependencies(ir);
  const inputs = resolveInputs(ir, sizes, opts.inputs ?? {}, opts.qk);
  const byPair = new Map<number, Rule>();
  for (const rule of ir.rules) {
    for (const l of rule.layers) for (const h of rule.heads) byPair.set(l * sizes.H + h, rule);
  }
  const rule = (l: number, h: number): Rule => {
    const r = byPair.get(l * sizes.H + h);
    if (!r || l < 0 || l >= sizes.L || h < 0 || h >= sizes.H) {
      throw new Error(`no mask rule covers layer ${l}, head ${h} (L = ${sizes.L}, H = ${sizes.H})`);
    }
    return r;
  };
  const compiled = new Map<string, ExprFn>();
  const compile = (root: number, l: number, h: number, b: number): ExprFn => {
    const key = `${root}:${l}:${h}:${b}`;
    let f = compiled.get(key);
    if (!f) {
      f = compileExpr(ir, deps, root, { l, h, b, sizes, inputs, qk: opts.qk });
      compiled.set(key, f);
    }
    return f;
  };
  const b0 = opts.b ?? 0;

  return {
    sizes,
    rule,
    element(l, h, b = b0) {
      const f = compile(rule(l, h).mask, l, h, b);
      return (q, k) => f(q, k, 0) !== 0;
    },
    dense(l, h, b = b0) {
      const f = compile(rule(l, h).mask, l, h, b);
      const { Nq, Nk } = sizes;
      const out = new Uint8Array(Nq * Nk);
      for (let q = 0; q < Nq; q++) {
        const row = q * Nk;
        for (let k = 0; k < Nk; k++) out[row + k] = f(q, k, 0) !== 0 ? 1 : 0;
      }
      return out;
    },
    score(l, h, b = b0) {
      if (ir.score === null) return null;
      rule(l, h);
      const f = compile(ir.score, l, h, b);
      return (s, q, k) => f(q, k, s);
    },
  };
}

/**
 * Value of a head-level expression (one that uses only h, l, sizes: e.g. a random_blocks
 * seed) for a given (l, h). Throws when the expression depends on q, k or s.
 */
export function evalHeadLevel(ir: IrProgram, node: number, l: number, h: number, sizes: Partial<Sizes> = {}): number {
  const deps = nodeDependencies(ir);
  if (deps[node] !== 0) throw new Error(`IR node ${node} depends on q, k or s`);
  const bound = effectiveSizes(ir, sizes);
  const f = compileExpr(ir, deps, node, { l, h, b: 0, sizes: bound, inputs: new Map(), qk: undefined });
  return f(0, 0, 0);
}
