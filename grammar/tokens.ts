// Stage 1 of the pipeline (source -> tokens). Every token of the .attn language is defined
// here exactly once; the parser, the highlighting grammar and the formatter all read these
// definitions and the word lists below, so they can never disagree.
import { createToken, Lexer, type TokenType } from 'chevrotain';

/** Reserved words (grammar/SPEC.md, "Lexical structure"; `in` is the membership operator). */
export const KEYWORDS = [
  'import', 'as', 'sizes', 'param', 'table', 'input', 'let', 'mask', 'score', 'block',
  'require', 'layers', 'heads', 'otherwise', 'by', 'and', 'or', 'not', 'except', 'if', 'then',
  'else', 'true', 'false', 'int', 'float', 'bool', 'json', 'in',
] as const;
export type Keyword = (typeof KEYWORDS)[number];

/** Built-in functions returning numbers. */
export const BUILTIN_FUNCTIONS = [
  'min', 'max', 'abs', 'clamp', 'floor', 'ceil', 'round', 'tanh', 'exp', 'log', 'sqrt',
  'softcap', 'alibi_slope',
] as const;
/** Built-in masks (bool). `causal` and `causal_bottom_right` may be written without `()`. */
export const BUILTIN_MASKS = [
  'causal', 'causal_bottom_right', 'window', 'dilated', 'sinks', 'global_queries',
  'local_blocks', 'vstride', 'shard', 'prefix_lm', 'random_blocks', 'moa', 'topk_blocks',
] as const;
/** Initialisers of runtime inputs computed on the device. */
export const INPUT_INITIALISERS = ['lsh'] as const;
/** Position variables; `qb`, `kb` exist after `block`, `s` only inside `score`. */
export const POSITION_VARIABLES = ['q', 'k', 'h', 'l', 'hkv', 'qb', 'kb', 's'] as const;
export const SIZE_NAMES = ['Nq', 'Nk', 'H', 'Hkv', 'L'] as const;
/** Words accepted after `require`. */
export const REQUIREMENTS = ['coverage', 'reachability'] as const;

// --- tokens -------------------------------------------------------------------------------

export const WhiteSpace = createToken({
  name: 'WhiteSpace',
  // The BOM is treated as white space so that offsets stay those of the original text.
  pattern: /[ \t\r\n\f\v\uFEFF]+/,
  group: Lexer.SKIPPED,
  line_breaks: true,
});
export const Comment = createToken({ name: 'Comment', pattern: /#[^\n\r]*/, group: 'comments' });

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: 'a name' });

function titleCase(word: string): string {
  return word[0]!.toUpperCase() + word.slice(1);
}
/** Keyword token types by word. Longer words first so that `int`/`input` win over `in`. */
export const KeywordTokens = {} as Record<Keyword, TokenType>;
export const KeywordCategory = createToken({ name: 'Keyword', pattern: Lexer.NA });
for (const word of [...KEYWORDS].sort((a, b) => b.length - a.length)) {
  KeywordTokens[word] = createToken({
    name: titleCase(word),
    pattern: new RegExp(word),
    longer_alt: Identifier,
    categories: [KeywordCategory],
    label: `'${word}'`,
  });
}

// Literals. Numbers are matched permissively (`1__0`, `1_`) and validated after lexing, so a
// malformed number gets one precise diagnostic instead of a confusing token split.
export const FloatLiteral = createToken({
  name: 'FloatLiteral',
  pattern: /[0-9][0-9_]*(?:\.[0-9][0-9_]*(?:[eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+)/,
  label: 'a float literal',
});
export const IntLiteral = createToken({ name: 'IntLiteral', pattern: /[0-9][0-9_]*/, label: 'an integer literal' });
export const StringLiteral = createToken({
  name: 'StringLiteral',
  pattern: /"(?:[^"\\\n\r]|\\[^\n\r])*"/,
  label: 'a string',
});
/** A string that runs to the end of the line: reported as E002 by the lexer driver. */
export const UnterminatedString = createToken({
  name: 'UnterminatedString',
  pattern: /"(?:[^"\\\n\r]|\\[^\n\r])*\\?/,
  label: 'an unterminated string',
});

const punct = (name: string, pattern: RegExp, image: string) =>
  createToken({ name, pattern, label: `'${image}'` });
export const DotDot = punct('DotDot', /\.\./, '..');
export const Dot = punct('Dot', /\./, '.');
export const EqEq = punct('EqEq', /==/, '==');
export const NotEq = punct('NotEq', /!=/, '!=');
export const LessEq = punct('LessEq', /<=/, '<=');
export const GreaterEq = punct('GreaterEq', />=/, '>=');
export const Less = punct('Less', /</, '<');
export const Greater = punct('Greater', />/, '>');
export const Equals = punct('Equals', /=/, '=');
export const Plus = punct('Plus', /\+/, '+');
export const Minus = punct('Minus', /-/, '-');
export const Star = punct('Star', /\*/, '*');
export const SlashSlash = punct('SlashSlash', /\/\//, '//');
export const Slash = punct('Slash', /\//, '/');
export const Percent = punct('Percent', /%/, '%');
export const LParen = punct('LParen', /\(/, '(');
export const RParen = punct('RParen', /\)/, ')');
export const LBracket = punct('LBracket', /\[/, '[');
export const RBracket = punct('RBracket', /\]/, ']');
export const LBrace = punct('LBrace', /\{/, '{');
export const RBrace = punct('RBrace', /\}/, '}');
export const Comma = punct('Comma', /,/, ',');
export const Colon = punct('Colon', /:/, ':');

/**
 * Never produced by the lexer: the parse driver appends it after each statement's tokens, so a
 * statement that stops early is reported against the token that really follows it.
 */
export const StatementEnd = createToken({ name: 'StatementEnd', pattern: Lexer.NA, label: 'the end of the statement' });

export const PUNCTUATION = ['..', '.', '==', '!=', '<=', '>=', '<', '>', '=', '+', '-', '*', '//', '/', '%', '(', ')', '[', ']', '{', '}', ',', ':'] as const;

export const allTokens: TokenType[] = [
  WhiteSpace,
  Comment,
  FloatLiteral,
  IntLiteral,
  StringLiteral,
  UnterminatedString,
  KeywordCategory,
  ...Object.values(KeywordTokens),
  Identifier,
  DotDot, Dot, EqEq, NotEq, LessEq, GreaterEq, Less, Greater, Equals, Plus, Minus, Star,
  SlashSlash, Slash, Percent, LParen, RParen, LBracket, RBracket, LBrace, RBrace, Comma, Colon,
  StatementEnd,
];

export const K = KeywordTokens;

let lexerInstance: Lexer | undefined;
/** The shared lexer (built on first use: building validates every pattern). */
export function attnLexer(): Lexer {
  lexerInstance ??= new Lexer(allTokens, { positionTracking: 'full', ensureOptimizations: false });
  return lexerInstance;
}
