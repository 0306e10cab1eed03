// A tiny IR builder for codegen tests that need patterns the .attn front end cannot express
// directly (random expression DAGs for property tests).
import type { IrNode, IrProgram, OpName, ScalarType, Sizes } from '../../src/ir/schema.ts';

export class IrBuilder {
  nodes: IrNode[] = [];
  add(n: IrNode): number {
    this.nodes.push(n);
    return this.nodes.length - 1;
  }
  int(v: number) { return this.add({ kind: 'int', value: v }); }
  float(v: number) { return this.add({ kind: 'float', value: v }); }
  bool(v: boolean) { return this.add({ kind: 'bool', value: v }); }
  v(name: 'q' | 'k' | 'h' | 'l' | 's') { return this.add({ kind: 'var', name }); }
  size(name: keyof Sizes) { return this.add({ kind: 'size', name }); }
  op(op: OpName, type: ScalarType, ...args: number[]) { return this.add({ kind: 'op', op, type, args }); }
  program(mask: number, extra: Partial<IrProgram> = {}): IrProgram {
    return {
      version: 1, name: 'test', sizes: { Nq: 64, Nk: 64, H: 2, Hkv: 2, L: 1 }, params: [], tables: [], inputs: [],
      nodes: this.nodes, rules: [{ layers: [0], heads: [0, 1], mask }], score: null, requires: [], ...extra,
    };
  }
}
