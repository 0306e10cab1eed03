// Host-side reference of the row permutation (permutation.ts): the sort the helpers build, the
// gather of the sort inputs, Q/K/V and the scatter of O/LSE back to the original rows. Tests and
// bench/gpu/emitted/prepare.ts check the device's results against these.
import type { IrProgram, Sizes } from '../../src/ir/schema.ts';
import { resolveInputs, type QkData, type RuntimeInputs } from '../../src/reference/runtime.ts';
import type { RowPermutation, RowSort } from './permutation.ts';

/**
 * Reference of the sort (what the helpers build): per row of `keys` ([rows][n] per batch
 * entry), the original positions in the order of (sort key, position). Stable counting sort.
 */
export function sortPositions(sort: RowSort, keys: ArrayLike<number>, batches: number): Int32Array {
  const { n } = sort;
  const out = new Int32Array(batches * sort.rows * n);
  for (let r = 0; r < batches * sort.rows; r++) {
    let at = r * n;
    for (let bucket = 0; bucket < sort.buckets; bucket++) {
      for (let i = 0; i < n; i++) if (sortKey(sort, keys[r * n + i]!) === bucket) out[at++] = i;
    }
  }
  return out;
}

/** The sort key of one row: its bucket clamped to [0, buckets), or 0 kept / 1 dropped. */
export function sortKey(sort: RowSort, value: number): number {
  if (sort.keyKind === 'keep') return value !== 0 ? 0 : 1;
  return Math.min(Math.max(Math.trunc(value), 0), sort.buckets - 1);
}

/** x[b, r, i] -> x[b, r, pos[b, r, i]] for one gathered input (row-major [batches][rows][n]). */
export function gatherRows(x: ArrayLike<number>, pos: Int32Array, rows: number, n: number, batches: number): Int32Array | Float64Array {
  const out = x instanceof Float64Array || x instanceof Float32Array ? new Float64Array(batches * rows * n) : new Int32Array(batches * rows * n);
  const row = (a: ArrayLike<number>, r: number) => (a.length === rows * n ? r % rows : r) * n; // broadcast
  for (let r = 0; r < batches * rows; r++) {
    const src = row(x, r), p = row(pos, r);
    for (let i = 0; i < n; i++) out[r * n + i] = x[src + pos[p + i]!]!;
  }
  return out;
}

/** [B, heads, n, D] rows gathered per (b, row of the sort): out[b, r, i] = x[b, r / group, pos[b, r, i]]. */
export function gatherTensor(x: Float64Array, pos: Int32Array, posBatches: number, B: number, rows: number, srcHeads: number, n: number, D: number): Float64Array {
  const out = new Float64Array(B * rows * n * D);
  const group = rows / srcHeads;
  for (let b = 0; b < B; b++) {
    for (let r = 0; r < rows; r++) {
      const pBase = ((posBatches === 1 ? 0 : b) * rows + r) * n;
      const src = (b * srcHeads + Math.floor(r / group)) * n;
      for (let i = 0; i < n; i++) out.set(x.subarray((src + pos[pBase + i]!) * D, (src + pos[pBase + i]! + 1) * D), ((b * rows + r) * n + i) * D);
    }
  }
  return out;
}

/** Inverse of the query gather for O [B, H, Nq, D] (D = 1 for LSE): out[b, h, pos[b, h, i]] = x[b, h, i]. */
export function scatterRows(x: ArrayLike<number>, pos: Int32Array, posBatches: number, B: number, H: number, n: number, D: number): Float64Array {
  const out = new Float64Array(B * H * n * D);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const pBase = ((posBatches === 1 ? 0 : b) * H + h) * n;
      for (let i = 0; i < n; i++) {
        const dst = ((b * H + h) * n + pos[pBase + i]!) * D, src = ((b * H + h) * n + i) * D;
        for (let d = 0; d < D; d++) out[dst + d] = x[src + d]!;
      }
    }
  }
  return out;
}

export interface PermutedRun {
  /** Runtime inputs of the permuted program (positions and gathered copies included). */
  inputs: RuntimeInputs;
  posQ: Int32Array;
  posK: Int32Array;
  /** Batch entries of the position tables (1 when the sort input is broadcast). */
  posQBatches: number;
  posKBatches: number;
  q: Float64Array;
  k: Float64Array;
  v: Float64Array;
}

/** Everything the permuted kernel reads, from the original program's inputs and Q/K/V. */
export function permuteProblem(ir: IrProgram, perm: RowPermutation, given: RuntimeInputs, qkv: { q: Float64Array; k: Float64Array; v: Float64Array }, B: number, D: number): PermutedRun {
  const sizes: Sizes = ir.sizes;
  const qk: QkData = { q: qkv.q, k: qkv.k, D, B };
  const resolved = resolveInputs(ir, sizes, given, qk);
  const inputs: RuntimeInputs = { ...given };
  const side = (sort: RowSort) => {
    const keys = resolved.get(sort.keyInput)!;
    const batches = keys.batches;
    const pos = sortPositions(sort, keys.data, batches);
    inputs[sort.positions] = pos;
    for (const g of sort.gathered) {
      const src = resolved.get(g.from)!;
      inputs[g.to] = gatherRows(src.data, pos, sort.rows, sort.n, Math.max(batches, src.batches));
    }
    return { pos, batches };
  };
  const sq = side(perm.query), sk = side(perm.key);
  if (perm.query.gathered.some((g) => resolved.get(g.from)!.batches > sq.batches)) throw new Error('a gathered input has more batch entries than its sort input');
  return {
    inputs, posQ: sq.pos, posK: sk.pos, posQBatches: sq.batches, posKBatches: sk.batches,
    q: gatherTensor(qkv.q, sq.pos, sq.batches, B, sizes.H, sizes.H, sizes.Nq, D),
    k: gatherTensor(qkv.k, sk.pos, sk.batches, B, perm.kvHeads, sizes.Hkv, sizes.Nk, D),
    v: gatherTensor(qkv.v, sk.pos, sk.batches, B, perm.kvHeads, sizes.Hkv, sizes.Nk, D),
  };
}
