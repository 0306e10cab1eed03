// Builds IR programs by hand for the reference tests (no front end involved).
import type { InputDecl, IrNode, IrProgram, OpName, ScalarType, Sizes, TableDecl } from '../../src/ir/schema.ts';

export class IrBuilder {
  nodes: IrNode[] = [];
  tables: TableDecl[] = [];
  inputs: InputDecl[] = [];

  private add(node: IrNode): number {
    this.nodes.push(node);
    return this.nodes.length - 1;
  }
  int(value: number) { return this.add({ kind: 'int', value }); }
  float(value: number) { return this.add({ kind: 'float', value }); }
  bool(value: boolean) { return this.add({ kind: 'bool', value }); }
  v(name: 'q' | 'k' | 'h' | 'l' | 's') { return this.add({ kind: 'var', name }); }
  size(name: keyof Sizes) { return this.add({ kind: 'size', name }); }
  op(op: OpName, type: ScalarType, ...args: number[]) { return this.add({ kind: 'op', op, type, args }); }
  table(name: string, type: ScalarType, ...args: number[]) { return this.add({ kind: 'table', name, type, args }); }
  input(name: string, type: ScalarType, ...args: number[]) { return this.add({ kind: 'input', name, type, args }); }
  member(name: string, value: number, ...args: number[]) { return this.add({ kind: 'member', name, value, args }); }
  randomBlocks(r: number, block: number, seed: number, causal: boolean) {
    return this.add({ kind: 'random_blocks', r, block, seed, causal });
  }
  topk(k: number, block: number, causal: boolean) { return this.add({ kind: 'topk_blocks', k, block, causal }); }

  program(mask: number, sizes: Partial<Sizes> = {}, score: number | null = null): IrProgram {
    const s: Sizes = { Nq: 16, Nk: 16, H: 1, Hkv: 1, L: 1, ...sizes };
    return {
      version: 1,
      name: 'test',
      sizes: s,
      params: [],
      tables: this.tables,
      inputs: this.inputs,
      nodes: this.nodes,
      rules: [{ layers: range(s.L), heads: range(s.H), mask }],
      score,
      requires: [],
    };
  }
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
