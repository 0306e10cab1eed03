// Source text -> AST plus syntax diagnostics. Lexes, validates literals, then cuts the token
// stream into statements (each starts with a statement keyword) and parses each on its own,
// so one broken statement neither hides the errors of the others nor loses their AST. Inside
// `mask { ... }` the same is done per rule.
import type { IToken } from 'chevrotain';
import * as T from '../../grammar/tokens.ts';
import { attnParser, describeToken, tokenSpan } from '../../grammar/parser.ts';
import { exprDepth, statementExprs, type Comment, type FileAst, type MaskRule, type Span, type Stmt } from './ast.ts';
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.ts';

/** Deepest bracket nesting / longest run of prefix operators the parser accepts. */
export const MAX_NESTING = 64;
/** Deepest expression tree the later stages accept. */
export const MAX_EXPR_DEPTH = 500;
const MAX_LEX_ERRORS = 20;
const MAX_INT = 2 ** 31 - 1;

export interface ParseResult {
  ast: FileAst;
  diagnostics: Diagnostic[];
}

const K = T.KeywordTokens;
const STATEMENT_STARTS = new Set([K.import, K.sizes, K.param, K.table, K.input, K.let, K.mask, K.score, K.require, K.block]);

function isStatementStart(tokens: IToken[], i: number): boolean {
  const t = tokens[i]!;
  if (!STATEMENT_STARTS.has(t.tokenType)) return false;
  // `block = 32` is a named argument, not a block statement.
  if (t.tokenType === K.block && tokens[i + 1]?.tokenType === T.Equals) return false;
  return true;
}

function endToken(next: IToken | undefined, source: string): IToken {
  const offset = next ? next.startOffset : source.length;
  const pos = next ? { line: next.startLine ?? 1, col: next.startColumn ?? 1 } : eofPosition(source);
  return {
    image: next ? next.image : '',
    startOffset: offset,
    endOffset: offset,
    startLine: pos.line,
    startColumn: pos.col,
    endLine: pos.line,
    endColumn: pos.col,
    tokenTypeIdx: T.StatementEnd.tokenTypeIdx!,
    tokenType: T.StatementEnd,
  };
}

function eofPosition(source: string): { line: number; col: number } {
  const lines = source.split(/\r\n|\r|\n/);
  return { line: lines.length, col: lines[lines.length - 1]!.length + 1 };
}

function spanOfOffsets(source: string, offset: number, length: number, line: number, col: number): Span {
  return { offset, end: Math.min(source.length, offset + Math.max(1, length)), line, col };
}

