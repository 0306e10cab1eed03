// The formatter: AST (+ comments) -> canonical source. One statement per line, one rule per
// line inside `mask { }`, single spaces around binary operators, parentheses as written (plus
// any the precedence needs, for generated trees), comments kept (own-line comments before the
// next statement or rule, end-of-line comments after theirs), runs of blank lines collapsed to
// one. Idempotent: printing the printed text again gives the same text.
import type { Comment, Expr, FileAst, MaskRule, Range, Selector, Span, Stmt } from './ast.ts';

/** Binding strength of an expression's outermost form (grammar/SPEC.md precedence table). */
export function precedence(e: Expr): number {
  switch (e.kind) {
    case 'If': return 1;
    case 'Binary':
      switch (e.op) {
        case 'except': return 2;
        case 'or': return 3;
        case 'and': return 4;
        case '==': case '!=': case '<': case '<=': case '>': case '>=': return 6;
        case '+': case '-': return 7;
        default: return 8;
      }
    case 'Unary': return e.op === 'not' ? 5 : 9;
    case 'In': return 6;
    default: return 10;
  }
}

function wrap(e: Expr, min: number): string {
  const s = printExpr(e);
  return precedence(e) < min ? `(${s})` : s;
}

export function printExpr(e: Expr): string {
  switch (e.kind) {
    case 'Int': case 'Float': return e.raw;
    case 'Bool': return String(e.value);
    case 'String': return e.raw;
    case 'Name': return e.ns ? `${e.ns.name}.${e.name}` : e.name;
    case 'Call': return `${printExpr(e.callee)}(${e.args.map((a) => (a.name ? `${a.name.name} = ` : '') + printExpr(a.value)).join(', ')})`;
    case 'Index': return `${printExpr(e.target)}[${e.indices.map(printExpr).join(', ')}]`;
    case 'In': {
      const target = printExpr(e.target) + (e.indices.length ? `[${e.indices.map(printExpr).join(', ')}]` : '');
      return `${wrap(e.value, 7)} in ${target}`;
    }
    case 'Unary':
      return e.op === 'not' ? `not ${wrap(e.operand, 5)}` : `-${wrap(e.operand, 9)}`;
    case 'Binary': {
      const p = precedence(e);
      const leftMin = p === 6 ? 7 : p;
      return `${wrap(e.left, leftMin)} ${e.op} ${wrap(e.right, p + 1)}`;
    }
    case 'If': return `if ${printExpr(e.cond)} then ${printExpr(e.then)} else ${printExpr(e.else)}`;
    case 'Paren': return `(${printExpr(e.expr)})`;
    case 'List': return `[${e.items.map(printExpr).join(', ')}]`;
  }
}

function printRange(r: Range): string {
  let s = printExpr(r.start);
  if (r.end === 'open') s += '..';
  else if (r.end) s += `..${printExpr(r.end)}`;
  if (r.step) s += ` by ${printExpr(r.step)}`;
  return s;
}

function printSelector(sel: Selector): string {
  if (sel.kind === 'Otherwise') return 'otherwise';
  const parts: string[] = [];
  if (sel.layers) parts.push(`layers ${sel.layers.map(printRange).join(', ')}`);
  if (sel.heads) parts.push(`heads ${sel.heads.map(printRange).join(', ')}`);
  return parts.join(' ');
}

export function printRule(r: MaskRule): string {
  return `${printSelector(r.selector)}: ${printExpr(r.expr)}`;
}

/** A statement on one line (a mask block's rules are given by `rules`). */
function printStatementHead(s: Stmt): string {
  switch (s.kind) {
    case 'Import': return `import ${s.path.raw}${s.alias ? ` as ${s.alias.name}` : ''}`;
    case 'Sizes': return `sizes ${s.entries.map((e) => `${e.name.name} = ${printExpr(e.value)}`).join(', ')}`;
    case 'Param': return `param ${s.name.name}${s.type ? `: ${s.type.name}` : ''} = ${printExpr(s.value)}`;
    case 'Block': return `block ${printExpr(s.size)}`;
    case 'Table': {
      const init = s.init.kind === 'Inline' ? printExpr(s.init.list) : `json(${s.init.path.raw}, ${s.init.key.raw})`;
      return `table ${s.name.name}: ${s.elemType.name}[${s.dims.map(printExpr).join(', ')}] = ${init}`;
    }
    case 'Input': return `input ${s.name.name}: ${s.elemType.name}[${s.dims.map(printExpr).join(', ')}]${s.init ? ` = ${printExpr(s.init)}` : ''}`;
    case 'Let': return `let ${s.name.name} = ${printExpr(s.value)}`;
    case 'Mask': return `mask = ${printExpr(s.expr)}`;
    case 'MaskBlock': return 'mask {';
    case 'Score': return `score = ${printExpr(s.expr)}`;
    case 'Require': return `require ${s.items.map((i) => i.name).join(', ')}`;
  }
}

