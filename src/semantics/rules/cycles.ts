// Cyclic definitions: a let or param that refers to itself, directly or through others.
import { diagnostic } from '../../diagnostics/diagnostic.ts';
import type { Stmt } from '../../syntax/ast.ts';
import { walkExpr } from '../../syntax/ast.ts';
import type { CheckContext } from '../context.ts';
import type { Module } from '../modules.ts';

export function cyclesRule(ctx: CheckContext): void {
  type Node = { decl: Stmt & { kind: 'Let' | 'Param' }; module: Module };
  const edges = new Map<Stmt, Node[]>();
  const nodes: Node[] = [];
  for (const m of ctx.modules) {
    for (const s of ctx.activeStatements(m)) {
      if (s.kind !== 'Let' && s.kind !== 'Param') continue;
      nodes.push({ decl: s, module: m });
      const out: Node[] = [];
      walkExpr(s.value, (e) => {
        if (e.kind !== 'Name') return;
        const r = ctx.resolve(e, m);
        if (r.kind === 'let' || r.kind === 'param') out.push({ decl: r.decl, module: r.module });
      });
      edges.set(s, out);
    }
  }
  const state = new Map<Stmt, 'active' | 'done'>();
  const reported = new Set<Stmt>();
  const path: Node[] = [];
  // Iterative DFS: definitions may chain deeply.
  for (const start of nodes) {
    if (state.has(start.decl)) continue;
    const stack: Array<{ node: Node; next: number }> = [{ node: start, next: 0 }];
    state.set(start.decl, 'active');
    path.push(start);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const succ = edges.get(top.node.decl) ?? [];
      if (top.next >= succ.length) {
        state.set(top.node.decl, 'done');
        stack.pop();
        path.pop();
        continue;
      }
      const n = succ[top.next++]!;
      const st = state.get(n.decl);
      if (st === 'active') {
        const cycle = path.slice(path.findIndex((p) => p.decl === n.decl));
        const head = cycle[0]!;
        if (!cycle.some((c) => reported.has(c.decl))) {
          for (const c of cycle) reported.add(c.decl);
          const names = [...cycle.map((c) => c.decl.name.name), head.decl.name.name];
          ctx.report(diagnostic('cyclic-definition', `'${head.decl.name.name}' is defined in terms of itself: ${names.join(' -> ')}`, head.decl.name.span, {
            notes: cycle.slice(1).map((c) => ({ message: `'${c.decl.name.name}' is defined here`, span: c.decl.name.span, file: c.module.isRoot ? undefined : c.module.file })),
          }), head.module);
        }
      } else if (st === undefined && edges.has(n.decl)) {
        state.set(n.decl, 'active');
        path.push(n);
        stack.push({ node: n, next: 0 });
      }
    }
  }
}
