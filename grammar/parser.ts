// Stage 2 (tokens -> AST). A Chevrotain parser whose rules read like grammar/attn.ebnf, rule
// for rule; each rule builds the typed AST of src/syntax/ast.ts directly (embedded actions).
// Error recovery is done one level up (src/syntax/parse.ts): the token stream is cut into
// statements (and mask rules) and each piece is parsed on its own, so one run reports every
// broken statement.
import { EmbeddedActionsParser, type IToken, type TokenType, type IParserErrorMessageProvider } from 'chevrotain';
import * as T from './tokens.ts';
import type {
  Arg, BinaryOp, Expr, Ident, MaskRule, NameExpr, Range, ScalarTypeName, Selector, SizeEntry,
  Span, Stmt, TableInit,
} from '../src/syntax/ast.ts';

const K = T.KeywordTokens;

export function tokenSpan(t: IToken): Span {
  return { offset: t.startOffset, end: t.startOffset + t.image.length, line: t.startLine ?? 1, col: t.startColumn ?? 1 };
}
function join(a: Span, b: Span): Span {
  return { offset: a.offset, end: Math.max(a.end, b.end), line: a.line, col: a.col };
}
function ident(t: IToken): Ident {
  return { name: t.image, span: tokenSpan(t) };
}
function unquote(raw: string): string {
  return raw.slice(1, -1).replace(/\\(["\\])/g, '$1');
}
/** `131_072` -> 131072. Malformed numbers are reported by the lexer driver; parse leniently. */
export function numberValue(raw: string): number {
  return Number(raw.replace(/_/g, ''));
}

/** What a rule is, for "expected ... but found ..." messages. */
const RULE_DESCRIPTIONS: Record<string, string> = {
  statement: 'a statement (import, sizes, param, block, table, input, let, mask, score, require)',
  expression: 'an expression',
  ifExpression: 'an expression',
  exceptExpression: 'an expression',
  orExpression: 'an expression',
  andExpression: 'an expression',
  notExpression: 'an expression',
  comparison: 'an expression',
  additive: 'an expression',
  multiplicative: 'an expression',
  unary: 'an expression',
  primary: 'an expression',
  scalarType: "a type ('int', 'float' or 'bool')",
  maskStatement: "'=' or '{' after 'mask'",
  selector: "a rule selector ('layers', 'heads' or 'otherwise')",
  tableInit: "an inline list '[...]' or json(\"file\", \"key\")",
  listItem: 'a list element',
  argument: 'an argument',
  maskRuleChunk: 'a mask rule',
};

export function describeToken(t: IToken): string {
  if (t.tokenType === T.StatementEnd) return t.image === '' ? 'the end of the file' : `'${t.image}'`;
  if (t.tokenType?.name === 'EOF' || t.image === undefined || t.image === '') return 'the end of the file';
  const img = t.image.length > 24 ? `${t.image.slice(0, 24)}...` : t.image;
  if (t.tokenType === T.Identifier) return `name '${img}'`;
  return `'${img}'`;
}
function tokenLabel(tt: TokenType): string {
  return (tt as { LABEL?: string }).LABEL ?? tt.name;
}

const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    if (expected === T.StatementEnd) return `unexpected ${describeToken(actual)} (expected an operator or the end of the statement)`;
    return `expected ${tokenLabel(expected)} but found ${describeToken(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `unexpected ${describeToken(firstRedundant)}`;
  },
  buildNoViableAltMessage({ actual, ruleName }) {
    return `expected ${RULE_DESCRIPTIONS[ruleName] ?? ruleName} but found ${describeToken(actual[0]!)}`;
  },
  buildEarlyExitMessage({ actual, ruleName }) {
    return `expected ${RULE_DESCRIPTIONS[ruleName] ?? ruleName} but found ${describeToken(actual[0]!)}`;
  },
};

const COMPARE_OPS: TokenType[] = [T.EqEq, T.NotEq, T.LessEq, T.GreaterEq, T.Less, T.Greater];

export class AttnParser extends EmbeddedActionsParser {
  constructor() {
    super(T.allTokens, { recoveryEnabled: false, maxLookahead: 3, errorMessageProvider: messages });
    this.performSelfAnalysis();
  }

  // statementChunk = statement StatementEnd
  public statementChunk = this.RULE('statementChunk', (): Stmt => {
    const s = this.SUBRULE(this.statement);
    this.CONSUME(T.StatementEnd);
    return s;
  });

  // maskRuleChunk = maskRule StatementEnd   (used only when recovering inside `mask { }`)
  public maskRuleChunk = this.RULE('maskRuleChunk', (): MaskRule => {
    const r = this.SUBRULE(this.maskRule);
    this.CONSUME(T.StatementEnd);
    return r;
  });

  // statement = import | sizes | param | block | table | input | let | mask | score | require
  private statement = this.RULE('statement', (): Stmt =>
    this.OR([
      { ALT: () => this.SUBRULE(this.importStatement) },
      { ALT: () => this.SUBRULE(this.sizesStatement) },
      { ALT: () => this.SUBRULE(this.paramStatement) },
      { ALT: () => this.SUBRULE(this.blockStatement) },
      { ALT: () => this.SUBRULE(this.tableStatement) },
      { ALT: () => this.SUBRULE(this.inputStatement) },
      { ALT: () => this.SUBRULE(this.letStatement) },
      { ALT: () => this.SUBRULE(this.maskStatement) },
      { ALT: () => this.SUBRULE(this.scoreStatement) },
      { ALT: () => this.SUBRULE(this.requireStatement) },
    ]),
  );

  // import = "import" STRING [ "as" IDENT ]
  private importStatement = this.RULE('importStatement', (): Stmt => {
    const kw = this.CONSUME(K.import);
    const path = this.CONSUME(T.StringLiteral);
    let alias: IToken | undefined;
    this.OPTION(() => {
      this.CONSUME(K.as);
      alias = this.CONSUME(T.Identifier);
    });
    return this.ACTION(() => ({
      kind: 'Import' as const,
      path: { kind: 'String' as const, value: unquote(path.image), raw: path.image, span: tokenSpan(path) },
      alias: alias ? ident(alias) : null,
      span: join(tokenSpan(kw), tokenSpan(alias ?? path)),
    }));
  });

  // sizes = "sizes" sizeEntry { "," sizeEntry }
  private sizesStatement = this.RULE('sizesStatement', (): Stmt => {
    const kw = this.CONSUME(K.sizes);
    const entries: SizeEntry[] = [];
    this.AT_LEAST_ONE_SEP({
      SEP: T.Comma,
      DEF: () => {
        const e = this.SUBRULE(this.sizeEntry);
        this.ACTION(() => entries.push(e));
      },
    });
    return this.ACTION(() => ({ kind: 'Sizes' as const, entries, span: join(tokenSpan(kw), entries[entries.length - 1]!.span) }));
  });

  // sizeEntry = IDENT "=" expression
  private sizeEntry = this.RULE('sizeEntry', (): SizeEntry => {
    const name = this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    const value = this.SUBRULE(this.expression);
    return this.ACTION(() => ({ name: ident(name), value, span: join(tokenSpan(name), value.span) }));
  });

  // param = "param" IDENT [ ":" scalarType ] "=" expression
  private paramStatement = this.RULE('paramStatement', (): Stmt => {
    const kw = this.CONSUME(K.param);
    const name = this.CONSUME(T.Identifier);
    let type: { name: ScalarTypeName; span: Span } | null = null;
    this.OPTION(() => {
      this.CONSUME(T.Colon);
      type = this.SUBRULE(this.scalarType);
    });
    this.CONSUME(T.Equals);
    const value = this.SUBRULE(this.expression);
    return this.ACTION(() => ({ kind: 'Param' as const, name: ident(name), type, value, span: join(tokenSpan(kw), value.span) }));
  });

  // block = "block" expression
  private blockStatement = this.RULE('blockStatement', (): Stmt => {
    const kw = this.CONSUME(K.block);
    const size = this.SUBRULE(this.expression);
    return this.ACTION(() => ({ kind: 'Block' as const, size, span: join(tokenSpan(kw), size.span) }));
  });

  // table = "table" IDENT ":" scalarType dims "=" tableInit
  private tableStatement = this.RULE('tableStatement', (): Stmt => {
    const kw = this.CONSUME(K.table);
    const name = this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    const elemType = this.SUBRULE(this.scalarType);
    const dims = this.SUBRULE(this.dims);
    this.CONSUME(T.Equals);
    const init = this.SUBRULE(this.tableInit);
    return this.ACTION(() => ({
      kind: 'Table' as const, name: ident(name), elemType, dims, init,
      span: join(tokenSpan(kw), init.kind === 'Inline' ? init.list.span : init.span),
    }));
  });

  // tableInit = list | "json" "(" STRING "," STRING ")"
  private tableInit = this.RULE('tableInit', (): TableInit =>
    this.OR([
      { ALT: () => ({ kind: 'Inline' as const, list: this.SUBRULE(this.list) }) },
      {
        ALT: () => {
          const kw = this.CONSUME(K.json);
          this.CONSUME(T.LParen);
          const path = this.CONSUME(T.StringLiteral);
          this.CONSUME(T.Comma);
          const key = this.CONSUME2(T.StringLiteral);
          const close = this.CONSUME(T.RParen);
          return this.ACTION(() => ({
            kind: 'Json' as const,
            path: { kind: 'String' as const, value: unquote(path.image), raw: path.image, span: tokenSpan(path) },
            key: { kind: 'String' as const, value: unquote(key.image), raw: key.image, span: tokenSpan(key) },
            span: join(tokenSpan(kw), tokenSpan(close)),
          }));
        },
      },
    ]),
  );

  // list = "[" [ listItem { "," listItem } [ "," ] ] "]"
  private list = this.RULE('list', (): Expr => {
    const open = this.CONSUME(T.LBracket);
    const items: Expr[] = [];
    this.OPTION(() => {
      const first = this.SUBRULE(this.listItem);
      this.ACTION(() => items.push(first));
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.OPTION2(() => {
          const item = this.SUBRULE2(this.listItem);
          this.ACTION(() => items.push(item));
        });
      });
    });
    const close = this.CONSUME(T.RBracket);
    return this.ACTION(() => ({ kind: 'List' as const, items, span: join(tokenSpan(open), tokenSpan(close)) }));
  });

  // listItem = list | expression
  private listItem = this.RULE('listItem', (): Expr =>
    this.OR([
      { ALT: () => this.SUBRULE(this.list) },
      { ALT: () => this.SUBRULE(this.expression) },
    ]),
  );

  // input = "input" IDENT ":" scalarType dims [ "=" call ]
  private inputStatement = this.RULE('inputStatement', (): Stmt => {
    const kw = this.CONSUME(K.input);
    const name = this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    const elemType = this.SUBRULE(this.scalarType);
    const dims = this.SUBRULE(this.dims);
    let init: (Expr & { kind: 'Call' }) | null = null;
    let closeSpan: Span | null = null;
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      const nameRef = this.SUBRULE(this.nameRef);
      const call = this.SUBRULE(this.callArgs);
      this.ACTION(() => {
        init = { kind: 'Call', callee: nameRef, args: call.args, span: join(nameRef.span, call.span) };
        closeSpan = call.span;
      });
    });
    return this.ACTION(() => ({
      kind: 'Input' as const, name: ident(name), elemType, dims: dims as Expr[], init,
      span: join(tokenSpan(kw), closeSpan ?? this.lastDimsSpan),
    }));
  });
  private lastDimsSpan: Span = { offset: 0, end: 0, line: 1, col: 1 };

  // dims = "[" expression { "," expression } "]"
  private dims = this.RULE('dims', (): Expr[] => {
    this.CONSUME(T.LBracket);
    const out: Expr[] = [];
    this.AT_LEAST_ONE_SEP({
      SEP: T.Comma,
      DEF: () => {
        const e = this.SUBRULE(this.expression);
        this.ACTION(() => out.push(e));
      },
    });
    const close = this.CONSUME(T.RBracket);
    this.ACTION(() => { this.lastDimsSpan = tokenSpan(close); });
    return out;
  });

  // scalarType = "int" | "float" | "bool"
  private scalarType = this.RULE('scalarType', (): { name: ScalarTypeName; span: Span } => {
    const t = this.OR([
      { ALT: () => this.CONSUME(K.int) },
      { ALT: () => this.CONSUME(K.float) },
      { ALT: () => this.CONSUME(K.bool) },
    ]);
    return this.ACTION(() => ({ name: t.image as ScalarTypeName, span: tokenSpan(t) }));
  });

  // let = "let" IDENT "=" expression
  private letStatement = this.RULE('letStatement', (): Stmt => {
    const kw = this.CONSUME(K.let);
    const name = this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    const value = this.SUBRULE(this.expression);
    return this.ACTION(() => ({ kind: 'Let' as const, name: ident(name), value, span: join(tokenSpan(kw), value.span) }));
  });

  // mask = "mask" ( "=" expression | "{" { maskRule } "}" )
  private maskStatement = this.RULE('maskStatement', (): Stmt => {
    const kw = this.CONSUME(K.mask);
    return this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Equals);
          const expr = this.SUBRULE(this.expression);
          return this.ACTION(() => ({ kind: 'Mask' as const, expr, span: join(tokenSpan(kw), expr.span) }));
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LBrace);
          const rules: MaskRule[] = [];
          this.MANY(() => {
            const r = this.SUBRULE(this.maskRule);
            this.ACTION(() => rules.push(r));
          });
          const close = this.CONSUME(T.RBrace);
          return this.ACTION(() => ({ kind: 'MaskBlock' as const, rules, span: join(tokenSpan(kw), tokenSpan(close)) }));
        },
      },
    ]);
  });

  // maskRule = selector ":" expression
  private maskRule = this.RULE('maskRule', (): MaskRule => {
    const selector = this.SUBRULE(this.selector);
    this.CONSUME(T.Colon);
    const expr = this.SUBRULE(this.expression);
    return this.ACTION(() => ({ selector, expr, span: join(selector.span, expr.span) }));
  });

  // selector = "otherwise" | "layers" ranges [ "heads" ranges ] | "heads" ranges
  private selector = this.RULE('selector', (): Selector =>
    this.OR([
      {
        ALT: () => {
          const t = this.CONSUME(K.otherwise);
          return this.ACTION(() => ({ kind: 'Otherwise' as const, span: tokenSpan(t) }));
        },
      },
      {
        ALT: () => {
          const kw = this.CONSUME(K.layers);
          const layers = this.SUBRULE(this.ranges);
          let heads: Range[] | null = null;
          this.OPTION(() => {
            this.CONSUME(K.heads);
            heads = this.SUBRULE2(this.ranges);
          });
          return this.ACTION(() => {
            const last = (heads ?? layers) as Range[];
            return { kind: 'Select' as const, layers, heads, span: join(tokenSpan(kw), last[last.length - 1]!.span) };
          });
        },
      },
      {
        ALT: () => {
          const kw = this.CONSUME2(K.heads);
          const heads = this.SUBRULE3(this.ranges);
          return this.ACTION(() => ({ kind: 'Select' as const, layers: null, heads, span: join(tokenSpan(kw), heads[heads.length - 1]!.span) }));
        },
      },
    ]),
  );

  // ranges = range { "," range }
  private ranges = this.RULE('ranges', (): Range[] => {
    const out: Range[] = [];
    this.AT_LEAST_ONE_SEP({
      SEP: T.Comma,
      DEF: () => {
        const r = this.SUBRULE(this.range);
        this.ACTION(() => out.push(r));
      },
    });
    return out;
  });

  // range = additive [ ".." [ additive ] ] [ "by" additive ]
  private range = this.RULE('range', (): Range => {
    const start = this.SUBRULE(this.additive);
    let end: Expr | 'open' | null = null;
    let endSpan: Span | null = null;
    let step: Expr | null = null;
    this.OPTION(() => {
      const dd = this.CONSUME(T.DotDot);
      this.ACTION(() => { end = 'open'; endSpan = tokenSpan(dd); });
      this.OPTION2(() => {
        const e = this.SUBRULE2(this.additive);
        this.ACTION(() => { end = e; endSpan = e.span; });
      });
    });
    this.OPTION3(() => {
      this.CONSUME(K.by);
      step = this.SUBRULE3(this.additive);
    });
    return this.ACTION(() => ({
      start, end, step,
      span: join(start.span, (step as Expr | null)?.span ?? endSpan ?? start.span),
    }));
  });

  // score = "score" "=" expression
  private scoreStatement = this.RULE('scoreStatement', (): Stmt => {
    const kw = this.CONSUME(K.score);
    this.CONSUME(T.Equals);
    const expr = this.SUBRULE(this.expression);
    return this.ACTION(() => ({ kind: 'Score' as const, expr, span: join(tokenSpan(kw), expr.span) }));
  });

  // require = "require" IDENT { "," IDENT }
  private requireStatement = this.RULE('requireStatement', (): Stmt => {
    const kw = this.CONSUME(K.require);
    const items: Ident[] = [];
    this.AT_LEAST_ONE_SEP({
      SEP: T.Comma,
      DEF: () => {
        const t = this.CONSUME(T.Identifier);
        this.ACTION(() => items.push(ident(t)));
      },
    });
    return this.ACTION(() => ({ kind: 'Require' as const, items, span: join(tokenSpan(kw), items[items.length - 1]!.span) }));
  });

  // ---- expressions, lowest precedence first -----------------------------------------------

  // expression = ifExpression | exceptExpression
  public expression = this.RULE('expression', (): Expr =>
    this.OR([
      { ALT: () => this.SUBRULE(this.ifExpression) },
      { ALT: () => this.SUBRULE(this.exceptExpression) },
    ]),
  );

  // ifExpression = "if" expression "then" expression "else" expression
  private ifExpression = this.RULE('ifExpression', (): Expr => {
    const kw = this.CONSUME(K.if);
    const cond = this.SUBRULE(this.expression);
    this.CONSUME(K.then);
    const then = this.SUBRULE2(this.expression);
    this.CONSUME(K.else);
    const otherwise = this.SUBRULE3(this.expression);
    return this.ACTION(() => ({ kind: 'If' as const, cond, then, else: otherwise, span: join(tokenSpan(kw), otherwise.span) }));
  });

  /** `first { op rest }`, left associative. (`first`/`rest` are SUBRULE/SUBRULE2 of one rule.) */
  private binaryChain(first: () => Expr, op: () => IToken, rest: () => Expr): Expr {
    let left = first();
    this.MANY(() => {
      const t = op();
      const right = rest();
      this.ACTION(() => {
        left = {
          kind: 'Binary', op: t.image as BinaryOp, left, right, opSpan: tokenSpan(t),
          span: join(left.span, right.span),
        };
      });
    });
    return left;
  }

  // exceptExpression = orExpression { "except" orExpression }
  private exceptExpression = this.RULE('exceptExpression', (): Expr =>
    this.binaryChain(() => this.SUBRULE(this.orExpression), () => this.CONSUME(K.except), () => this.SUBRULE2(this.orExpression)),
  );

  // orExpression = andExpression { "or" andExpression }
  private orExpression = this.RULE('orExpression', (): Expr =>
    this.binaryChain(() => this.SUBRULE(this.andExpression), () => this.CONSUME(K.or), () => this.SUBRULE2(this.andExpression)),
  );

  // andExpression = notExpression { "and" notExpression }
  private andExpression = this.RULE('andExpression', (): Expr =>
    this.binaryChain(() => this.SUBRULE(this.notExpression), () => this.CONSUME(K.and), () => this.SUBRULE2(this.notExpression)),
  );

  // notExpression = "not" notExpression | comparison
  private notExpression = this.RULE('notExpression', (): Expr =>
    this.OR([
      {
        ALT: () => {
          const kw = this.CONSUME(K.not);
          const operand = this.SUBRULE(this.notExpression);
          return this.ACTION(() => ({ kind: 'Unary' as const, op: 'not' as const, operand, span: join(tokenSpan(kw), operand.span) }));
        },
      },
      { ALT: () => this.SUBRULE(this.comparison) },
    ]),
  );

  // comparison = additive [ compareOp additive | "in" nameRef [ indexArgs ] ]
  private comparison = this.RULE('comparison', (): Expr => {
    let left = this.SUBRULE(this.additive);
    this.OPTION(() => {
      this.OR([
        {
          ALT: () => {
            const t = this.OR2(COMPARE_OPS.map((tt) => ({ ALT: () => this.CONSUME(tt) })));
            const right = this.SUBRULE2(this.additive);
            this.ACTION(() => {
              left = { kind: 'Binary', op: t.image as BinaryOp, left, right, opSpan: tokenSpan(t), span: join(left.span, right.span) };
            });
          },
        },
        {
          ALT: () => {
            this.CONSUME(K.in);
            const target = this.SUBRULE(this.nameRef);
            let indices: Expr[] = [];
            let endSpan: Span | null = null;
            this.OPTION2(() => {
              const ix = this.SUBRULE(this.indexArgs);
              this.ACTION(() => { indices = ix.items; endSpan = ix.span; });
            });
            this.ACTION(() => {
              left = { kind: 'In', value: left, target, indices, span: join(left.span, endSpan ?? target.span) };
            });
          },
        },
      ]);
    });
    return left;
  });

  // additive = multiplicative { ( "+" | "-" ) multiplicative }
  public additive = this.RULE('additive', (): Expr =>
    this.binaryChain(
      () => this.SUBRULE(this.multiplicative),
      () => this.OR([{ ALT: () => this.CONSUME(T.Plus) }, { ALT: () => this.CONSUME(T.Minus) }]),
      () => this.SUBRULE2(this.multiplicative),
    ),
  );

  // multiplicative = unary { ( "*" | "/" | "//" | "%" ) unary }
  private multiplicative = this.RULE('multiplicative', (): Expr =>
    this.binaryChain(
      () => this.SUBRULE(this.unary),
      () => this.OR([
        { ALT: () => this.CONSUME(T.Star) },
        { ALT: () => this.CONSUME(T.SlashSlash) },
        { ALT: () => this.CONSUME(T.Slash) },
        { ALT: () => this.CONSUME(T.Percent) },
      ]),
      () => this.SUBRULE2(this.unary),
    ),
  );

  // unary = "-" unary | primary
  private unary = this.RULE('unary', (): Expr =>
    this.OR([
      {
        ALT: () => {
          const t = this.CONSUME(T.Minus);
          const operand = this.SUBRULE(this.unary);
          return this.ACTION(() => ({ kind: 'Unary' as const, op: '-' as const, operand, span: join(tokenSpan(t), operand.span) }));
        },
      },
      { ALT: () => this.SUBRULE(this.primary) },
    ]),
  );

  // primary = INT | FLOAT | "true" | "false" | "(" expression ")"
  //         | nameRef [ callArgs | indexArgs ]
  private primary = this.RULE('primary', (): Expr =>
    this.OR([
      {
        ALT: () => {
          const t = this.CONSUME(T.IntLiteral);
          return this.ACTION(() => ({ kind: 'Int' as const, value: numberValue(t.image), raw: t.image, span: tokenSpan(t) }));
        },
      },
      {
        ALT: () => {
          const t = this.CONSUME(T.FloatLiteral);
          return this.ACTION(() => ({ kind: 'Float' as const, value: numberValue(t.image), raw: t.image, span: tokenSpan(t) }));
        },
      },
      {
        ALT: () => {
          const t = this.OR2([{ ALT: () => this.CONSUME(K.true) }, { ALT: () => this.CONSUME(K.false) }]);
          return this.ACTION(() => ({ kind: 'Bool' as const, value: t.image === 'true', span: tokenSpan(t) }));
        },
      },
      {
        ALT: () => {
          const open = this.CONSUME(T.LParen);
          const expr = this.SUBRULE(this.expression);
          const close = this.CONSUME(T.RParen);
          return this.ACTION(() => ({ kind: 'Paren' as const, expr, span: join(tokenSpan(open), tokenSpan(close)) }));
        },
      },
      {
        ALT: () => {
          const name = this.SUBRULE(this.nameRef);
          let result: Expr = name;
          this.OPTION(() => {
            this.OR3([
              {
                ALT: () => {
                  const call = this.SUBRULE(this.callArgs);
                  this.ACTION(() => { result = { kind: 'Call', callee: name, args: call.args, span: join(name.span, call.span) }; });
                },
              },
              {
                ALT: () => {
                  const ix = this.SUBRULE(this.indexArgs);
                  this.ACTION(() => { result = { kind: 'Index', target: name, indices: ix.items, span: join(name.span, ix.span) }; });
                },
              },
            ]);
          });
          return result;
        },
      },
    ]),
  );

  // nameRef = IDENT [ "." IDENT ]
  private nameRef = this.RULE('nameRef', (): NameExpr => {
    const first = this.CONSUME(T.Identifier);
    let second: IToken | undefined;
    this.OPTION(() => {
      this.CONSUME(T.Dot);
      second = this.CONSUME2(T.Identifier);
    });
    return this.ACTION(() => {
      if (second) {
        return { kind: 'Name' as const, ns: ident(first), name: second.image, nameSpan: tokenSpan(second), span: join(tokenSpan(first), tokenSpan(second)) };
      }
      return { kind: 'Name' as const, ns: null, name: first.image, nameSpan: tokenSpan(first), span: tokenSpan(first) };
    });
  });

  // callArgs = "(" [ argument { "," argument } ] ")"
  private callArgs = this.RULE('callArgs', (): { args: Arg[]; span: Span } => {
    const open = this.CONSUME(T.LParen);
    const args: Arg[] = [];
    this.MANY_SEP({
      SEP: T.Comma,
      DEF: () => {
        const a = this.SUBRULE(this.argument);
        this.ACTION(() => args.push(a));
      },
    });
    const close = this.CONSUME(T.RParen);
    return this.ACTION(() => ({ args, span: join(tokenSpan(open), tokenSpan(close)) }));
  });

  // argument = [ ( IDENT | "block" ) "=" ] expression
  private argument = this.RULE('argument', (): Arg => {
    let name: IToken | undefined;
    this.OPTION({
      GATE: () => this.LA(2).tokenType === T.Equals,
      DEF: () => {
        name = this.OR([{ ALT: () => this.CONSUME(T.Identifier) }, { ALT: () => this.CONSUME(K.block) }]);
        this.CONSUME(T.Equals);
      },
    });
    const value = this.SUBRULE(this.expression);
    return this.ACTION(() => ({
      name: name ? ident(name) : null,
      value,
      span: name ? join(tokenSpan(name), value.span) : value.span,
    }));
  });

  // indexArgs = "[" expression { "," expression } "]"
  private indexArgs = this.RULE('indexArgs', (): { items: Expr[]; span: Span } => {
    const open = this.CONSUME(T.LBracket);
    const items: Expr[] = [];
    this.AT_LEAST_ONE_SEP({
      SEP: T.Comma,
      DEF: () => {
        const e = this.SUBRULE(this.expression);
        this.ACTION(() => items.push(e));
      },
    });
    const close = this.CONSUME(T.RBracket);
    return this.ACTION(() => ({ items, span: join(tokenSpan(open), tokenSpan(close)) }));
  });
}

let parserInstance: AttnParser | undefined;
/** The shared parser (self-analysis runs once, on first use). */
export function attnParser(): AttnParser {
  parserInstance ??= new AttnParser();
  return parserInstance;
}
