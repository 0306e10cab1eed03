// Printing of the lowered IR: one statement walker shared by every backend; a `Syntax` supplies
// the backend's spelling (types, literals, operators, declarations). The CUDA and WGSL outputs
// therefore differ only in spelling, never in structure.
import type { LExpr, LFunction, LOp, LStmt, LType } from '../ir.ts';

export interface Syntax {
  type(t: LType): string;
  literal(t: LType, v: number | boolean): string;
  param(name: string): string;
  load(buffer: string, index: string): string;
  /** Operators: return null to use the shared infix table. */
  op(o: LOp, resultType: LType, argTypes: LType[], args: string[]): string | null;
  letDecl(name: string, t: LType, value: string): string;
  memberLoop(name: string, value: string, buffer: string, base: string, count: number): string[];
  /** Mutable int declaration (binary searches). */
  varDecl(name: string, value: string): string;
  out(name: string, value: string): string;
  switchCase(values: number[]): string;
  switchDefault: string;
  signature(fn: LFunction): string;
}

const INFIX: Partial<Record<LOp, string>> = {
  add: '+', sub: '-', mul: '*', fdiv: '/', eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=',
  and: '&&', or: '||',
};

export function printExpr(e: LExpr, syn: Syntax): string {
  switch (e.kind) {
    case 'lit': return syn.literal(e.type, e.value);
    case 'ref': return e.name;
    case 'param': return syn.param(e.name);
    case 'load': return syn.load(e.buffer, printExpr(e.index, syn));
    case 'op': {
      const args = e.args.map((a) => printExpr(a, syn));
      const special = syn.op(e.op, e.type, e.args.map((a) => a.type), args);
      if (special !== null) return special;
      const infix = INFIX[e.op];
      if (infix) return `(${args[0]} ${infix} ${args[1]})`;
      if (e.op === 'not') return `(!${args[0]})`;
      if (e.op === 'neg') return `(-${args[0]})`;
      throw new Error(`no spelling for ${e.op}`);
    }
  }
}

export function printStmts(body: LStmt[], syn: Syntax): string[] {
  const out: string[] = [];
  const block = (stmts: LStmt[]) => printStmts(stmts, syn).map((l) => '  ' + l);
  for (const s of body) {
    switch (s.kind) {
      case 'let': out.push(syn.letDecl(s.name, s.type, printExpr(s.value, syn))); break;
      case 'member':
        out.push(...syn.memberLoop(s.name, printExpr(s.value, syn), s.buffer, printExpr(s.base, syn), s.count));
        break;
      case 'count_sorted': out.push(...countSorted(s, syn)); break;
      case 'return': out.push(`return ${printExpr(s.value, syn)};`); break;
      case 'out': out.push(syn.out(s.name, printExpr(s.value, syn))); break;
      case 'comment': out.push(`// ${s.text.replace(/[\r\n]/g, ' ')}`); break;
      case 'if':
        out.push(`if (${printExpr(s.cond, syn)}) {`, ...block(s.then));
        if (s.else.length) out.push('} else {', ...block(s.else));
        out.push('}');
        break;
      case 'switch':
        out.push(`switch (${printExpr(s.on, syn)}) {`);
        for (const c of s.cases) out.push(`  ${syn.switchCase(c.values)} {`, ...block(c.body).map((l) => '  ' + l), '  }');
        out.push(`  ${syn.switchDefault} {`, ...block(s.otherwise).map((l) => '  ' + l), '  }', '}');
        break;
    }
  }
  return out;
}

/** Two lower-bound searches over an ascending run: the count of entries in [lo, hi]. */
function countSorted(s: Extract<LStmt, { kind: 'count_sorted' }>, syn: Syntax): string[] {
  const n = s.name;
  const at = (i: string) => syn.load(s.buffer, i);
  const search = (cmp: string) => [
    `while (${n}_a < ${n}_b) {`,
    `  ${syn.letDecl(`${n}_m`, 'int', `(${n}_a + ${n}_b) / ${syn.literal('int', 2)}`)}`,
    `  if (${at(`${n}_m`)} ${cmp}) { ${n}_a = ${n}_m + ${syn.literal('int', 1)}; } else { ${n}_b = ${n}_m; }`,
    `}`,
  ];
  const end = `${n}_base + ${syn.literal('int', s.count)}`;
  return [
    syn.letDecl(`${n}_base`, 'int', printExpr(s.base, syn)),
    syn.letDecl(`${n}_lo`, 'int', printExpr(s.lo, syn)),
    syn.letDecl(`${n}_hi`, 'int', printExpr(s.hi, syn)),
    syn.varDecl(`${n}_a`, `${n}_base`),
    syn.varDecl(`${n}_b`, end),
    ...search(`< ${n}_lo`),
    syn.letDecl(`${n}_first`, 'int', `${n}_a`),
    `${n}_b = ${end};`,
    ...search(`<= ${n}_hi`),
    syn.letDecl(n, 'int', `${n}_a - ${n}_first`),
  ];
}

export function printFunction(fn: LFunction, syn: Syntax): string {
  return [`${syn.signature(fn)} {`, ...printStmts(fn.body, syn).map((l) => '  ' + l), '}'].join('\n');
}
