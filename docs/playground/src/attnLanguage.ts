// .attn highlighting for CodeMirror: a stream tokenizer over grammar/highlight.ts's token
// classes and patterns (generated from grammar/tokens.ts, the language's one source of truth),
// delivered at build time through `virtual:attn-grammar` (see vite.config.ts), so the page needs
// neither the parser nor Chevrotain to colour.
import { HighlightStyle, StreamLanguage, syntaxHighlighting, type StringStream } from '@codemirror/language';
import { tags as t } from '@lezer/highlight';
import grammar from 'virtual:attn-grammar';

const { highlight } = grammar;
/** Token name of each word class (the names map to tags in `tokenTable` below). */
const WORD_TOKENS: [readonly string[], string][] = [
  [highlight.keywords, 'keyword'],
  [highlight.operatorWords, 'operatorKeyword'],
  [highlight.constants, 'atom'],
  [highlight.types, 'typeName'],
  [highlight.builtinMasks, 'builtinMask'],
  [highlight.builtinFunctions, 'builtin'],
  [highlight.variables, 'positionVariable'],
  [highlight.sizes, 'sizeName'],
];
const wordToken = new Map<string, string>();
for (const [words, tokenName] of WORD_TOKENS) for (const w of words) if (!wordToken.has(w)) wordToken.set(w, tokenName);
const requirements = new Set(highlight.requirements);
const declaring = new Set(['param', 'let', 'table', 'input', 'as']);
const sticky = (source: string) => new RegExp(`^(?:${source})`);
const COMMENT = sticky(highlight.patterns.comment);
const STRING = sticky(highlight.patterns.string);
const FLOAT = sticky(highlight.patterns.float);
const INT = sticky(highlight.patterns.int);
const OPERATOR = sticky(highlight.patterns.operator);
const WORD = /^[A-Za-z_][A-Za-z0-9_]*/;

interface State {
  /** The previous word declares a name (`param x`, `let x`, ...). */
  declaring: boolean;
  /** The previous word is `require`. */
  requiring: boolean;
}

function token(stream: StringStream, state: State): string | null {
  if (stream.eatSpace()) return null;
  if (stream.match(COMMENT)) return 'comment';
  if (stream.peek() === '"') {
    if (stream.match(STRING)) return 'string';
    stream.skipToEnd(); // unterminated: the rest of the line
    return 'invalid';
  }
  if (stream.match(FLOAT) || stream.match(INT)) return 'number';
  const word = stream.match(WORD) as RegExpMatchArray | null;
  if (word) {
    const w = word[0];
    const wasDeclaring = state.declaring;
    const wasRequiring = state.requiring;
    state.declaring = declaring.has(w);
    state.requiring = w === 'require';
    if (wasRequiring && requirements.has(w)) return 'atom';
    const cls = wordToken.get(w);
    if (cls === 'keyword' || cls === 'operatorKeyword' || cls === 'typeName' || cls === 'atom') return cls;
    if (wasDeclaring) return 'def';
    return cls ?? 'variable';
  }
  state.declaring = false;
  state.requiring = false;
  if (stream.match(OPERATOR)) return /^[:.,]+$/.test(stream.current()) ? 'punctuation' : 'operator';
  if (stream.match(/^[()[\]{}]/)) return 'bracket';
  stream.next();
  return 'invalid';
}

export const attnLanguage = StreamLanguage.define<State>({
  name: 'attn',
  startState: () => ({ declaring: false, requiring: false }),
  copyState: (s) => ({ ...s }),
  token,
  languageData: { commentTokens: { line: '#' } },
  tokenTable: {
    builtinMask: t.function(t.standard(t.variableName)),
    builtin: t.standard(t.variableName),
    positionVariable: t.special(t.variableName),
    sizeName: t.constant(t.variableName),
    def: t.definition(t.variableName),
    punctuation: t.punctuation,
    operatorKeyword: t.operatorKeyword,
  },
});

const attnHighlightStyle = HighlightStyle.define([
  { tag: t.comment, color: '#7b8699', fontStyle: 'italic' },
  { tag: t.keyword, color: '#8a3fb8', fontWeight: '600' },
  { tag: t.operatorKeyword, color: '#8a3fb8' },
  { tag: t.typeName, color: '#0f7b8a' },
  { tag: t.atom, color: '#b3541e' },
  { tag: t.number, color: '#b3541e' },
  { tag: t.string, color: '#2e7d32' },
  { tag: t.function(t.standard(t.variableName)), color: '#1f5fd6', fontWeight: '600' },
  { tag: t.standard(t.variableName), color: '#1f5fd6' },
  { tag: t.special(t.variableName), color: '#a8326e' },
  { tag: t.constant(t.variableName), color: '#0f7b8a', fontWeight: '600' },
  { tag: t.definition(t.variableName), color: '#1c2433', fontWeight: '600' },
  { tag: t.operator, color: '#5c6677' },
  { tag: t.punctuation, color: '#7b8699' },
  { tag: t.bracket, color: '#7b8699' },
  { tag: t.invalid, color: '#d0342c', textDecoration: 'underline wavy' },
]);

export const attnHighlighting = syntaxHighlighting(attnHighlightStyle);
