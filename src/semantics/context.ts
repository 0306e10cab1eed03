// The checker's shared state: module graph, scopes, resolved sizes and params, and memoised
// queries (what a name refers to, an expression's type, its constant value, which position
// variables it uses). Queries never report; the rules in ./rules/ do, so each rule can run
// and be tested on its own.
import type { Expr, NameExpr, Stmt, StmtOf } from '../syntax/ast.ts';
import { walkExpr } from '../syntax/ast.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import type { Sizes } from '../ir/schema.ts';
import { bindArguments, builtin } from './builtins.ts';
import { inModule, type Module, type ModuleGraph } from './modules.ts';
import { buildScopes, resolveIn, type DeclSymbol, type ModuleScope, type Resolution, type SizeNameT } from './scope.ts';
import { joinNumeric, isNumeric, type ValueType } from './types.ts';

export interface CheckOptions {
  sizes?: Partial<Sizes>;
  set?: Record<string, number | boolean>;
  readFile?: (path: string) => string;
}

export interface ConstValue {
  type: 'int' | 'float' | 'bool';
  value: number | boolean;
}

export const DEFAULT_SIZES: Sizes = { Nq: 4096, Nk: 4096, H: 16, Hkv: 16, L: 1 };
export const MAX_SIZE = 2 ** 30;
/** Heads and layers are enumerated per (layer, head) rule, so they have a smaller bound. */
export const MAX_HEADS_LAYERS = 4096;

/** Largest allowed value of a size. */
export function maxSize(name: string): number {
  return name === 'H' || name === 'Hkv' || name === 'L' ? MAX_HEADS_LAYERS : MAX_SIZE;
}

/** Where an expression sits: decides whether `s` is allowed. */
export type ExprSite = 'mask' | 'score' | 'let' | 'constant';

/** Floor division and modulo on integers, `x // 0 = 0`, `x % 0 = 0` (grammar/SPEC.md). */
export function floorDiv(a: number, b: number): number {
  return b === 0 ? 0 : Math.floor(a / b);
}
export function floorMod(a: number, b: number): number {
  if (b === 0) return 0;
  const r = a % b;
  return r !== 0 && (r < 0) !== (b < 0) ? r + b : r;
}
/** Round half away from zero. */
export function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

export class CheckContext {
  readonly diagnostics: Diagnostic[];
  readonly graph: ModuleGraph;
  readonly root: Module;
  readonly modules: Module[];
  readonly scopes: Map<Module, ModuleScope>;
  readonly options: CheckOptions;

  private typeMemo = new Map<Expr, ValueType>();
  private typeInProgress = new Set<Expr>();
  private varsMemo = new Map<Expr, Set<string>>();
  /** Lets and params whose definitions refer to themselves. */
  readonly cyclic = new Set<Stmt>();
  private constInProgress = new Set<Stmt>();
  private paramMemo = new Map<Stmt, ConstValue | undefined>();
  private sizesMemo: Sizes | undefined;
  private partialSizes: Partial<Record<SizeNameT, number>> | undefined;

  constructor(graph: ModuleGraph, options: CheckOptions, diagnostics: Diagnostic[]) {
    this.graph = graph;
    this.root = graph.root;
    this.modules = graph.modules;
    this.options = options;
    this.diagnostics = diagnostics;
    this.scopes = buildScopes(graph.modules, graph.root);
  }

  report(d: Diagnostic, m: Module): void {
    this.diagnostics.push(inModule(d, m));
  }

  scope(m: Module): ModuleScope {
    return this.scopes.get(m)!;
  }

  /** Statements that take effect: all of the root's; an import's declarations only. */
  activeStatements(m: Module): Stmt[] {
    if (m.isRoot) return m.ast.statements;
    return m.ast.statements.filter((s) => s.kind === 'Param' || s.kind === 'Table' || s.kind === 'Input' || s.kind === 'Let' || s.kind === 'Import' || s.kind === 'Block');
  }

  first<K extends Stmt['kind']>(m: Module, kind: K): StmtOf<K> | undefined {
    return m.ast.statements.find((s) => s.kind === kind) as StmtOf<K> | undefined;
  }

