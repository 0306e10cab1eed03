// AST -> IR (schema.ts), run only on programs without errors. Params are substituted, lets
// inlined, built-ins desugared (desugar.ts), sizes kept symbolic; the builder hash-conses,
// folds and normalises. The result is validated against the zod schema.
import type { Arg, Expr } from '../syntax/ast.ts';
import type { CheckContext } from '../semantics/context.ts';
import { bindArguments, builtin } from '../semantics/builtins.ts';
import type { Module } from '../semantics/modules.ts';
import type { DeclSymbol } from '../semantics/scope.ts';
import { resolveMaskRules } from '../semantics/coverage.ts';
import { loadTable } from '../semantics/tables.ts';
import { resolveInput } from '../semantics/inputs.ts';
import { patternName } from '../semantics/paths.ts';
import { REQUIREMENTS } from '../../grammar/tokens.ts';
import { IrBuilder, compactNodes } from './builder.ts';
import { desugarBuiltin } from './desugar.ts';
import { IrProgram, type InputDecl, type ParamValue, type TableDecl, type OpName } from './schema.ts';

const BINARY_OPS: Record<string, OpName> = {
  '+': 'add', '-': 'sub', '*': 'mul', '/': 'div', '//': 'floordiv', '%': 'mod',
  '==': 'eq', '!=': 'ne', '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge', and: 'and', or: 'or',
};

export class Lowering {
  readonly b = new IrBuilder();
  private letMemo = new Map<unknown, number>();
  readonly usedTables = new Map<string, DeclSymbol & { kind: 'table' }>();
  readonly usedInputs = new Map<string, DeclSymbol & { kind: 'input' }>();

  constructor(private readonly ctx: CheckContext) {}

  expr(e: Expr, m: Module): number {
    const b = this.b;
    switch (e.kind) {
      case 'Int': return b.int(e.value);
      case 'Float': return b.float(e.value);
      case 'Bool': return b.bool(e.value);
      case 'Paren': return this.expr(e.expr, m);
      case 'Name': {
        const r = this.ctx.resolve(e, m);
        switch (r.kind) {
          case 'var':
            switch (r.name) {
              case 'hkv': return b.op('floordiv', [b.variable('h'), b.op('floordiv', [b.size('H'), b.size('Hkv')])]);
              case 'qb': return b.op('floordiv', [b.variable('q'), b.int(this.ctx.blockSize(m)!)]);
              case 'kb': return b.op('floordiv', [b.variable('k'), b.int(this.ctx.blockSize(m)!)]);
              default: return b.variable(r.name);
            }
          case 'size': return b.size(r.name);
          case 'param': {
            const v = this.ctx.paramValue(r)!;
            const t = this.ctx.paramType(r);
            return t === 'bool' ? b.bool(v.value as boolean) : t === 'float' ? b.float(v.value as number) : b.int(v.value as number);
          }
          case 'let': {
            const memo = this.letMemo.get(r.decl);
            if (memo !== undefined) return memo;
            const id = this.expr(r.decl.value, r.module);
            this.letMemo.set(r.decl, id);
            return id;
          }
          case 'builtin': return this.call(r.sig.name, [], m);
          default: throw new Error(`cannot lower name '${e.name}'`);
        }
      }
      case 'Call': {
        const r = this.ctx.resolveCallee(e.callee, m);
        if (r.kind !== 'builtin') throw new Error(`cannot lower call of '${e.callee.name}'`);
        return this.call(r.sig.name, e.args, m);
      }
      case 'Index': {
        const r = this.ctx.resolve(e.target, m);
        const args = e.indices.map((ix) => this.expr(ix, m));
        if (r.kind === 'table') {
          this.usedTables.set(r.irName, r);
          return b.add({ kind: 'table', name: r.irName, args, type: r.decl.elemType.name });
        }
        if (r.kind === 'input') {
          this.usedInputs.set(r.irName, r);
          return b.add({ kind: 'input', name: r.irName, args, type: r.decl.elemType.name });
        }
        throw new Error(`cannot index '${e.target.name}'`);
      }
      case 'In': {
        const r = this.ctx.resolve(e.target, m);
        if (r.kind !== 'input') throw new Error(`cannot search '${e.target.name}'`);
        this.usedInputs.set(r.irName, r);
        const value = this.expr(e.value, m);
        const args = e.indices.map((ix) => this.expr(ix, m));
        return b.add({ kind: 'member', name: r.irName, value, args });
      }
      case 'Unary': {
        const x = this.expr(e.operand, m);
        return b.op(e.op === 'not' ? 'not' : 'neg', [x]);
      }
      case 'Binary': {
        const x = this.expr(e.left, m);
        const y = this.expr(e.right, m);
        if (e.op === 'except') return b.op('and', [x, b.op('not', [y])]);
        return b.op(BINARY_OPS[e.op]!, [x, y]);
      }
      case 'If': {
        const c = this.expr(e.cond, m);
        return b.op('select', [c, this.expr(e.then, m), this.expr(e.else, m)]);
      }
      default:
        throw new Error(`cannot lower ${e.kind} expression`);
    }
  }

