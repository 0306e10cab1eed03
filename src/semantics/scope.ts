// Symbols and scopes: what a name in an expression refers to. Each module has its own
// declarations plus those of its un-namespaced imports; `ns.name` looks into an aliased
// import. Position variables, sizes and built-ins are visible everywhere.
import type { StmtOf } from '../syntax/ast.ts';
import { POSITION_VARIABLES, SIZE_NAMES } from '../../grammar/tokens.ts';
import { builtin, type BuiltinSignature } from './builtins.ts';
import type { Module } from './modules.ts';

export type PositionVariable = (typeof POSITION_VARIABLES)[number];
export type SizeNameT = (typeof SIZE_NAMES)[number];

export type DeclSymbol =
  | { kind: 'param'; decl: StmtOf<'Param'>; module: Module; qualified: string }
  | { kind: 'table'; decl: StmtOf<'Table'>; module: Module; irName: string }
  | { kind: 'input'; decl: StmtOf<'Input'>; module: Module; irName: string }
  | { kind: 'let'; decl: StmtOf<'Let'>; module: Module };

export type SymbolRef =
  | { kind: 'var'; name: PositionVariable }
  | { kind: 'size'; name: SizeNameT }
  | DeclSymbol
  | { kind: 'builtin'; sig: BuiltinSignature };

export type Resolution =
  | SymbolRef
  | { kind: 'unknown' }
  | { kind: 'unknown-namespace' };

export interface ModuleScope {
  module: Module;
  /** Namespace path, e.g. ['ns'] for a module imported `as ns` (root: []). */
  path: string[];
  own: Map<string, DeclSymbol>;
  /** Own declarations plus those of un-namespaced imports (transitively). */
  visible: Map<string, DeclSymbol>;
  namespaces: Map<string, ModuleScope>;
  /**
   * Names that may exist but could not be read: of statements that failed to parse, or any
   * name at all ('*') when an un-namespaced import failed. Unknown names among them are not
   * reported again.
   */
  unreadable: Set<string>;
  /** Aliases of imports that failed. */
  failedAliases: Set<string>;
}

export function isPositionVariable(name: string): name is PositionVariable {
  return (POSITION_VARIABLES as readonly string[]).includes(name);
}
export function isSizeName(name: string): name is SizeNameT {
  return (SIZE_NAMES as readonly string[]).includes(name);
}

/** Build the scope of every module (the root's namespace path is empty). */
export function buildScopes(modules: Module[], root: Module): Map<Module, ModuleScope> {
  const scopes = new Map<Module, ModuleScope>();
  const build = (m: Module, path: string[]): ModuleScope => {
    const existing = scopes.get(m);
    if (existing) return existing;
    const scope: ModuleScope = {
      module: m, path, own: new Map(), visible: new Map(), namespaces: new Map(),
      unreadable: new Set(m.ast.unparsedNames), failedAliases: new Set(),
    };
    scopes.set(m, scope);
    for (const s of m.ast.statements) {
      const qualified = [...path, ''].join('.');
      let sym: DeclSymbol | null = null;
      if (s.kind === 'Param') sym = { kind: 'param', decl: s, module: m, qualified: qualified + s.name.name };
      else if (s.kind === 'Table') sym = { kind: 'table', decl: s, module: m, irName: [...path, s.name.name].join('__') };
      else if (s.kind === 'Input') sym = { kind: 'input', decl: s, module: m, irName: [...path, s.name.name].join('__') };
      else if (s.kind === 'Let') sym = { kind: 'let', decl: s, module: m };
      if (sym && !scope.own.has(sym.decl.name.name)) scope.own.set(sym.decl.name.name, sym);
    }
    for (const [name, sym] of scope.own) scope.visible.set(name, sym);
    for (const edge of m.imports) {
      if (!edge.module) {
        if (edge.alias) scope.failedAliases.add(edge.alias);
        else scope.unreadable.add('*');
        continue;
      }
      if (edge.alias) {
        scope.namespaces.set(edge.alias, build(edge.module, [...path, edge.alias]));
      } else {
        const inner = build(edge.module, path);
        for (const [name, sym] of inner.visible) if (!scope.visible.has(name)) scope.visible.set(name, sym);
        for (const name of inner.unreadable) scope.unreadable.add(name);
      }
    }
    return scope;
  };
  build(root, []);
  for (const m of modules) build(m, []);
  return scopes;
}

/** Every name an expression in `scope` could refer to (for "did you mean"). */
export function namesInScope(scope: ModuleScope): string[] {
  return [...POSITION_VARIABLES, ...SIZE_NAMES, ...scope.visible.keys(), ...scope.namespaces.keys()];
}

export function resolveIn(scope: ModuleScope, ns: string | null, name: string): Resolution {
  if (ns !== null) {
    const inner = scope.namespaces.get(ns);
    if (!inner) return { kind: 'unknown-namespace' };
    return inner.visible.get(name) ?? { kind: 'unknown' };
  }
  if (isPositionVariable(name)) return { kind: 'var', name };
  if (isSizeName(name)) return { kind: 'size', name };
  const sym = scope.visible.get(name);
  if (sym) return sym;
  const sig = builtin(name);
  if (sig) return { kind: 'builtin', sig };
  return { kind: 'unknown' };
}