  resolve(e: NameExpr, m: Module): Resolution {
    return resolveIn(this.scope(m), e.ns?.name ?? null, e.name);
  }

  /**
   * What a call's callee refers to. Functions live in their own namespace: `window(w)` calls
   * the built-in even where a param `window` exists (grammar/SPEC.md, "Names").
   */
  resolveCallee(e: NameExpr, m: Module): Resolution {
    const sig = e.ns === null ? builtin(e.name) : undefined;
    return sig ? { kind: 'builtin', sig } : this.resolve(e, m);
  }

  // ---- types ---------------------------------------------------------------------------

  typeOf(e: Expr, m: Module): ValueType {
    const memo = this.typeMemo.get(e);
    if (memo !== undefined) return memo;
    if (this.typeInProgress.has(e)) return 'error';
    this.typeInProgress.add(e);
    const t = this.computeType(e, m);
    this.typeInProgress.delete(e);
    this.typeMemo.set(e, t);
    return t;
  }

  symbolType(sym: Resolution): ValueType {
    switch (sym.kind) {
      case 'var': return sym.name === 's' ? 'float' : 'int';
      case 'size': return 'int';
      case 'param': return this.paramType(sym);
      case 'let': {
        if (this.constInProgress.has(sym.decl)) {
          this.cyclic.add(sym.decl);
          return 'error';
        }
        this.constInProgress.add(sym.decl);
        const t = this.typeOf(sym.decl.value, sym.module);
        this.constInProgress.delete(sym.decl);
        return t;
      }
      case 'builtin': return sym.sig.bare ? 'bool' : 'error';
      default: return 'error';
    }
  }

  paramType(sym: DeclSymbol & { kind: 'param' }): ValueType {
    if (sym.decl.type) return sym.decl.type.name;
    const v = this.paramValue(sym);
    return v ? v.type : 'error';
  }

  private computeType(e: Expr, m: Module): ValueType {
    switch (e.kind) {
      case 'Int': return 'int';
      case 'Float': return 'float';
      case 'Bool': return 'bool';
      case 'String':
      case 'List': return 'error';
      case 'Paren': return this.typeOf(e.expr, m);
      case 'Name': return this.symbolType(this.resolve(e, m));
      case 'Call': {
        const r = this.resolveCallee(e.callee, m);
        if (r.kind !== 'builtin') return 'error';
        const sig = r.sig;
        if (sig.result !== 'join') return sig.result;
        const bound = bindArguments(sig, e.args);
        let t: ValueType = 'int';
        for (const param of sig.params) {
          const arg = bound.values.get(param.name);
          if (!arg) continue;
          const at = this.typeOf(arg, m);
          if (!isNumeric(at)) return 'error';
          t = joinNumeric(t, at);
        }
        return t;
      }
      case 'Index': {
        const r = this.resolve(e.target, m);
        if (r.kind === 'table' || r.kind === 'input') return r.decl.elemType.name;
        return 'error';
      }
      case 'In': return 'bool';
      case 'Unary': {
        const t = this.typeOf(e.operand, m);
        if (e.op === 'not') return 'bool';
        return isNumeric(t) ? t : 'error';
      }
      case 'Binary': {
        switch (e.op) {
          case '+': case '-': case '*': case '//': case '%': {
            const a = this.typeOf(e.left, m), b = this.typeOf(e.right, m);
            if (!isNumeric(a) || !isNumeric(b)) return 'error';
            return joinNumeric(a, b);
          }
          case '/': return 'float';
          default: return 'bool';
        }
      }
      case 'If': {
        const a = this.typeOf(e.then, m), b = this.typeOf(e.else, m);
        if (isNumeric(a) && isNumeric(b)) return joinNumeric(a, b);
        return a === b ? a : 'error';
      }
    }
  }

  // ---- dependencies -------------------------------------------------------------------

