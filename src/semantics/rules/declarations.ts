// Declarations: duplicate names, names that hide built-ins, statements allowed once, the
// required mask, and statements of imported files that have no effect.
import { diagnostic } from '../../diagnostics/diagnostic.ts';
import type { Ident, Stmt } from '../../syntax/ast.ts';
import type { CheckContext } from '../context.ts';
import { isPositionVariable, isSizeName, type DeclSymbol } from '../scope.ts';
import type { Module } from '../modules.ts';

const ONCE: Array<{ kinds: Stmt['kind'][]; word: string }> = [
  { kinds: ['Sizes'], word: 'sizes' },
  { kinds: ['Block'], word: 'block' },
  { kinds: ['Mask', 'MaskBlock'], word: 'mask' },
  { kinds: ['Score'], word: 'score' },
  { kinds: ['Require'], word: 'require' },
];

function declName(s: Stmt): Ident | null {
  return s.kind === 'Param' || s.kind === 'Table' || s.kind === 'Input' || s.kind === 'Let' ? s.name : null;
}

/** The declaration an un-namespaced import of `m` brings under `name`, if any. */
function importedSymbol(ctx: CheckContext, m: Module, name: string): DeclSymbol | undefined {
  for (const edge of m.imports) {
    if (!edge.module || edge.alias) continue;
    const sym = ctx.scope(edge.module).visible.get(name);
    if (sym) return sym;
  }
  return undefined;
}

export function declarationsRule(ctx: CheckContext): void {
  for (const m of ctx.modules) {
    const scope = ctx.scope(m);
    const seen = new Map<string, Ident>();
    for (const s of m.ast.statements) {
      const name = declName(s);
      if (!name) continue;
      const what = isPositionVariable(name.name) ? 'a position variable' : isSizeName(name.name) ? 'a size' : null;
      if (what) {
        ctx.report(diagnostic('reserved-name', `'${name.name}' is ${what} and cannot be redeclared`, name.span, {
          suggestion: { message: 'choose another name' },
        }), m);
        continue;
      }
      const first = seen.get(name.name);
      if (first) {
        ctx.report(diagnostic('duplicate-declaration', `'${name.name}' is already declared`, name.span, {
          notes: [{ message: 'first declared here', span: first.span }],
        }), m);
        continue;
      }
      seen.set(name.name, name);
      const visible = importedSymbol(ctx, m, name.name);
      if (visible && visible.decl !== s) {
        ctx.report(diagnostic('duplicate-declaration', `'${name.name}' is already declared by an import`, name.span, {
          notes: [{ message: `imported from '${visible.module.file ?? '<input>'}'`, span: visible.decl.name.span, file: visible.module.file }],
          suggestion: { message: 'rename it, or import the file under a namespace: import "..." as ns' },
        }), m);
      }
    }
    // Two un-namespaced imports that bring different declarations under one name.
    const fromImports = new Map<string, { stmt: Stmt; decl: Stmt }>();
    for (const edge of m.imports) {
      if (!edge.module || edge.alias) continue;
      const inner = ctx.scope(edge.module);
      for (const [name, sym] of inner.visible) {
        const prior = fromImports.get(name);
        if (prior && prior.decl !== sym.decl && !seen.has(name)) {
          ctx.report(diagnostic('duplicate-declaration', `'${name}' is declared by two imported files`, edge.stmt.span, {
            notes: [{ message: 'also imported here', span: prior.stmt.span }],
            suggestion: { message: 'import one of them under a namespace: import "..." as ns' },
          }), m);
        } else if (!prior) fromImports.set(name, { stmt: edge.stmt, decl: sym.decl });
      }
    }
    for (const once of ONCE) {
      const all = m.ast.statements.filter((s) => once.kinds.includes(s.kind));
      for (const extra of all.slice(1)) {
        ctx.report(diagnostic('duplicate-statement', `only one '${once.word}' statement is allowed`, extra.span, {
          notes: [{ message: 'first one here', span: all[0]!.span }],
        }), m);
      }
    }
    if (!m.isRoot) {
      for (const s of m.ast.statements) {
        if (s.kind === 'Mask' || s.kind === 'MaskBlock' || s.kind === 'Sizes' || s.kind === 'Score' || s.kind === 'Require') {
          const word = s.kind === 'MaskBlock' ? 'mask' : s.kind.toLowerCase();
          ctx.report(diagnostic('imported-statement-ignored', `'${word}' in an imported file is ignored`, s.span, {
            notes: [{ message: 'only the params, tables, inputs and lets of an imported file are used' }],
          }), m);
        }
      }
    }
  }
  if (!ctx.root.ast.statements.some((s) => s.kind === 'Mask' || s.kind === 'MaskBlock')) {
    const hasSyntaxErrors = ctx.diagnostics.some((d) => d.code.startsWith('E0') && d.file === undefined);
    if (!hasSyntaxErrors) {
      ctx.report(diagnostic('missing-mask', 'no mask statement: a compiled file needs `mask = ...` or `mask { ... }`', null, {
        suggestion: { message: 'add e.g. `mask = causal`' },
      }), ctx.root);
    }
  }
}
