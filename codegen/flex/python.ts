// Python/torch spelling of lowered expressions for FlexAttention mask_mod / score_mod:
// vectorisation-safe (no data-dependent Python control flow: torch.where, &, |, helpers).
import type { LExpr, LStmt } from '../lower/ir.ts';

const INFIX: Record<string, string> = { add: '+', sub: '-', mul: '*', fdiv: '/', eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=', and: '&', or: '|', shr: '>>', band: '&' };

export function pyExpr(e: LExpr, buf: (name: string) => string): string {
  switch (e.kind) {
    case 'lit':
      if (e.type === 'bool') return e.value ? 'True' : 'False';
      if (e.type === 'float') return Number.isFinite(e.value as number) ? `${Math.fround(e.value as number)}` : `float("${(e.value as number) > 0 ? 'inf' : '-inf'}")`;
      return String(e.value);
    case 'ref': return e.name;
    case 'param': return `P[${JSON.stringify(e.name)}]`;
    case 'load': return `_ld(${buf(e.buffer)}, ${pyExpr(e.index, buf)})`;
    case 'op': {
      const a = e.args.map((x) => pyExpr(x, buf));
      const f = e.type === 'float' || e.args[0]?.type === 'float';
      if (INFIX[e.op]) return `(${a[0]} ${INFIX[e.op]} ${a[1]})`;
      switch (e.op) {
        case 'floordiv': return `_floordiv${f ? 'f' : ''}(${a[0]}, ${a[1]})`;
        case 'floormod': return `_floormod${f ? 'f' : ''}(${a[0]}, ${a[1]})`;
        case 'min': return `_min(${a[0]}, ${a[1]})`;
        case 'max': return `_max(${a[0]}, ${a[1]})`;
        case 'neg': return `(-${a[0]})`;
        case 'abs': return `abs(${a[0]})`;
        case 'floor': case 'ceil': return `_toint(torch.${e.op}(_f(${a[0]})))`;
        case 'round': return `_round(${a[0]})`;
        case 'tofloat': return `_f(${a[0]})`;
        case 'tanh': case 'exp': case 'log': case 'sqrt': return `torch.${e.op}(_f(${a[0]}))`;
        case 'not': return `_not(${a[0]})`;
        case 'select': return `torch.where(_t(${a[0]}), ${a[1]}, ${a[2]})`;
      }
      throw new Error(`no Python spelling for ${e.op}`);
    }
  }
}

/** Straight-line statements (let, member, return) as Python lines. */
export function pyStmts(stmts: LStmt[], buf: (name: string) => string): string[] {
  return stmts.map((s) => {
    switch (s.kind) {
      case 'let': return `${s.name} = ${pyExpr(s.value, buf)}`;
      case 'member': return `${s.name} = _member(${buf(s.buffer)}, ${pyExpr(s.base, buf)}, ${s.count}, ${pyExpr(s.value, buf)})`;
      case 'return': return `return ${pyExpr(s.value, buf)}`;
      case 'comment': return `# ${s.text.replace(/[\r\n]/g, ' ')}`;
      default: throw new Error(`statement ${s.kind} is not straight-line`);
    }
  });
}

export const PY_HELPERS = `# Python numbers stay Python numbers: a tensor made inside mask_mod (torch.tensor) becomes a
# constant that FlexAttention's kernel lowering cannot take.
def _is_t(x):
    return isinstance(x, torch.Tensor)


def _t(x):
    return x if _is_t(x) else torch.tensor(x)


def _f(x):
    return x.to(torch.float32) if _is_t(x) else float(x)


def _toint(x):
    return x.to(torch.int32) if _is_t(x) else int(x)


def _floordiv(a, b):
    if not _is_t(b):
        return 0 * a if b == 0 else (torch.div(a, b, rounding_mode="floor") if _is_t(a) else a // b)
    return torch.where(b == 0, 0, torch.div(_t(a), torch.where(b == 0, 1, b), rounding_mode="floor"))


def _floormod(a, b):
    if not _is_t(b):
        return 0 * a if b == 0 else (torch.remainder(a, b) if _is_t(a) else a % b)
    return torch.where(b == 0, 0, torch.remainder(_t(a), torch.where(b == 0, 1, b)))


def _floordivf(a, b):
    b = _f(b)
    if not _is_t(b):
        return 0.0 * _f(a) if b == 0 else torch.floor(_t(_f(a)) / b)
    return torch.where(b == 0, 0.0, torch.floor(_f(a) / torch.where(b == 0, 1.0, b)))


def _floormodf(a, b):
    a, b = _f(a), _f(b)
    if not _is_t(b):
        return 0.0 * a if b == 0 else a - b * torch.floor(_t(a) / b)
    return torch.where(b == 0, 0.0, a - b * torch.floor(a / torch.where(b == 0, 1.0, b)))


def _min(a, b):
    if _is_t(a) and _is_t(b):
        return torch.minimum(a, b)
    if _is_t(a) or _is_t(b):
        return torch.clamp(a, max=b) if _is_t(a) else torch.clamp(b, max=a)
    return min(a, b)


def _max(a, b):
    if _is_t(a) and _is_t(b):
        return torch.maximum(a, b)
    if _is_t(a) or _is_t(b):
        return torch.clamp(a, min=b) if _is_t(a) else torch.clamp(b, min=a)
    return max(a, b)


def _round(x):
    x = _f(x)
    if not _is_t(x):
        return int(math.copysign(math.floor(abs(x) + 0.5), x))
    return _toint(torch.sign(x) * torch.floor(torch.abs(x) + 0.5))


def _not(x):
    return torch.logical_not(x) if _is_t(x) else not x


def _ld(buf, i):
    return buf[i.long()] if _is_t(i) else buf[int(i)]


def _member(buf, base, count, v):
    if count <= 16:
        # unrolled: FlexAttention's kernel template lowers mask_mod point-wise, with no
        # reduction over an extra dimension
        hit = None
        for i in range(count):
            e = _ld(buf, base + i)
            m = (e == v) & (e >= 0)
            hit = m if hit is None else hit | m
        return hit if hit is not None else torch.zeros_like(_t(v), dtype=torch.bool)
    e = buf[_t(base).long().unsqueeze(-1) + torch.arange(count, device=buf.device)]
    return ((e == _t(v).unsqueeze(-1)) & (e >= 0)).any(-1)
`;
