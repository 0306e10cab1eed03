// Row hoisting of the lowered mask (CUDA forward): a CTA owns fixed query rows for its whole
// key-tile loop, so what the mask computes from (b, l, h, q) alone — table loads such as
// BigBird's random-block rows or a document id of q — is computed once per row by `mask_row`
// and handed to `mask_at`, which adds only the key-dependent work. Small membership lists with
// a row-only base are loaded whole in the row part. Backend neutral; tests evaluate
// mask_at(mask_row(q), k) == mask(q, k) with the IR interpreter.
import { int, ref, type LExpr, type LFunction, type LParam, type LStmt, type LType } from './ir.ts';
import { add, mk } from './build.ts';

/** Membership lists up to this length are hoisted entry by entry. */
const MAX_HOISTED_MEMBER = 8;

export interface RowSplit {
  /** mask_row_impl(b, l, h, q, out fields...) -> true. */
  row: LFunction;
  /** mask_at_impl(b, l, h, q, k, fields...) -> bool. */
  at: LFunction;
  /** The row values, in out / parameter order. */
  fields: LParam[];
}

function refs(e: LExpr, acc: Set<string>): Set<string> {
  if (e.kind === 'ref') acc.add(e.name);
  else if (e.kind === 'op') e.args.forEach((a) => refs(a, acc));
  else if (e.kind === 'load') refs(e.index, acc);
  return acc;
}

interface Split { row: LStmt[]; at: LStmt[]; exported: LParam[] }

/** Splits one straight-line body (lets, members, return, comments); null if it has other statements. */
function splitBody(body: LStmt[], prefix: string): Split | null {
  const keyDep = new Set<string>(['k']);
  const types = new Map<string, LType>();
  const row: LStmt[] = [];
  const at: LStmt[] = [];
  const dependsOnKey = (e: LExpr) => [...refs(e, new Set())].some((n) => keyDep.has(n));
  const rename = (n: string) => `${prefix}${n}`;
  let hoisted = 0;
  const hasLoad = (e: LExpr): boolean => e.kind === 'load' || (e.kind === 'op' && e.args.some(hasLoad));
  // the largest row-only subexpressions holding a load (e.g. doc[q] in doc[q] == doc[k])
  // become row values
  const hoist = (e: LExpr): LExpr => {
    if (!dependsOnKey(e)) {
      if (!hasLoad(e)) return e;
      const name = `rowv${hoisted++}`;
      row.push({ kind: 'let', name, type: e.type, value: e });
      types.set(name, e.type);
      return ref(name, e.type);
    }
    if (e.kind === 'op') return { ...e, args: e.args.map(hoist) };
    if (e.kind === 'load') return { ...e, index: hoist(e.index) };
    return e;
  };
  for (const s of body) {
    switch (s.kind) {
      case 'comment': at.push(s); break;
      case 'let':
        if (dependsOnKey(s.value)) { keyDep.add(s.name); at.push({ ...s, value: hoist(s.value) }); } else { row.push(s); types.set(s.name, s.type); }
        break;
      case 'member': {
        if (!dependsOnKey(s.value) && !dependsOnKey(s.base)) { row.push(s); types.set(s.name, 'bool'); break; }
        keyDep.add(s.name);
        if (dependsOnKey(s.base) || s.count > MAX_HOISTED_MEMBER) { at.push({ ...s, value: hoist(s.value), base: hoist(s.base) }); break; }
        // entries loaded in the row part, compared in the element part
        let hit: LExpr = { kind: 'lit', type: 'bool', value: false };
        for (let i = 0; i < s.count; i++) {
          const e = `${s.name}_e${i}`;
          row.push({ kind: 'let', name: e, type: 'int', value: { kind: 'load', type: 'int', buffer: s.buffer, index: add(s.base, int(i)) } });
          types.set(e, 'int');
          const m = mk('and', 'bool', mk('eq', 'bool', ref(e, 'int'), hoist(s.value)), mk('ge', 'bool', ref(e, 'int'), int(0)));
          hit = i === 0 ? m : mk('or', 'bool', hit, m);
        }
        at.push({ kind: 'let', name: s.name, type: 'bool', value: hit });
        break;
      }
      case 'return': at.push({ ...s, value: hoist(s.value) }); break;
      default: return null;
    }
  }
  // row values the element part reads become fields (prefixed: one set per dispatch case)
  const used = new Set<string>();
  for (const s of at) {
    if (s.kind === 'let') refs(s.value, used);
    if (s.kind === 'return') refs(s.value, used);
    if (s.kind === 'member') { refs(s.value, used); refs(s.base, used); }
  }
  const exported = [...used].filter((n) => types.has(n)).map((n) => ({ name: n, type: types.get(n)! }));
  // every path returns (the printers' switch cases do not fall through only because each returns)
  const rowOut: LStmt[] = [
    ...row, ...exported.map((f): LStmt => ({ kind: 'out', name: rename(f.name), value: ref(f.name, f.type) })),
    { kind: 'return', value: { kind: 'lit', type: 'bool', value: true } },
  ];
  const atIn: LStmt[] = [...exported.map((f): LStmt => ({ kind: 'let', name: f.name, type: f.type, value: ref(rename(f.name), f.type) })), ...at];
  return { row: rowOut, at: atIn, exported: exported.map((f) => ({ name: rename(f.name), type: f.type })) };
}