/** Lex and check literals; returns the significant tokens (bad ones dropped). */
function lex(source: string, diagnostics: Diagnostic[]): { tokens: IToken[]; comments: Comment[]; badOffsets: number[] } {
  const badOffsets: number[] = [];
  const result = T.attnLexer().tokenize(source);
  let lexErrors = 0;
  for (const err of result.errors) {
    badOffsets.push(err.offset);
    if (lexErrors++ >= MAX_LEX_ERRORS) {
      diagnostics.push(diagnostic('invalid-character', 'too many invalid characters; giving up on the rest', spanOfOffsets(source, err.offset, err.length, err.line ?? 1, err.column ?? 1)));
      break;
    }
    const text = source.substr(err.offset, Math.min(err.length, 1));
    const code = text.codePointAt(0) ?? 0;
    const shown = code >= 32 && code < 127 ? `'${text}'` : `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
    const d = diagnostic('invalid-character', `invalid character ${shown}`, spanOfOffsets(source, err.offset, err.length, err.line ?? 1, err.column ?? 1));
    if (text === '!') d.suggestion = { message: "use 'not' for negation, '!=' for inequality" };
    if (text === '&' || text === '|') d.suggestion = { message: "use 'and' / 'or'" };
    if (text === "'") d.suggestion = { message: 'strings use double quotes: "..."' };
    diagnostics.push(d);
  }
  const tokens: IToken[] = [];
  for (const t of result.tokens) {
    const span = tokenSpan(t);
    if (t.tokenType === T.UnterminatedString) {
      badOffsets.push(t.startOffset);
      diagnostics.push(diagnostic('unterminated-string', 'unterminated string literal', span, {
        suggestion: { message: 'add the closing `"` on the same line' },
      }));
      continue;
    }
    if (t.tokenType === T.StringLiteral && /\\[^"\\]/.test(t.image.replace(/\\\\/g, ''))) {
      diagnostics.push(diagnostic('invalid-string', 'invalid escape in string literal (only \\" and \\\\ are allowed)', span));
    }
    if (t.tokenType === T.IntLiteral || t.tokenType === T.FloatLiteral) {
      const digits = t.image.split(/[.eE]/);
      if (digits.some((part) => /^_|_$|__/.test(part.replace(/^[+-]/, '')))) {
        diagnostics.push(diagnostic('invalid-number', `malformed number '${t.image}': '_' may only separate digits`, span));
      } else {
        const value = Number(t.image.replace(/_/g, ''));
        if (t.tokenType === T.IntLiteral && !(value <= MAX_INT)) {
          diagnostics.push(diagnostic('invalid-number', `integer literal '${t.image}' is larger than 2^31 - 1`, span, {
            notes: [{ message: 'kernels compute with 32-bit integers' }],
          }));
        } else if (!Number.isFinite(value)) {
          diagnostics.push(diagnostic('invalid-number', `float literal '${t.image}' is out of range`, span));
        }
      }
    }
    tokens.push(t);
  }
  const comments = (result.groups.comments ?? []).map((t) => ({ text: t.image, span: tokenSpan(t) }));
  return { tokens, comments, badOffsets };
}

/** Index of the first token nested too deeply, or -1. */
function findTooDeep(tokens: IToken[]): number {
  let depth = 0;
  let prefixRun = 0;
  let ifs = 0;
  for (let i = 0; i < tokens.length; i++) {
    const tt = tokens[i]!.tokenType;
    if (tt === T.LParen || tt === T.LBracket || tt === T.LBrace) depth++;
    else if (tt === T.RParen || tt === T.RBracket || tt === T.RBrace) depth = Math.max(0, depth - 1);
    if (tt === T.Minus || tt === K.not) prefixRun++;
    else prefixRun = 0;
    if (tt === K.if) ifs++;
    if (depth > MAX_NESTING || prefixRun > MAX_NESTING || ifs > MAX_NESTING) return i;
  }
  return -1;
}

function syntaxError(message: string, token: IToken, source: string): Diagnostic {
  const span = token.tokenType === T.StatementEnd && token.image === ''
    ? { offset: source.length, end: source.length, ...eofPosition(source) }
    : tokenSpan(token);
  return diagnostic('unexpected-token', message, span);
}

function parseTokens<R>(tokens: IToken[], end: IToken, entry: 'statementChunk' | 'maskRuleChunk', source: string):
  { value: R | null; errors: Diagnostic[] } {
  const parser = attnParser();
  const bad = findTooDeep(tokens);
  if (bad >= 0) {
    return { value: null, errors: [diagnostic('nesting-too-deep', `expression nested too deeply (more than ${MAX_NESTING} levels)`, tokenSpan(tokens[bad]!))] };
  }
  parser.input = [...tokens, end];
  let value: R;
  try {
    value = (parser[entry] as () => R)();
  } catch (e) {
    if (e instanceof RangeError) {
      return { value: null, errors: [diagnostic('nesting-too-deep', 'expression nested too deeply', tokenSpan(tokens[0]!))] };
    }
    throw e;
  }
  if (parser.errors.length > 0) {
    const err = parser.errors[0]!;
    return { value: null, errors: [syntaxError(err.message, err.token, source)] };
  }
  return { value, errors: [] };
}