  /**
   * Names of what an expression depends on, through lets: position variables ('q', 'k', 's',
   * ...), 'runtime' (runtime inputs), 'table' (static tables), 'unknown' (unresolved names).
   */
  uses(e: Expr, m: Module): Set<string> {
    const memo = this.varsMemo.get(e);
    if (memo) return memo;
    const out = new Set<string>();
    this.varsMemo.set(e, out); // a cycle sees a partial set; cycles are reported elsewhere
    walkExpr(e, (x) => {
      let name: NameExpr | null = null;
      if (x.kind === 'Name') name = x;
      else if (x.kind === 'Index' || x.kind === 'In') name = x.target;
      else if (x.kind === 'Call') {
        const r = this.resolveCallee(x.callee, m);
        if (r.kind === 'builtin') {
          if (r.sig.kind === 'mask') { out.add('q'); out.add('k'); }
          if (r.sig.name === 'shard' || r.sig.name === 'alibi_slope') out.add('h');
          if (r.sig.name === 'topk_blocks') out.add('runtime');
          if (r.sig.name === 'random_blocks' || r.sig.name === 'moa') out.add('h');
        } else out.add('unknown');
        return;
      }
      if (!name) return;
      const r = this.resolve(name, m);
      switch (r.kind) {
        case 'var':
          if (r.name === 'qb') out.add('q');
          else if (r.name === 'kb') out.add('k');
          else if (r.name === 'hkv') out.add('h');
          else out.add(r.name);
          break;
        case 'input': out.add('runtime'); break;
        case 'table': out.add('table'); break;
        case 'let': for (const u of this.uses(r.decl.value, r.module)) out.add(u); break;
        case 'builtin': if (r.sig.bare) { out.add('q'); out.add('k'); } break;
        case 'unknown': case 'unknown-namespace': out.add('unknown'); break;
        default: break;
      }
    });
    return out;
  }

  // ---- constants ----------------------------------------------------------------------

  sizes(): Sizes {
    if (this.sizesMemo) return this.sizesMemo;
    const values: Partial<Record<SizeNameT, number>> = {};
    this.partialSizes = values;
    const overrides = this.sizeOverrides();
    const stmt = this.first(this.root, 'Sizes');
    for (const entry of stmt?.entries ?? []) {
      const name = entry.name.name as SizeNameT;
      if (!['Nq', 'Nk', 'H', 'Hkv', 'L'].includes(name) || values[name] !== undefined) continue;
      if (overrides[name] !== undefined) {
        values[name] = overrides[name];
        continue;
      }
      const v = this.constValue(entry.value, this.root);
      if (v && v.type === 'int' && (v.value as number) > 0 && (v.value as number) <= maxSize(name)) values[name] = v.value as number;
    }
    const pick = (name: SizeNameT, fallback: number) => overrides[name] ?? values[name] ?? fallback;
    const Nq = pick('Nq', DEFAULT_SIZES.Nq);
    const Nk = pick('Nk', Nq);
    const H = pick('H', DEFAULT_SIZES.H);
    const Hkv = pick('Hkv', H);
    const L = pick('L', DEFAULT_SIZES.L);
    this.sizesMemo = { Nq, Nk, H, Hkv, L };
    this.partialSizes = undefined;
    return this.sizesMemo;
  }