const zero = (t: LType): LExpr => (t === 'bool' ? { kind: 'lit', type: 'bool', value: false } : t === 'float' ? { kind: 'lit', type: 'float', value: 0 } : int(0));

/**
 * The row / element split of a lowered `mask` hook (a straight-line body or a switch of
 * straight-line cases, as lowerMaskHook produces); null when no row value would be hoisted.
 */
export function splitMaskByRow(mask: LFunction): RowSplit | null {
  const rowParams = mask.params.filter((p) => p.name !== 'k');
  const fields: LParam[] = [];
  let rowBody: LStmt[];
  let atBody: LStmt[];
  const body = mask.body.filter((s) => s.kind !== 'comment' || mask.body.length === 1);
  const sw = body.length === 1 && body[0]!.kind === 'switch' ? body[0] : null;
  if (sw && sw.kind === 'switch') {
    const parts = [...sw.cases.map((c) => c.body), sw.otherwise].map((b, i) => splitBody(b, `c${i}_`));
    if (parts.some((p) => p === null)) return null;
    const ps = parts as Split[];
    ps.forEach((p) => fields.push(...p.exported));
    rowBody = [
      ...fields.map((f): LStmt => ({ kind: 'out', name: f.name, value: zero(f.type) })),
      { kind: 'switch', on: sw.on, cases: sw.cases.map((c, i) => ({ values: c.values, body: ps[i]!.row })), otherwise: ps[ps.length - 1]!.row },
    ];
    atBody = [{ kind: 'switch', on: sw.on, cases: sw.cases.map((c, i) => ({ values: c.values, body: ps[i]!.at })), otherwise: ps[ps.length - 1]!.at }];
  } else {
    const p = splitBody(mask.body, 'c0_');
    if (!p) return null;
    fields.push(...p.exported);
    rowBody = p.row;
    atBody = p.at;
  }
  if (!fields.length) return null;
  return {
    row: { name: 'mask_row_impl', params: rowParams, outs: fields, ret: 'bool', body: rowBody },
    at: { name: 'mask_at_impl', params: [...mask.params, ...fields], outs: [], ret: 'bool', body: atBody },
    fields,
  };
}

export interface HeadSplit {
  /** mask_head(b, l, h) -> int: the (l, h) dispatch (a rule table load or l * H + h). */
  head: LFunction;
  /** mask_in(head, b, l, h, q, k) -> bool: the rule switch on that value. */
  in: LFunction;
}

/**
 * The (l, h) dispatch of a lowered `mask` hook hoisted out of the element loops: a mask of
 * several rules starts with the rule of (l, h) (a load from the rule_of_pair table, or the pair
 * index itself) and switches on it; every element of a tile has the same (b, l, h), so kernels
 * compute the dispatch once per tile or row (mask_head) and switch on it per element (mask_in).
 * Null for a single-rule mask (nothing to hoist). mask_in(mask_head(b, l, h), q, k) == mask(q, k).
 */
export function splitMaskByHead(mask: LFunction): HeadSplit | null {
  const body = mask.body.filter((s) => s.kind !== 'comment');
  const sw = body[body.length - 1];
  if (!sw || sw.kind !== 'switch') return null;
  const lets = body.slice(0, -1);
  const headOnly = new Set(['b', 'l', 'h']);
  const ok = (e: LExpr): boolean => [...refs(e, new Set())].every((n) => headOnly.has(n));
  for (const s of lets) {
    if (s.kind !== 'let' || !ok(s.value)) return null;
    headOnly.add(s.name);
  }
  if (!ok(sw.on)) return null;
  const headParams = mask.params.filter((p) => p.name === 'b' || p.name === 'l' || p.name === 'h');
  return {
    head: { name: 'mask_head', params: headParams, outs: [], ret: 'int', body: [...lets, { kind: 'return', value: sw.on }] },
    in: { name: 'mask_in', params: [{ name: 'head', type: 'int' }, ...mask.params], outs: [], ret: 'bool', body: [{ ...sw, on: ref('head', 'int') }] },
  };
}
