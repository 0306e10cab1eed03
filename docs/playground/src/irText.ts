// Readable text of an IR expression node, for the hover explanation of the mask view (which
// rule and which top-level disjunct holds). Presentation only: built-ins arrive here already
// desugared, so `window(256)` reads as `q - 256 <= k and k <= q`.
import type { IrNode, IrProgram } from '../../../src/ir/schema.ts';

const BINARY: Partial<Record<string, [string, number]>> = {
  or: ['or', 1], and: ['and', 2],
  eq: ['==', 4], ne: ['!=', 4], lt: ['<', 4], le: ['<=', 4], gt: ['>', 4], ge: ['>=', 4],
  add: ['+', 5], sub: ['-', 5],
  mul: ['*', 6], div: ['/', 6], floordiv: ['//', 6], mod: ['%', 6],
};
const CALLS = new Set(['min', 'max', 'abs', 'floor', 'ceil', 'round', 'tanh', 'exp', 'log', 'sqrt']);

export function irText(ir: IrProgram, id: number, maxLength = 160): string {
  const text = print(ir, id, 0);
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

/** Flattens nested `or` (or `and`) nodes into their operands. */
export function flatten(ir: IrProgram, id: number, op: 'or' | 'and'): number[] {
  const node = ir.nodes[id];
  if (node?.kind === 'op' && node.op === op) return node.args.flatMap((a) => flatten(ir, a, op));
  return [id];
}

export function opOf(ir: IrProgram, id: number): 'or' | 'and' | undefined {
  const node = ir.nodes[id];
  return node?.kind === 'op' && (node.op === 'or' || node.op === 'and') ? node.op : undefined;
}

function print(ir: IrProgram, id: number, outer: number): string {
  const node: IrNode | undefined = ir.nodes[id];
  if (!node) return `?${id}`;
  switch (node.kind) {
    case 'int': return String(node.value);
    case 'float': return Number.isInteger(node.value) ? node.value.toFixed(1) : String(node.value);
    case 'bool': return String(node.value);
    case 'var': case 'size': return node.name;
    case 'table': case 'input':
      return `${node.name}[${node.args.map((a) => print(ir, a, 0)).join(', ')}]`;
    case 'member':
      return wrap(`${print(ir, node.value, 5)} in ${node.name}[${node.args.map((a) => print(ir, a, 0)).join(', ')}]`, 4, outer);
    case 'random_blocks':
      return `random_blocks(${node.r}, block = ${node.block}, seed = ${print(ir, node.seed, 0)}, causal = ${node.causal})`;
    case 'topk_blocks':
      return `topk_blocks(${node.k}, block = ${node.block}, causal = ${node.causal})`;
    case 'op': {
      const args = node.args;
      const binary = BINARY[node.op];
      if (binary && args.length === 2) {
        const [symbol, level] = binary;
        // Left-associative: the right operand needs brackets at the same level.
        return wrap(`${print(ir, args[0]!, level)} ${symbol} ${print(ir, args[1]!, level + 1)}`, level, outer);
      }
      if (node.op === 'not') return wrap(`not ${print(ir, args[0]!, 3)}`, 3, outer);
      if (node.op === 'neg') return wrap(`-${print(ir, args[0]!, 7)}`, 7, outer);
      if (node.op === 'tofloat') return print(ir, args[0]!, outer);
      if (node.op === 'select') {
        return wrap(`if ${print(ir, args[0]!, 0)} then ${print(ir, args[1]!, 0)} else ${print(ir, args[2]!, 0)}`, 0, outer);
      }
      if (CALLS.has(node.op)) return `${node.op}(${args.map((a) => print(ir, a, 0)).join(', ')})`;
      return `${node.op}(${args.map((a) => print(ir, a, 0)).join(', ')})`;
    }
  }
}

function wrap(text: string, level: number, outer: number): string {
  return level < outer ? `(${text})` : text;
}