/** Rule-level recovery inside a broken `mask { ... }`. */
function recoverMaskBlock(tokens: IToken[], end: IToken, source: string): { stmt: Stmt | null; errors: Diagnostic[] } {
  const open = tokens.findIndex((t) => t.tokenType === T.LBrace);
  if (open !== 1) return { stmt: null, errors: [] };
  let close = tokens.length;
  const hasClose = tokens[tokens.length - 1]!.tokenType === T.RBrace;
  if (hasClose) close = tokens.length - 1;
  const body = tokens.slice(open + 1, close);
  const starts: number[] = [];
  let inSelector = false;
  for (let i = 0; i < body.length; i++) {
    const tt = body[i]!.tokenType;
    if (tt === K.otherwise || tt === K.layers || (tt === K.heads && !inSelector)) {
      if (!(tt === K.heads && inSelector)) starts.push(i);
      inSelector = tt === K.layers;
    }
    if (tt === T.Colon) inSelector = false;
  }
  if (starts[0] !== 0 && body.length > 0) starts.unshift(0);
  const errors: Diagnostic[] = [];
  const rules: MaskRule[] = [];
  for (let r = 0; r < starts.length; r++) {
    const piece = body.slice(starts[r], starts[r + 1] ?? body.length);
    const next = r + 1 < starts.length ? body[starts[r + 1]!] : hasClose ? tokens[tokens.length - 1] : undefined;
    const pieceEnd = next ? endToken(next, source) : end;
    const res = parseTokens<MaskRule>(piece, pieceEnd, 'maskRuleChunk', source);
    errors.push(...res.errors);
    if (res.value) rules.push(res.value);
  }
  if (!hasClose) errors.push(syntaxError(`expected '}' to close the mask block but found ${describeToken(end)}`, end, source));
  const first = tokenSpan(tokens[0]!);
  const last = tokenSpan(tokens[tokens.length - 1]!);
  return { stmt: { kind: 'MaskBlock', rules, span: { ...first, end: last.end } }, errors };
}

export function parseSource(source: string): ParseResult {
  const diagnostics: Diagnostic[] = [];
  const { tokens, comments, badOffsets } = lex(source, diagnostics);
  const statements: Stmt[] = [];
  const unparsedNames: string[] = [];

  const chunkStarts: number[] = [];
  for (let i = 0; i < tokens.length; i++) if (i === 0 || isStatementStart(tokens, i)) chunkStarts.push(i);

  for (let c = 0; c < chunkStarts.length; c++) {
    const from = chunkStarts[c]!;
    const to = chunkStarts[c + 1] ?? tokens.length;
    const chunk = tokens.slice(from, to);
    const end = endToken(tokens[to], source);
    const res = parseTokens<Stmt>(chunk, end, 'statementChunk', source);
    if (res.value) {
      const tooDeep = statementExprs(res.value).find((e) => exprDepth(e) > MAX_EXPR_DEPTH);
      if (tooDeep) {
        diagnostics.push(diagnostic('nesting-too-deep', `expression nested too deeply (more than ${MAX_EXPR_DEPTH} levels)`, tooDeep.span));
      } else {
        statements.push(res.value);
      }
      continue;
    }
    if (chunk[0]!.tokenType === K.mask && chunk[1]?.tokenType === T.LBrace && res.errors[0]?.id !== 'nesting-too-deep') {
      const rec = recoverMaskBlock(chunk, end, source);
      if (rec.errors.length > 0) {
        diagnostics.push(...rec.errors);
        if (rec.stmt) statements.push(rec.stmt);
        continue;
      }
    }
    // A statement holding a bad character or string has already been reported: its parse
    // error would only be a consequence.
    const lo = chunk[0]!.startOffset, hi = end.startOffset;
    if (!badOffsets.some((o) => o >= lo && o <= hi)) diagnostics.push(...res.errors);
    const declares = [K.let, K.param, K.table, K.input].includes(chunk[0]!.tokenType);
    if (declares && chunk[1]?.tokenType === T.Identifier) unparsedNames.push(chunk[1].image);
  }

  const fileSpan: Span = { offset: 0, end: source.length, line: 1, col: 1 };
  return { ast: { kind: 'File', statements, comments, unparsedNames, span: fileSpan }, diagnostics };
}
