// The launch-metadata formula language: grid sizes, shapes and shared-memory amounts as small
// expressions over size variables, e.g. "ceil(Nq / 128)", "B * H", "max(1, Nk // 64)".
//   expr   := term (('+' | '-') term)*
//   term   := unary (('*' | '/' | '//' | '%') unary)*      '/' is exact division, '//' floor
//   unary  := '-' unary | atom
//   atom   := INT | NAME | FUNC '(' expr (',' expr)* ')' | '(' expr ')'
//   FUNC   := ceil | floor | min | max
// Evaluated with a hand-written parser (never eval); the same grammar is implemented by
// codegen/metadata/attnc_formula.py for the Python loaders.

type Node =
  | { k: 'num'; v: number }
  | { k: 'var'; name: string }
  | { k: 'neg'; a: Node }
  | { k: 'bin'; op: '+' | '-' | '*' | '/' | '//' | '%'; a: Node; b: Node }
  | { k: 'call'; f: 'ceil' | 'floor' | 'min' | 'max'; args: Node[] };

const FUNCS = new Set(['ceil', 'floor', 'min', 'max']);

function tokenize(src: string): string[] {
  const re = /\s*(\d+|[A-Za-z_][A-Za-z0-9_]*|\/\/|[-+*/%(),])/y;
  const out: string[] = [];
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(src);
    if (!m) throw new Error(`formula ${JSON.stringify(src)}: unexpected character at ${pos}`);
    out.push(m[1]);
    pos = re.lastIndex;
  }
  return out;
}

export function parseFormula(src: string): Node {
  const toks = tokenize(src);
  let i = 0;
  const fail = (msg: string): never => { throw new Error(`formula ${JSON.stringify(src)}: ${msg}`); };
  const eat = (t: string) => (toks[i] === t ? (i++, true) : false);
  const expr = (): Node => {
    let a = term();
    for (;;) {
      const t = toks[i];
      if (t === '+' || t === '-') { i++; a = { k: 'bin', op: t, a, b: term() }; } else return a;
    }
  };
  const term = (): Node => {
    let a = unary();
    for (;;) {
      const t = toks[i];
      if (t === '*' || t === '/' || t === '//' || t === '%') { i++; a = { k: 'bin', op: t, a, b: unary() }; } else return a;
    }
  };
  const unary = (): Node => (eat('-') ? { k: 'neg', a: unary() } : atom());
  const atom = (): Node => {
    const t = toks[i++];
    if (t === undefined) return fail('unexpected end');
    if (/^\d+$/.test(t)) return { k: 'num', v: Number(t) };
    if (t === '(') {
      const e = expr();
      if (!eat(')')) fail('expected )');
      return e;
    }
    if (/^[A-Za-z_]/.test(t)) {
      if (FUNCS.has(t) && eat('(')) {
        const args = [expr()];
        while (eat(',')) args.push(expr());
        if (!eat(')')) fail('expected )');
        const want = t === 'ceil' || t === 'floor' ? 1 : 2;
        if (args.length !== want) fail(`${t} takes ${want} argument(s)`);
        return { k: 'call', f: t as 'ceil', args };
      }
      return { k: 'var', name: t };
    }
    return fail(`unexpected ${t}`);
  };
  const e = expr();
  if (i !== toks.length) fail(`unexpected ${toks[i]}`);
  return e;
}

function evalNode(n: Node, vars: Record<string, number>): number {
  switch (n.k) {
    case 'num': return n.v;
    case 'var': {
      const v = vars[n.name];
      if (v === undefined) throw new Error(`formula variable ${n.name} is not bound`);
      return v;
    }
    case 'neg': return -evalNode(n.a, vars);
    case 'call': {
      const a = n.args.map((x) => evalNode(x, vars));
      return n.f === 'ceil' ? Math.ceil(a[0]) : n.f === 'floor' ? Math.floor(a[0]) : n.f === 'min' ? Math.min(a[0], a[1]) : Math.max(a[0], a[1]);
    }
    case 'bin': {
      const a = evalNode(n.a, vars), b = evalNode(n.b, vars);
      switch (n.op) {
        case '+': return a + b;
        case '-': return a - b;
        case '*': return a * b;
        case '/': return b === 0 ? 0 : a / b;
        case '//': return b === 0 ? 0 : Math.floor(a / b);
        case '%': return b === 0 ? 0 : a - b * Math.floor(a / b);
      }
    }
  }
}

/** Evaluate a formula (or pass a number through) with the given variables. */
export function evalFormula(f: string | number, vars: Record<string, number>): number {
  return typeof f === 'number' ? f : evalNode(parseFormula(f), vars);
}

/** Variables a formula reads. */
export function formulaVars(f: string | number): string[] {
  if (typeof f === 'number') return [];
  const out = new Set<string>();
  const walk = (n: Node): void => {
    if (n.k === 'var') out.add(n.name);
    else if (n.k === 'neg') walk(n.a);
    else if (n.k === 'bin') { walk(n.a); walk(n.b); }
    else if (n.k === 'call') n.args.forEach(walk);
  };
  walk(parseFormula(f));
  return [...out];
}
