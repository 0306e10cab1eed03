// fast-check arbitraries of random mask expressions (int / float / bool trees over q, k, h, l
// and sizes) materialised into IR, for property tests of the lowering.
import fc from 'fast-check';
import type { OpName } from '../../src/ir/schema.ts';
import type { IrBuilder } from './irBuilder.ts';

export type Tree =
  | { t: 'int'; v: number } | { t: 'var'; v: 'q' | 'k' | 'h' | 'l' } | { t: 'size'; v: 'Nq' | 'Nk' | 'H' }
  | { t: 'bool'; v: boolean }
  | { t: 'op'; op: OpName; type: 'int' | 'float' | 'bool'; args: Tree[] };

const { tree } = fc.letrec<{ int: Tree; bool: Tree; float: Tree; tree: Tree }>((tie) => ({
  int: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: -9, max: 70 }).map((v): Tree => ({ t: 'int', v })),
    fc.constantFrom<Tree>({ t: 'var', v: 'q' }, { t: 'var', v: 'k' }, { t: 'var', v: 'h' }, { t: 'var', v: 'l' }),
    fc.constantFrom<Tree>({ t: 'size', v: 'Nq' }, { t: 'size', v: 'Nk' }, { t: 'size', v: 'H' }),
    fc.tuple(fc.constantFrom<OpName>('add', 'sub', 'mul', 'floordiv', 'mod', 'min', 'max'), tie('int'), tie('int'))
      .map(([op, a, b]): Tree => ({ t: 'op', op, type: 'int', args: [a, b] })),
    fc.tuple(fc.constantFrom<OpName>('floordiv', 'mod'), tie('int'), fc.constantFrom(0, 1, 3, 4, 16, -4))
      .map(([op, a, c]): Tree => ({ t: 'op', op, type: 'int', args: [a, { t: 'int', v: c }] })),
    fc.tuple(fc.constantFrom<OpName>('neg', 'abs'), tie('int')).map(([op, a]): Tree => ({ t: 'op', op, type: 'int', args: [a] })),
    fc.tuple(tie('bool'), tie('int'), tie('int')).map(([c, a, b]): Tree => ({ t: 'op', op: 'select', type: 'int', args: [c, a, b] })),
    fc.tuple(fc.constantFrom<OpName>('floor', 'ceil', 'round'), tie('float')).map(([op, a]): Tree => ({ t: 'op', op, type: 'int', args: [a] })),
  ),
  float: fc.oneof(
    tie('int').map((a): Tree => ({ t: 'op', op: 'tofloat', type: 'float', args: [a] })),
    fc.tuple(tie('int'), fc.integer({ min: 1, max: 9 })).map(([a, c]): Tree => ({ t: 'op', op: 'div', type: 'float', args: [{ t: 'op', op: 'tofloat', type: 'float', args: [a] }, { t: 'op', op: 'tofloat', type: 'float', args: [{ t: 'int', v: c }] }] })),
  ),
  bool: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.boolean().map((v): Tree => ({ t: 'bool', v })),
    fc.tuple(fc.constantFrom<OpName>('eq', 'ne', 'lt', 'le', 'gt', 'ge'), tie('int'), tie('int'))
      .map(([op, a, b]): Tree => ({ t: 'op', op, type: 'bool', args: [a, b] })),
    fc.tuple(fc.constantFrom<OpName>('and', 'or'), tie('bool'), tie('bool'))
      .map(([op, a, b]): Tree => ({ t: 'op', op, type: 'bool', args: [a, b] })),
    tie('bool').map((a): Tree => ({ t: 'op', op: 'not', type: 'bool', args: [a] })),
  ),
  tree: tie('bool'),
}));

export const maskTree = tree;

/** Materialise a tree; structurally equal subtrees share one node (as the front end's hash-consing does). */
export function build(b: IrBuilder, t: Tree, memo = new Map<string, number>()): number {
  const key = JSON.stringify(t);
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  let id: number;
  switch (t.t) {
    case 'int': id = b.int(t.v); break;
    case 'bool': id = b.bool(t.v); break;
    case 'var': id = b.v(t.v); break;
    case 'size': id = b.size(t.v); break;
    case 'op': id = b.op(t.op, t.type, ...t.args.map((a) => build(b, a, memo))); break;
  }
  memo.set(key, id);
  return id;
}
