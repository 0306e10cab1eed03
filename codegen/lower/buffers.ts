// The buffers the hooks read, with generated names: static tables (written as binary files
// beside the kernel), BigBird random-block tables (precomputed here, exactly as SPEC.md's
// algorithm), runtime inputs (given by the caller, with a batch stride) and the outputs of
// runtime helper kernels (top-k key-block selection).
import type { IrProgram, Sizes } from '../../src/ir/schema.ts';
import type { LBuffer } from './ir.ts';
import { mangle } from './text.ts';
import { randomBlocksChosen } from '../../src/reference/random.ts';

export function dimValue(d: string | number, sizes: Sizes): number {
  return typeof d === 'number' ? d : sizes[d as keyof Sizes];
}

export class BufferRegistry {
  readonly buffers: LBuffer[] = [];
  private byKey = new Map<string, LBuffer>();
  constructor(readonly ir: IrProgram, readonly sizes: Sizes) {}

  private add(key: string, make: (index: number) => LBuffer): LBuffer {
    let b = this.byKey.get(key);
    if (!b) {
      b = make(this.buffers.length);
      this.buffers.push(b);
      this.byKey.set(key, b);
    }
    return b;
  }

  table(name: string): LBuffer {
    const decl = this.ir.tables.find((t) => t.name === name);
    if (!decl) throw new Error(`unknown table ${name}`);
    return this.add(`table:${name}`, (i) => ({
      name: `tab${i}_${mangle(name)}`,
      elem: decl.type === 'float' ? 'float' : 'int',
      length: decl.data.length,
      shape: decl.shape,
      source: { kind: 'table', userName: name, data: decl.data.map((v) => (decl.type === 'float' ? v : Math.trunc(v))) },
      batched: false,
    }));
  }

  input(name: string): LBuffer {
    const index = this.ir.inputs.findIndex((t) => t.name === name);
    if (index < 0) throw new Error(`unknown input ${name}`);
    const decl = this.ir.inputs[index];
    const shape = decl.shape.map((d) => dimValue(d, this.sizes));
    return this.add(`input:${name}`, (i) => ({
      name: `in${i}_${mangle(name)}`,
      elem: decl.type === 'float' ? 'float' : 'int',
      length: shape.reduce((a, b) => a * b, 1),
      shape,
      source: { kind: 'input', userName: name, inputIndex: index },
      batched: true,
    }));
  }

  /**
   * Random-block table for one random_blocks node: entry l*H+h holds the offset of that head's
   * rows (heads with equal seeds share rows); each row (one per query block) lists `r` chosen
   * key blocks, padded with -1.
   */
  randomBlocks(nodeId: number, r: number, block: number, causal: boolean, seedOf: (l: number, h: number) => number): LBuffer {
    const { L, H, Nq, Nk } = this.sizes;
    return this.add(`rb:${nodeId}`, (i) => {
      const nqb = Math.ceil(Nq / block);
      const rowBase = new Map<number, number>();
      const heads: number[] = [];
      const rows: number[] = [];
      for (let l = 0; l < L; l++) {
        for (let h = 0; h < H; h++) {
          const seed = seedOf(l, h);
          if (!rowBase.has(seed)) {
            rowBase.set(seed, L * H + rows.length);
            for (let qb = 0; qb < nqb; qb++) {
              const chosen = randomBlocksChosen({ r, block, seed, causal }, qb, Nk);
              for (let j = 0; j < r; j++) rows.push(j < chosen.length ? chosen[j] : -1);
            }
          }
          heads.push(rowBase.get(seed)!);
        }
      }
      const data = [...heads, ...rows];
      return { name: `rb${i}`, elem: 'int', length: data.length, shape: [data.length], source: { kind: 'random_blocks', data }, batched: false };
    });
  }

  /** Output of the top-k helper kernel: per (batch, head, query block) k key blocks, -1 padded. */
  topk(nodeId: number, k: number, block: number, causal: boolean): LBuffer {
    const nqb = Math.ceil(this.sizes.Nq / block);
    const shape = [this.sizes.H, nqb, k];
    return this.add(`topk:${nodeId}`, (i) => ({
      name: `topk${i}`,
      elem: 'int',
      length: shape[0] * shape[1] * shape[2],
      shape,
      source: { kind: 'topk_blocks', k, block, causal },
      batched: true,
    }));
  }
}
