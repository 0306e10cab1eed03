// A minimal IR interpreter for the lowering tests (static nodes only; the project's oracle
// lives in src/reference/).
import type { IrProgram, Sizes } from '../../src/ir/schema.ts';
import { irFloorDiv, irFloorMod } from '../../src/ir/builder.ts';

export interface Point { q: number; k: number; h: number; l: number; s?: number }

export function evalNode(ir: IrProgram, id: number, p: Point, sizes: Sizes = ir.sizes): number | boolean {
  const n = ir.nodes[id]!;
  const ev = (i: number) => evalNode(ir, i, p, sizes);
  switch (n.kind) {
    case 'int': case 'float': case 'bool': return n.value;
    case 'var': return n.name === 's' ? p.s ?? 0 : p[n.name];
    case 'size': return sizes[n.name];
    case 'table': {
      const t = ir.tables.find((x) => x.name === n.name)!;
      let off = 0;
      n.args.forEach((a, i) => { off = off * t.shape[i]! + Math.min(Math.max(ev(a) as number, 0), t.shape[i]! - 1); });
      const v = t.data[off]!;
      return t.type === 'bool' ? v !== 0 : v;
    }
    case 'op': {
      const a = n.args.map(ev) as number[];
      switch (n.op) {
        case 'add': return a[0]! + a[1]!;
        case 'sub': return a[0]! - a[1]!;
        case 'mul': return a[0]! * a[1]!;
        case 'div': return a[0]! / a[1]!;
        case 'floordiv': return irFloorDiv(a[0]!, a[1]!);
        case 'mod': return irFloorMod(a[0]!, a[1]!);
        case 'min': return Math.min(a[0]!, a[1]!);
        case 'max': return Math.max(a[0]!, a[1]!);
        case 'neg': return -a[0]!;
        case 'abs': return Math.abs(a[0]!);
        case 'floor': return Math.floor(a[0]!);
        case 'ceil': return Math.ceil(a[0]!);
        case 'round': return Math.sign(a[0]!) * Math.round(Math.abs(a[0]!));
        case 'tofloat': return a[0]!;
        case 'tanh': return Math.tanh(a[0]!);
        case 'exp': return Math.exp(a[0]!);
        case 'log': return Math.log(a[0]!);
        case 'sqrt': return Math.sqrt(a[0]!);
        case 'eq': return a[0] === a[1];
        case 'ne': return a[0] !== a[1];
        case 'lt': return a[0]! < a[1]!;
        case 'le': return a[0]! <= a[1]!;
        case 'gt': return a[0]! > a[1]!;
        case 'ge': return a[0]! >= a[1]!;
        case 'and': return Boolean(a[0]) && Boolean(a[1]);
        case 'or': return Boolean(a[0]) || Boolean(a[1]);
        case 'not': return !a[0];
        case 'select': return a[0] ? a[1]! : a[2]!;
      }
    }
    // eslint-disable-next-line no-fallthrough
    default: throw new Error(`evalNode: ${n.kind} is not static`);
  }
}

/** The mask of (l, h) at (q, k): the rule covering (l, h) evaluated there. */
export function evalMaskAt(ir: IrProgram, p: Point): boolean {
  const rule = ir.rules.find((r) => r.layers.includes(p.l) && r.heads.includes(p.h))!;
  return evalNode(ir, rule.mask, p) as boolean;
}