  /** Size overrides from options and `set`, only the valid ones (sizesRule reports the rest). */
  sizeOverrides(): Partial<Record<SizeNameT, number>> {
    const out: Partial<Record<SizeNameT, number>> = {};
    const valid = (k: string, v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= maxSize(k);
    for (const [k, v] of Object.entries(this.options.sizes ?? {})) if (['Nq', 'Nk', 'H', 'Hkv', 'L'].includes(k) && valid(k, v)) out[k as SizeNameT] = v;
    for (const [k, v] of Object.entries(this.options.set ?? {})) {
      if (['Nq', 'Nk', 'H', 'Hkv', 'L'].includes(k) && valid(k, v)) out[k as SizeNameT] = v;
    }
    return out;
  }

  private sizeValue(name: SizeNameT): number | undefined {
    if (this.partialSizes) return this.partialSizes[name];
    return this.sizes()[name];
  }

  /** Value of a param: its `--set` override if valid, else its default (undefined if not constant). */
  paramValue(sym: DeclSymbol & { kind: 'param' }): ConstValue | undefined {
    if (this.paramMemo.has(sym.decl)) return this.paramMemo.get(sym.decl);
    if (this.constInProgress.has(sym.decl)) {
      this.cyclic.add(sym.decl);
      return undefined;
    }
    this.constInProgress.add(sym.decl);
    let v = this.constValue(sym.decl.value, sym.module);
    this.constInProgress.delete(sym.decl);
    const declared = sym.decl.type?.name;
    if (v && declared === 'float' && v.type === 'int') v = { type: 'float', value: v.value };
    if (v && declared && v.type !== declared) v = undefined;
    const override = this.options.set?.[sym.qualified];
    if (override !== undefined && v) {
      const ov = coerceOverride(override, v.type);
      if (ov) v = ov;
    }
    this.paramMemo.set(sym.decl, v);
    return v;
  }

  /** Compile-time value of an expression, or undefined when it is not a constant. */
  constValue(e: Expr, m: Module): ConstValue | undefined {
    switch (e.kind) {
      case 'Int': return { type: 'int', value: e.value };
      case 'Float': return { type: 'float', value: e.value };
      case 'Bool': return { type: 'bool', value: e.value };
      case 'Paren': return this.constValue(e.expr, m);
      case 'Name': {
        const r = this.resolve(e, m);
        if (r.kind === 'size') {
          const v = this.sizeValue(r.name);
          return v === undefined ? undefined : { type: 'int', value: v };
        }
        if (r.kind === 'param') return this.paramValue(r);
        if (r.kind === 'let') {
          if (this.constInProgress.has(r.decl)) {
            this.cyclic.add(r.decl);
            return undefined;
          }
          this.constInProgress.add(r.decl);
          const v = this.constValue(r.decl.value, r.module);
          this.constInProgress.delete(r.decl);
          return v;
        }
        return undefined;
      }
      case 'Unary': {
        const v = this.constValue(e.operand, m);
        if (!v) return undefined;
        if (e.op === 'not') return v.type === 'bool' ? { type: 'bool', value: !v.value } : undefined;
        return v.type === 'bool' ? undefined : { type: v.type, value: -(v.value as number) };
      }
      case 'Binary': return this.constBinary(e, m);
      case 'If': {
        const c = this.constValue(e.cond, m);
        if (!c || c.type !== 'bool') return undefined;
        const a = this.constValue(e.then, m), b = this.constValue(e.else, m);
        if (!a || !b) return undefined;
        const chosen = c.value ? a : b;
        const t = a.type === b.type ? a.type : a.type !== 'bool' && b.type !== 'bool' ? 'float' : undefined;
        return t ? { type: t, value: chosen.value } : undefined;
      }
      case 'Call': {
        const r = this.resolveCallee(e.callee, m);
        if (r.kind !== 'builtin' || r.sig.kind !== 'function' || r.sig.name === 'alibi_slope') return undefined;
        const bound = bindArguments(r.sig, e.args);
        if (bound.problems.length > 0) return undefined;
        const args: ConstValue[] = [];
        for (const param of r.sig.params) {
          const arg = bound.values.get(param.name);
          const v = arg ? this.constValue(arg, m) : undefined;
          if (!v || v.type === 'bool') return undefined;
          args.push(v);
        }
        return evalNumericBuiltin(r.sig.name, args);
      }
      default: return undefined;
    }
  }

  private constBinary(e: Expr & { kind: 'Binary' }, m: Module): ConstValue | undefined {
    const a = this.constValue(e.left, m);
    if (!a) return undefined;
    // Short-circuit so `false and x` is constant even when x is not.
    if (e.op === 'and' && a.value === false) return { type: 'bool', value: false };
    if (e.op === 'or' && a.value === true) return { type: 'bool', value: true };
    if (e.op === 'except' && a.value === false) return { type: 'bool', value: false };
    const b = this.constValue(e.right, m);
    if (!b) return undefined;
    return evalBinary(e.op, a, b);
  }

  /** The module's block size (`block N`), if declared and valid. */
  blockSize(m: Module): number | undefined {
    const b = this.first(m, 'Block');
    if (!b) return undefined;
    const v = this.constValue(b.size, m);
    return v && v.type === 'int' && (v.value as number) > 0 ? (v.value as number) : undefined;
  }
}

export function coerceOverride(v: number | boolean, type: ConstValue['type']): ConstValue | undefined {
  if (type === 'bool') return typeof v === 'boolean' ? { type, value: v } : undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
  if (type === 'int') return Number.isInteger(v) ? { type, value: v } : undefined;
  return { type, value: v };
}

export function evalBinary(op: string, a: ConstValue, b: ConstValue): ConstValue | undefined {
  const bothInt = a.type === 'int' && b.type === 'int';
  const numeric = a.type !== 'bool' && b.type !== 'bool';
  const x = a.value as number, y = b.value as number;
  switch (op) {
    case '+': return numeric ? { type: bothInt ? 'int' : 'float', value: x + y } : undefined;
    case '-': return numeric ? { type: bothInt ? 'int' : 'float', value: x - y } : undefined;
    case '*': return numeric ? { type: bothInt ? 'int' : 'float', value: x * y } : undefined;
    case '/': return numeric ? { type: 'float', value: y === 0 ? 0 : x / y } : undefined;
    case '//': return numeric ? { type: bothInt ? 'int' : 'float', value: floorDiv(x, y) } : undefined;
    case '%': return numeric ? { type: bothInt ? 'int' : 'float', value: floorMod(x, y) } : undefined;
    case '==': return a.type === 'bool' || b.type === 'bool' ? (a.type === b.type ? { type: 'bool', value: a.value === b.value } : undefined) : { type: 'bool', value: x === y };
    case '!=': return a.type === 'bool' || b.type === 'bool' ? (a.type === b.type ? { type: 'bool', value: a.value !== b.value } : undefined) : { type: 'bool', value: x !== y };
    case '<': return numeric ? { type: 'bool', value: x < y } : undefined;
    case '<=': return numeric ? { type: 'bool', value: x <= y } : undefined;
    case '>': return numeric ? { type: 'bool', value: x > y } : undefined;
    case '>=': return numeric ? { type: 'bool', value: x >= y } : undefined;
    case 'and': return a.type === 'bool' && b.type === 'bool' ? { type: 'bool', value: (a.value && b.value) as boolean } : undefined;
    case 'or': return a.type === 'bool' && b.type === 'bool' ? { type: 'bool', value: (a.value || b.value) as boolean } : undefined;
    case 'except': return a.type === 'bool' && b.type === 'bool' ? { type: 'bool', value: (a.value && !b.value) as boolean } : undefined;
    default: return undefined;
  }
}

export function evalNumericBuiltin(name: string, args: ConstValue[]): ConstValue | undefined {
  const xs = args.map((a) => a.value as number);
  const allInt = args.every((a) => a.type === 'int');
  const join = allInt ? 'int' : 'float';
  switch (name) {
    case 'min': return { type: join, value: Math.min(xs[0]!, xs[1]!) };
    case 'max': return { type: join, value: Math.max(xs[0]!, xs[1]!) };
    case 'abs': return { type: join, value: Math.abs(xs[0]!) };
    case 'clamp': return { type: join, value: Math.min(Math.max(xs[0]!, xs[1]!), xs[2]!) };
    case 'floor': return { type: 'int', value: Math.floor(xs[0]!) };
    case 'ceil': return { type: 'int', value: Math.ceil(xs[0]!) };
    case 'round': return { type: 'int', value: roundHalfAway(xs[0]!) };
    case 'tanh': return { type: 'float', value: Math.tanh(xs[0]!) };
    case 'exp': return { type: 'float', value: Math.exp(xs[0]!) };
    case 'log': return { type: 'float', value: Math.log(xs[0]!) };
    case 'sqrt': return { type: 'float', value: Math.sqrt(xs[0]!) };
    case 'softcap': return { type: 'float', value: xs[1]! * Math.tanh(xs[0]! / xs[1]!) };
    default: return undefined;
  }
}

/** Re-export for rules that need argument binding. */
export { bindArguments, builtin };
