// The typed syntax tree: what the parser builds (grammar/parser.ts) and what the semantic
// checks, the lowering to IR and the formatter read. Every node carries the span of source
// text it came from, so any later diagnostic can point at it.

/** A source range: `offset`/`end` are character offsets (end exclusive); line/col are 1-based. */
export interface Span {
  offset: number;
  end: number;
  line: number;
  col: number;
}

export interface Ident {
  name: string;
  span: Span;
}

export type ScalarTypeName = 'int' | 'float' | 'bool';

export type BinaryOp =
  | '+' | '-' | '*' | '/' | '//' | '%'
  | '==' | '!=' | '<' | '<=' | '>' | '>='
  | 'and' | 'or' | 'except';

export type Expr =
  | { kind: 'Int'; value: number; raw: string; span: Span }
  | { kind: 'Float'; value: number; raw: string; span: Span }
  | { kind: 'Bool'; value: boolean; span: Span }
  | { kind: 'String'; value: string; raw: string; span: Span }
  /** A name, optionally namespaced: `ns.name`. */
  | NameExpr
  | { kind: 'Call'; callee: NameExpr; args: Arg[]; span: Span }
  | { kind: 'Index'; target: NameExpr; indices: Expr[]; span: Span }
  /** `value in target[indices]` */
  | { kind: 'In'; value: Expr; target: NameExpr; indices: Expr[]; span: Span }
  | { kind: 'Unary'; op: '-' | 'not'; operand: Expr; span: Span }
  | { kind: 'Binary'; op: BinaryOp; left: Expr; right: Expr; opSpan: Span; span: Span }
  | { kind: 'If'; cond: Expr; then: Expr; else: Expr; span: Span }
  | { kind: 'Paren'; expr: Expr; span: Span }
  /** `[a, b, ...]`: only as a table initialiser. */
  | { kind: 'List'; items: Expr[]; span: Span };

export interface NameExpr {
  kind: 'Name';
  ns: Ident | null;
  name: string;
  /** Span of the last identifier (the name itself). */
  nameSpan: Span;
  span: Span;
}

export interface Arg {
  name: Ident | null;
  value: Expr;
  span: Span;
}

export interface Range {
  start: Expr;
  /** Absent for `a`, `'open'` for `a..`. */
  end: Expr | 'open' | null;
  step: Expr | null;
  span: Span;
}

export type Selector =
  | { kind: 'Otherwise'; span: Span }
  | { kind: 'Select'; layers: Range[] | null; heads: Range[] | null; span: Span };

export interface MaskRule {
  selector: Selector;
  expr: Expr;
  span: Span;
}

export interface SizeEntry {
  name: Ident;
  value: Expr;
  span: Span;
}

export type TableInit =
  | { kind: 'Inline'; list: Expr }
  | { kind: 'Json'; path: Expr & { kind: 'String' }; key: Expr & { kind: 'String' }; span: Span };

export type Stmt =
  | { kind: 'Import'; path: Expr & { kind: 'String' }; alias: Ident | null; span: Span }
  | { kind: 'Sizes'; entries: SizeEntry[]; span: Span }
  | { kind: 'Param'; name: Ident; type: { name: ScalarTypeName; span: Span } | null; value: Expr; span: Span }
  | { kind: 'Block'; size: Expr; span: Span }
  | { kind: 'Table'; name: Ident; elemType: { name: ScalarTypeName; span: Span }; dims: Expr[]; init: TableInit; span: Span }
  | { kind: 'Input'; name: Ident; elemType: { name: ScalarTypeName; span: Span }; dims: Expr[]; init: (Expr & { kind: 'Call' }) | null; span: Span }
  | { kind: 'Let'; name: Ident; value: Expr; span: Span }
  | { kind: 'Mask'; expr: Expr; span: Span }
  | { kind: 'MaskBlock'; rules: MaskRule[]; span: Span }
  | { kind: 'Score'; expr: Expr; span: Span }
  | { kind: 'Require'; items: Ident[]; span: Span };

export type StmtKind = Stmt['kind'];
export type StmtOf<K extends StmtKind> = Extract<Stmt, { kind: K }>;

export interface Comment {
  text: string;
  span: Span;
}

export interface FileAst {
  kind: 'File';
  statements: Stmt[];
  comments: Comment[];
  /** Names declared by statements that failed to parse (to avoid cascading unknown-name errors). */
  unparsedNames: string[];
  span: Span;
}

export function joinSpans(a: Span, b: Span): Span {
  return { offset: a.offset, end: Math.max(a.end, b.end), line: a.line, col: a.col };
}

/** Direct sub-expressions of an expression, in source order. */
export function childExprs(e: Expr): Expr[] {
  switch (e.kind) {
    case 'Call': return e.args.map((a) => a.value);
    case 'Index': return e.indices;
    case 'In': return [e.value, ...e.indices];
    case 'Unary': return [e.operand];
    case 'Binary': return [e.left, e.right];
    case 'If': return [e.cond, e.then, e.else];
    case 'Paren': return [e.expr];
    case 'List': return e.items;
    default: return [];
  }
}

/** Every expression that appears directly in a statement, in source order. */
export function statementExprs(s: Stmt): Expr[] {
  switch (s.kind) {
    case 'Import': return [];
    case 'Sizes': return s.entries.map((e) => e.value);
    case 'Param': return [s.value];
    case 'Block': return [s.size];
    case 'Table': return [...s.dims, ...(s.init.kind === 'Inline' ? [s.init.list] : [])];
    case 'Input': return [...s.dims, ...(s.init ? [s.init] : [])];
    case 'Let': return [s.value];
    case 'Mask': return [s.expr];
    case 'MaskBlock':
      return s.rules.flatMap((r) => [...selectorExprs(r.selector), r.expr]);
    case 'Score': return [s.expr];
    case 'Require': return [];
  }
}

export function selectorExprs(sel: Selector): Expr[] {
  if (sel.kind === 'Otherwise') return [];
  const out: Expr[] = [];
  for (const r of [...(sel.layers ?? []), ...(sel.heads ?? [])]) {
    out.push(r.start);
    if (r.end && r.end !== 'open') out.push(r.end);
    if (r.step) out.push(r.step);
  }
  return out;
}

/** Pre-order walk over an expression tree (iterative: safe on any depth). */
export function walkExpr(root: Expr, visit: (e: Expr, parent: Expr | null) => void | false): void {
  const stack: Array<[Expr, Expr | null]> = [[root, null]];
  while (stack.length > 0) {
    const [e, parent] = stack.pop()!;
    if (visit(e, parent) === false) continue;
    const kids = childExprs(e);
    for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i]!, e]);
  }
}

/** Height of an expression tree, computed without recursion. */
export function exprDepth(root: Expr): number {
  let max = 0;
  const stack: Array<[Expr, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [e, d] = stack.pop()!;
    if (d > max) max = d;
    for (const c of childExprs(e)) stack.push([c, d + 1]);
  }
  return max;
}
