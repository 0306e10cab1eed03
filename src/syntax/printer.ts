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

/** Print a whole file. `source` (the parsed text) enables comments and blank-line keeping. */
export function printFile(ast: FileAst, source?: string): string {
  const lineOf = makeLineOf(source ?? '');
  const comments = source !== undefined ? [...ast.comments] : [];
  let ci = 0;
  const out: string[] = [];
  /** Source line where the last printed thing ended (-1: nothing printed yet). */
  let prevEnd = -1;

  // One printed line for something that spans source lines [startLine, endLine]. A blank
  // source line before it becomes one blank line, except right after `{` or before `}`.
  const line = (indent: string, text: string, startLine: number, endLine: number) => {
    const last = out[out.length - 1];
    if (source !== undefined && prevEnd >= 0 && startLine > prevEnd + 1 && last !== undefined && !last.endsWith('{') && text !== '}') out.push('');
    out.push(indent + text);
    prevEnd = endLine;
  };
  const commentLine = (indent: string, c: Comment) => line(indent, c.text.trimEnd(), lineOf(c.span.offset), lineOf(c.span.offset));
  /** Own-line comments before `offset`, and those inside [offset, end) not on its last line. */
  const leading = (indent: string, offset: number, end: number) => {
    while (ci < comments.length && comments[ci]!.span.offset < offset) commentLine(indent, comments[ci++]!);
    const lastLine = lineOf(end - 1);
    while (ci < comments.length && comments[ci]!.span.offset < end && lineOf(comments[ci]!.span.offset) < lastLine) commentLine(indent, comments[ci++]!);
  };
  /** An end-of-line comment right after `end`. */
  const trailing = (end: number): Comment | null => {
    const endLine = lineOf(end - 1);
    const c = comments[ci];
    if (c && lineOf(c.span.offset) === endLine && c.span.offset >= end - 1) {
      ci++;
      return c;
    }
    return null;
  };
  const withTrailing = (text: string, t: Comment | null) => text + (t ? ` ${t.text.trimEnd()}` : '');

  for (const s of ast.statements) {
    if (s.kind !== 'MaskBlock') {
      leading('', s.span.offset, s.span.end);
      const t = trailing(s.span.end);
      line('', withTrailing(printStatementHead(s), t), lineOf(s.span.offset), lineOf(t ? t.span.offset : s.span.end - 1));
      continue;
    }
    leading('', s.span.offset, s.span.offset + 1);
    const braceLine = lineOf(s.span.offset);
    let head: Comment | null = null;
    const c = comments[ci];
    if (c && c.span.offset < s.span.end && lineOf(c.span.offset) === braceLine && (s.rules.length === 0 || lineOf(s.rules[0]!.span.offset) !== braceLine)) {
      head = c;
      ci++;
    }
    line('', withTrailing('mask {', head), braceLine, braceLine);
    for (const r of s.rules) {
      leading('  ', r.span.offset, r.span.end);
      const t = trailing(r.span.end);
      line('  ', withTrailing(printRule(r), t), lineOf(r.span.offset), lineOf(t ? t.span.offset : r.span.end - 1));
    }
    const close = s.span.end - 1;
    while (ci < comments.length && comments[ci]!.span.offset < close) commentLine('  ', comments[ci++]!);
    const t = trailing(s.span.end);
    line('', withTrailing('}', t), lineOf(close), lineOf(close));
  }
  while (ci < comments.length) commentLine('', comments[ci++]!);
  return out.length > 0 ? `${out.join('\n')}\n` : '';
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