interface Attached {
  leading: Comment[];
  trailing: Comment | null;
  blankBefore: boolean;
}

/** Print a whole file. `source` (the parsed text) enables comments and blank-line keeping. */
export function printFile(ast: FileAst, source?: string): string {
  const lineOf = makeLineOf(source ?? '');
  const comments = source ? [...ast.comments] : [];
  let ci = 0;
  const out: string[] = [];
  let lastEndLine = -1;

  // Items in source order: statements, and each mask block's rules and closing brace.
  const take = (item: { span: Span }, firstItem: boolean): Attached => {
    const leading: Comment[] = [];
    while (ci < comments.length && comments[ci]!.span.offset < item.span.offset) leading.push(comments[ci++]!);
    // Comments inside the item's span that are not on its last line move in front of it.
    const lastLine = lineOf(item.span.end - 1);
    while (ci < comments.length && comments[ci]!.span.offset < item.span.end && lineOf(comments[ci]!.span.offset) < lastLine) leading.push(comments[ci++]!);
    const startLine = lineOf(leading[0]?.span.offset ?? item.span.offset);
    const blankBefore = !firstItem && source !== undefined && lastEndLine >= 0 && startLine > lastEndLine + 1 + blankLinesInside(leading, lineOf);
    return { leading, trailing: null, blankBefore };
  };
  const trailing = (end: number): Comment | null => {
    const endLine = lineOf(end - 1);
    if (ci < comments.length && lineOf(comments[ci]!.span.offset) === endLine && comments[ci]!.span.offset >= end - 1) {
      return comments[ci++]!;
    }
    return null;
  };
  const emit = (indent: string, text: string, a: Attached, t: Comment | null) => {
    if (a.blankBefore) out.push('');
    for (const c of a.leading) out.push(indent + c.text.trimEnd());
    out.push(indent + text + (t ? ` ${t.text.trimEnd()}` : ''));
  };

  for (const [i, s] of ast.statements.entries()) {
    if (s.kind !== 'MaskBlock') {
      const a = take(s, i === 0);
      emit('', printStatementHead(s), a, trailing(s.span.end));
      lastEndLine = lineOf(s.span.end - 1);
      continue;
    }
    const a = take({ span: { ...s.span, end: s.span.offset + 1 } }, i === 0);
    const braceLine = lineOf(s.span.offset);
    const headTrailing = ci < comments.length && lineOf(comments[ci]!.span.offset) === braceLine &&
      (s.rules.length === 0 || lineOf(s.rules[0]!.span.offset) !== braceLine) && comments[ci]!.span.offset < s.span.end ? comments[ci++]! : null;
    emit('', 'mask {', a, headTrailing);
    lastEndLine = braceLine;
    for (const [j, r] of s.rules.entries()) {
      const ra = take(r, j === 0);
      emit('  ', printRule(r), ra, trailing(r.span.end));
      lastEndLine = lineOf(r.span.end - 1);
    }
    // Comments before the closing brace.
    const closeOffset = s.span.end - 1;
    const inner: Comment[] = [];
    while (ci < comments.length && comments[ci]!.span.offset < closeOffset) inner.push(comments[ci++]!);
    for (const c of inner) out.push(`  ${c.text.trimEnd()}`);
    out.push('}' + (() => { const t = trailing(s.span.end); return t ? ` ${t.text.trimEnd()}` : ''; })());
    lastEndLine = lineOf(s.span.end - 1);
  }
  // Comments after the last statement.
  if (ci < comments.length) {
    const firstLine = lineOf(comments[ci]!.span.offset);
    if (out.length > 0 && firstLine > lastEndLine + 1) out.push('');
    while (ci < comments.length) out.push(comments[ci++]!.text.trimEnd());
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

function blankLinesInside(_leading: Comment[], _lineOf: (o: number) => number): number {
  return 0;
}

function makeLineOf(source: string): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13) {
      if (source.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  return (offset: number) => {
    let lo = 0, hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}
