// Highlighting data for editors, generated from the same word lists as the lexer
// (grammar/tokens.ts): a small token-class table for the playground's CodeMirror mode and a
// TextMate grammar (grammar/gen-highlight.ts writes it to grammar/attn.tmLanguage.json).
import {
  BUILTIN_FUNCTIONS, BUILTIN_MASKS, INPUT_INITIALISERS, KEYWORDS, POSITION_VARIABLES, REQUIREMENTS, SIZE_NAMES,
} from './tokens.ts';

/** Token classes by word, for simple word-based highlighters. */
export const HIGHLIGHT = {
  keywords: KEYWORDS.filter((k) => !['true', 'false', 'int', 'float', 'bool', 'and', 'or', 'not', 'except', 'in'].includes(k)),
  operatorWords: ['and', 'or', 'not', 'except', 'in'],
  constants: ['true', 'false'],
  types: ['int', 'float', 'bool'],
  builtinFunctions: [...BUILTIN_FUNCTIONS, ...INPUT_INITIALISERS],
  builtinMasks: [...BUILTIN_MASKS],
  variables: [...POSITION_VARIABLES],
  sizes: [...SIZE_NAMES],
  requirements: [...REQUIREMENTS],
  /** Regular expressions (JavaScript syntax) for the remaining token classes. */
  patterns: {
    comment: '#.*$',
    string: '"(?:[^"\\\\]|\\\\.)*"',
    float: '\\b[0-9][0-9_]*(?:\\.[0-9][0-9_]*(?:[eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+)\\b',
    int: '\\b[0-9][0-9_]*\\b',
    operator: '==|!=|<=|>=|//|\\.\\.|[<>=+\\-*/%:.,]',
  },
} as const;

export type HighlightClass = keyof Omit<typeof HIGHLIGHT, 'patterns'>;

/** Class of a word (identifier or keyword), or null for a plain name. */
export function classifyWord(word: string): HighlightClass | null {
  for (const cls of ['keywords', 'operatorWords', 'constants', 'types', 'builtinFunctions', 'builtinMasks', 'variables', 'sizes'] as const) {
    if ((HIGHLIGHT[cls] as readonly string[]).includes(word)) return cls;
  }
  return null;
}

const words = (ws: readonly string[]) => `\\b(?:${ws.join('|')})\\b`;

/** A TextMate grammar (scope source.attn) for VS Code and other TextMate-based editors. */
export function textMateGrammar(): Record<string, unknown> {
  return {
    $schema: 'https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json',
    name: 'attn',
    scopeName: 'source.attn',
    fileTypes: ['attn'],
    patterns: [
      { name: 'comment.line.number-sign.attn', match: HIGHLIGHT.patterns.comment },
      { name: 'string.quoted.double.attn', match: HIGHLIGHT.patterns.string },
      { name: 'constant.numeric.float.attn', match: HIGHLIGHT.patterns.float },
      { name: 'constant.numeric.integer.attn', match: HIGHLIGHT.patterns.int },
      { name: 'constant.language.boolean.attn', match: words(HIGHLIGHT.constants) },
      { name: 'keyword.operator.word.attn', match: words(HIGHLIGHT.operatorWords) },
      { name: 'keyword.control.attn', match: words(HIGHLIGHT.keywords) },
      { name: 'storage.type.attn', match: words(HIGHLIGHT.types) },
      { name: 'support.function.mask.attn', match: words(HIGHLIGHT.builtinMasks) },
      { name: 'support.function.builtin.attn', match: words(HIGHLIGHT.builtinFunctions) },
      { name: 'variable.language.position.attn', match: words(HIGHLIGHT.variables) },
      { name: 'constant.other.size.attn', match: words(HIGHLIGHT.sizes) },
      { name: 'keyword.operator.attn', match: HIGHLIGHT.patterns.operator },
    ],
  };
}

/** The committed JSON text of grammar/attn.tmLanguage.json. */
export function textMateGrammarJson(): string {
  return `${JSON.stringify(textMateGrammar(), null, 2)}\n`;
}
