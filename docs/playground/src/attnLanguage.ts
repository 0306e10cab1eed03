// .attn highlighting for CodeMirror: a stream tokenizer over the word lists of grammar/ (the
// language's one source of truth), delivered at build time through the `virtual:attn-grammar`
// module (see vite.config.ts), so the page needs neither the parser nor Chevrotain to colour.
import { HighlightStyle, StreamLanguage, syntaxHighlighting, type StringStream } from '@codemirror/language';
import { tags as t } from '@lezer/highlight';
import grammar from 'virtual:attn-grammar';

const keywords = new Set(grammar.keywords);
const typeNames = new Set(grammar.typeNames);
const atoms = new Set(grammar.atoms);
const builtinMasks = new Set(grammar.builtinMasks);
const builtinFunctions = new Set(grammar.builtinFunctions);
const positionVariables = new Set(grammar.positionVariables);
const sizeNames = new Set(grammar.sizeNames);
const declaring = new Set(['param', 'let', 'table', 'input', 'as']);
// Longest first, so `//` wins over `/` and `..` over `.`.
const punctuation = [...grammar.punctuation].sort((a, b) => b.length - a.length);

interface State {
  /** The previous word declares a name (`param x`, `let x`, ...). */
  declaring: boolean;
}

function token(stream: StringStream, state: State): string | null {
  if (stream.eatSpace()) return null;
  if (stream.peek() === '#') {
    stream.skipToEnd();
    return 'comment';
  }
  if (stream.peek() === '"') {
    stream.next();
    let escaped = false;
    while (!stream.eol()) {
      const ch = stream.next();
      if (ch === '"' && !escaped) break;
      escaped = !escaped && ch === '\\';
    }
    return 'string';
  }
  if (stream.match(/^[0-9][0-9_]*(?:\.[0-9][0-9_]*(?:[eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+)?/)) return 'number';
  const word = stream.match(/^[A-Za-z_][A-Za-z0-9_]*/) as RegExpMatchArray | null;
  if (word) {
    const w = word[0];
    const wasDeclaring = state.declaring;
    state.declaring = declaring.has(w);
    if (atoms.has(w)) return 'atom';
    if (typeNames.has(w)) return 'typeName';
    if (keywords.has(w)) return 'keyword';
    if (wasDeclaring) return 'def';
    if (builtinMasks.has(w)) return 'builtinMask';
    if (builtinFunctions.has(w)) return 'builtin';
    if (positionVariables.has(w)) return 'positionVariable';
    if (sizeNames.has(w)) return 'sizeName';
    return 'variable';
  }
  for (const p of punctuation) {
    if (stream.match(p)) {
      state.declaring = false;
      return /^[()[\]{},:.]+$/.test(p) ? 'punctuation' : 'operator';
    }
  }
  stream.next();
  return 'invalid';
}

export const attnLanguage = StreamLanguage.define<State>({
  name: 'attn',
  startState: () => ({ declaring: false }),
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
  },
});

const attnHighlightStyle = HighlightStyle.define([
  { tag: t.comment, color: '#7b8699', fontStyle: 'italic' },
  { tag: t.keyword, color: '#8a3fb8', fontWeight: '600' },
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
  { tag: t.invalid, color: '#d0342c', textDecoration: 'underline wavy' },
]);

export const attnHighlighting = syntaxHighlighting(attnHighlightStyle);
