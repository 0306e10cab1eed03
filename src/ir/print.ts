// Readable text form of the IR (`attnc ir FILE` without --json): declarations, then each
// rule's mask and the score as expressions.
import type { IrNode, IrProgram } from './schema.ts';

const INFIX: Record<string, [string, number]> = {
  or: ['or', 1], and: ['and', 2],
  eq: ['==', 4], ne: ['!=', 4], lt: ['<', 4], le: ['<=', 4], gt: ['>', 4], ge: ['>=', 4],
  add: ['+', 5], sub: ['-', 5], mul: ['*', 6], div: ['/', 6], floordiv: ['//', 6], mod: ['%', 6],
};

/** `[0, 1, 2, 3, 8]` -> `0..3, 8` */
export function formatIndexList(xs: number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < xs.length) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j]! + 1) j++;
    parts.push(j > i ? `${xs[i]}..${xs[j]}` : `${xs[i]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

export function formatIrExpr(ir: IrProgram, id: number, depthLimit = 60): string {
  const go = (nid: number, parentPrec: number, depth: number): string => {
    if (depth > depthLimit) return `%${nid}`;
    const n: IrNode = ir.nodes[nid]!;
    switch (n.kind) {
      case 'int': return String(n.value);
      case 'float': return Number.isInteger(n.value) ? `${n.value}.0` : String(n.value);
      case 'bool': return String(n.value);
      case 'var': case 'size': return n.name;
      case 'table': case 'input': return `${n.name}[${n.args.map((a) => go(a, 0, depth + 1)).join(', ')}]`;
      case 'member': {
        const s = `${go(n.value, 5, depth + 1)} in ${n.name}${n.args.length ? `[${n.args.map((a) => go(a, 0, depth + 1)).join(', ')}]` : ''}`;
        return parentPrec >= 4 ? `(${s})` : s;
      }
      case 'random_blocks': return `random_blocks(r = ${n.r}, block = ${n.block}, seed = ${go(n.seed, 0, depth + 1)}, causal = ${n.causal})`;
      case 'topk_blocks': return `topk_blocks(k = ${n.k}, block = ${n.block}, causal = ${n.causal})`;
      case 'op': {
        const infix = INFIX[n.op];
        if (infix) {
          const [sym, prec] = infix;
          const s = `${go(n.args[0]!, prec, depth + 1)} ${sym} ${go(n.args[1]!, prec + 1, depth + 1)}`;
          return prec < parentPrec || (prec === 4 && parentPrec === 4) ? `(${s})` : s;
        }
        if (n.op === 'neg') return `-${go(n.args[0]!, 7, depth + 1)}`;
        if (n.op === 'not') {
          const s = `not ${go(n.args[0]!, 3, depth + 1)}`;
          return parentPrec > 3 ? `(${s})` : s;
        }
        if (n.op === 'select') {
          const s = `if ${go(n.args[0]!, 0, depth + 1)} then ${go(n.args[1]!, 0, depth + 1)} else ${go(n.args[2]!, 0, depth + 1)}`;
          return parentPrec > 0 ? `(${s})` : s;
        }
        return `${n.op}(${n.args.map((a) => go(a, 0, depth + 1)).join(', ')})`;
      }
    }
  };
  return go(id, 0, 0);
}

export function formatIr(ir: IrProgram): string {
  const out: string[] = [];
  const s = ir.sizes;
  out.push(`pattern ${ir.name}`);
  out.push(`sizes Nq = ${s.Nq}, Nk = ${s.Nk}, H = ${s.H}, Hkv = ${s.Hkv}, L = ${s.L}`);
  for (const p of ir.params) out.push(`param ${p.name}: ${p.type} = ${p.value}`);
  for (const t of ir.tables) out.push(`table ${t.name}: ${t.type}[${t.shape.join(', ')}]  (${t.data.length} values)`);
  for (const i of ir.inputs) {
    const src = i.source.kind === 'lsh' ? ` = lsh(${i.source.of}, buckets = ${i.source.buckets}, seed = ${i.source.seed})` : '';
    out.push(`input ${i.name}: ${i.type}[${i.shape.join(', ')}]${src}`);
  }
  for (const [idx, r] of ir.rules.entries()) {
    out.push(`rule ${idx}: layers ${formatIndexList(r.layers)} heads ${formatIndexList(r.heads)}`);
    out.push(`  mask = ${formatIrExpr(ir, r.mask)}`);
  }
  out.push(ir.score === null ? 'score = s (unmodified)' : `score = ${formatIrExpr(ir, ir.score)}`);
  if (ir.requires.length) out.push(`require ${ir.requires.join(', ')}`);
  out.push(`(${ir.nodes.length} IR nodes)`);
  return out.join('\n') + '\n';
}
