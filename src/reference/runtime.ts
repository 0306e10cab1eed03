// Runtime inputs for the reference: the caller's arrays (row-major over an implicit leading
// batch dimension) and the device-computed ones (`lsh(Q|K, ...)`), resolved once per
// evaluation. Q and K come as float64 in the attention layout [B, heads, N, D].
import type { Dim, InputDecl, IrProgram, Sizes } from '../ir/schema.ts';
import { lshBuckets } from './lsh.ts';

/** Q `[B, H, Nq, D]` and K `[B, Hkv, Nk, D]`, for lsh-initialised inputs and topk_blocks. */
export interface QkData {
  q: Float64Array;
  k: Float64Array;
  D: number;
  B: number;
}

/** Given runtime inputs by name: row-major `[B, ...dims]` (B = 1 is broadcast over batches). */
export type RuntimeInputs = Record<string, ArrayLike<number>>;

/** A runtime input bound to concrete sizes. */
export interface ResolvedInput {
  decl: InputDecl;
  dims: number[];
  /** Elements per batch entry. */
  stride: number;
  batches: number;
  data: ArrayLike<number>;
}

export function resolveDim(dim: Dim, sizes: Sizes): number {
  return typeof dim === 'number' ? dim : sizes[dim];
}

function computeLsh(decl: InputDecl, sizes: Sizes, qk: QkData | undefined): ArrayLike<number> {
  if (decl.source.kind !== 'lsh') throw new Error('unreachable');
  if (!qk) throw new Error(`runtime input '${decl.name}' is computed by lsh(${decl.source.of}, ...): Q and K are needed`);
  const { of, buckets, seed } = decl.source;
  const heads = of === 'Q' ? sizes.H : sizes.Hkv;
  const n = of === 'Q' ? sizes.Nq : sizes.Nk;
  const x = of === 'Q' ? qk.q : qk.k;
  const rows = qk.B * heads * n;
  if (x.length !== rows * qk.D) throw new Error(`${of} has ${x.length} values, expected B*${of === 'Q' ? 'H*Nq' : 'Hkv*Nk'}*D = ${rows * qk.D}`);
  return lshBuckets(x, rows, qk.D, buckets, seed);
}

/** Bind every declared runtime input of `ir` to data, checking lengths. */
export function resolveInputs(
  ir: IrProgram,
  sizes: Sizes,
  given: RuntimeInputs,
  qk: QkData | undefined,
): Map<string, ResolvedInput> {
  const out = new Map<string, ResolvedInput>();
  for (const decl of ir.inputs) {
    const dims = decl.shape.map((d) => resolveDim(d, sizes));
    const stride = dims.reduce((a, b) => a * b, 1);
    const lazy = () => {
      const data = given[decl.name] ?? (decl.source.kind === 'lsh' ? computeLsh(decl, sizes, qk) : undefined);
      if (data === undefined) throw new Error(`runtime input '${decl.name}' was not given`);
      if (data.length === 0 || data.length % stride !== 0) {
        throw new Error(`runtime input '${decl.name}' has ${data.length} values, expected a multiple of ${stride} ([B, ${dims.join(', ')}])`);
      }
      return data;
    };
    // resolved on first use, so a head whose rule never reads an input needs no data for it
    let data: ArrayLike<number> | undefined;
    const entry: ResolvedInput = {
      decl,
      dims,
      stride,
      get batches() { return (data ??= lazy()).length / stride; },
      get data() { return (data ??= lazy()); },
    };
    out.set(decl.name, entry);
  }
  return out;
}