  private call(name: string, args: Arg[], m: Module): number {
    const found = builtin(name);
    if (!found) throw new Error(`unknown built-in ${name}`);
    const sig = { sig: found };
    const bound = bindArguments(sig.sig, args);
    const ids = new Map<string, number>();
    const lowerArg = (pname: string): number => {
      const cached = ids.get(pname);
      if (cached !== undefined) return cached;
      const param = sig.sig.params.find((p) => p.name === pname)!;
      const arg = bound.values.get(pname);
      let id: number;
      if (arg) id = this.expr(arg, m);
      else if (typeof param.default === 'boolean') id = this.b.bool(param.default);
      else id = this.b.int(param.default!);
      ids.set(pname, id);
      return id;
    };
    return desugarBuiltin(this.b, name, {
      id: lowerArg,
      constant: (pname) => {
        const param = sig.sig.params.find((p) => p.name === pname)!;
        const arg = bound.values.get(pname);
        if (!arg) return param.default!;
        return this.ctx.constValue(arg, m)!.value;
      },
    });
  }
}

/** Lower a checked program (no error diagnostics) to the IR. */
export function lowerProgram(ctx: CheckContext): IrProgram {
  const low = new Lowering(ctx);
  const root = ctx.root;
  const rules = resolveMaskRules(ctx).rules.map((r) => ({
    layers: r.layers,
    heads: r.heads,
    mask: low.expr(r.expr, root),
    span: { line: r.span.line, col: r.span.col },
  }));
  const scoreStmt = ctx.first(root, 'Score');
  const score = scoreStmt ? low.b.toFloat(low.expr(scoreStmt.expr, root)) : null;

  const params: ParamValue[] = [];
  const tables: TableDecl[] = [];
  const inputs: InputDecl[] = [];
  const seenParams = new Set<unknown>();
  const visitScope = (scope: ReturnType<CheckContext['scope']>) => {
    for (const sym of scope.visible.values()) {
      if (sym.kind === 'param' && !seenParams.has(sym.decl)) {
        seenParams.add(sym.decl);
        const v = ctx.paramValue(sym)!;
        const t = ctx.paramType(sym) as 'int' | 'float' | 'bool';
        params.push({ name: sym.qualified, type: t, value: v.value });
      }
      if (sym.module.isRoot && sym.kind === 'table') low.usedTables.set(sym.irName, sym);
      if (sym.module.isRoot && sym.kind === 'input') low.usedInputs.set(sym.irName, sym);
    }
    for (const inner of scope.namespaces.values()) visitScope(inner);
  };
  visitScope(ctx.scope(root));
  for (const [name, sym] of [...low.usedTables].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const t = loadTable(ctx, sym.decl, sym.module).value!;
    tables.push({ name, type: sym.decl.elemType.name, shape: t.shape, data: t.data });
  }
  for (const [name, sym] of [...low.usedInputs].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const v = resolveInput(ctx, sym.decl, sym.module).value!;
    inputs.push({ name, type: sym.decl.elemType.name, shape: v.shape, source: v.source });
  }
  const requireStmt = ctx.first(root, 'Require');
  const requires = REQUIREMENTS.filter((r) => requireStmt?.items.some((i) => i.name === r));

  const roots = [...rules.map((r) => r.mask), ...(score === null ? [] : [score])];
  const { nodes, remap } = compactNodes(low.b.nodes, roots);
  const program = {
    version: 1 as const,
    name: patternName(root.file),
    sizes: ctx.sizes(),
    params,
    tables,
    inputs,
    nodes,
    rules: rules.map((r) => ({ ...r, mask: remap(r.mask) })),
    score: score === null ? null : remap(score),
    requires,
  };
  return IrProgram.parse(program);
}
