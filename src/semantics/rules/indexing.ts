// Indexing: a table or input takes one index per dimension; `x in arr[...]` takes one fewer
// (the last dimension is searched).
import { diagnostic } from '../../diagnostics/diagnostic.ts';
import type { CheckContext } from '../context.ts';
import { forEachExpr } from '../walk.ts';

export function indexingRule(ctx: CheckContext): void {
  forEachExpr(ctx, (e, root) => {
    if (e.kind !== 'Index' && e.kind !== 'In') return;
    const r = ctx.resolve(e.target, root.module);
    if (r.kind !== 'table' && r.kind !== 'input') return;
    if (e.kind === 'In' && r.kind !== 'input') return;
    const rank = r.decl.dims.length;
    const need = e.kind === 'Index' ? rank : rank - 1;
    if (e.indices.length !== need) {
      const decl = { message: `'${e.target.name}' is declared with ${rank} dimension${rank === 1 ? '' : 's'} here`, span: r.decl.span, file: r.module.isRoot ? undefined : r.module.file };
      const msg = e.kind === 'Index'
        ? `'${e.target.name}' takes ${need} ${need === 1 ? 'index' : 'indices'}, found ${e.indices.length}`
        : `'x in ${e.target.name}[...]' takes ${need} ${need === 1 ? 'index' : 'indices'} (all but the last dimension), found ${e.indices.length}`;
      ctx.report(diagnostic('wrong-index-count', msg, e.span, { notes: [decl] }), root.module);
    }
  });
}
