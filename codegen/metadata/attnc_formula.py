"""Evaluator of attnc launch-metadata formulas (grammar in codegen/metadata/formula.ts).

A hand-written recursive-descent parser: never eval(). Variables are size names (B, Nq, Nk,
H, Hkv, L, D, ...). '/' is exact division, '//' floor division, '%' floor modulo (x/0 = 0).
"""
import math
import re

_TOKEN = re.compile(r"\s*(\d+|[A-Za-z_][A-Za-z0-9_]*|//|[-+*/%(),])")
_FUNCS = {"ceil": 1, "floor": 1, "min": 2, "max": 2}


def _tokenize(src):
    out, pos = [], 0
    while pos < len(src):
        if src[pos:].strip() == "":
            break
        m = _TOKEN.match(src, pos)
        if not m:
            raise ValueError("formula %r: unexpected character at %d" % (src, pos))
        out.append(m.group(1))
        pos = m.end()
    return out


def eval_formula(src, env):
    """Value of formula `src` (a str or a number) with variables from dict `env`."""
    if isinstance(src, (int, float)):
        return src
    toks = _tokenize(src)
    pos = [0]

    def peek():
        return toks[pos[0]] if pos[0] < len(toks) else None

    def take():
        t = peek()
        if t is None:
            raise ValueError("formula %r: unexpected end" % src)
        pos[0] += 1
        return t

    def expr():
        a = term()
        while peek() in ("+", "-"):
            a = a + term() if take() == "+" else a - term()
        return a

    def term():
        a = unary()
        while peek() in ("*", "/", "//", "%"):
            op, b = take(), unary()
            if op == "*":
                a = a * b
            elif b == 0:
                a = 0
            elif op == "/":
                a = a / b
            elif op == "//":
                a = math.floor(a / b)
            else:
                a = a - b * math.floor(a / b)
        return a

    def unary():
        if peek() == "-":
            take()
            return -unary()
        return atom()

    def atom():
        t = take()
        if t.isdigit():
            return int(t)
        if t == "(":
            v = expr()
            if take() != ")":
                raise ValueError("formula %r: expected )" % src)
            return v
        if t in _FUNCS and peek() == "(":
            take()
            args = [expr()]
            while peek() == ",":
                take()
                args.append(expr())
            if take() != ")" or len(args) != _FUNCS[t]:
                raise ValueError("formula %r: bad call of %s" % (src, t))
            if t == "ceil":
                return math.ceil(args[0])
            if t == "floor":
                return math.floor(args[0])
            return min(args) if t == "min" else max(args)
        if re.match(r"[A-Za-z_]", t):
            if t not in env:
                raise KeyError("formula variable %s is not bound" % t)
            return env[t]
        raise ValueError("formula %r: unexpected %s" % (src, t))

    v = expr()
    if pos[0] != len(toks):
        raise ValueError("formula %r: unexpected %s" % (src, toks[pos[0]]))
    return v
