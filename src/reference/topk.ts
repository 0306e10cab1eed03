// `topk_blocks(k, block, causal)`: runtime key-block selection from pooled scores
// (SparseK / SeerAttention / NSA selection; grammar/SPEC.md). Per (batch, head, query block):
// score each candidate key block by mean(Q rows) . mean(K rows), keep the k best, ties to the
// lower key block.
import { ceilDiv } from './int.ts';

/** Row means of consecutive blocks of `n` rows (the last block clipped), `[nBlocks][D]`. */
export function pooledMeans(x: Float64Array, offset: number, n: number, D: number, block: number): Float64Array {
  const nb = ceilDiv(n, block);
  const out = new Float64Array(nb * D);
  for (let b = 0; b < nb; b++) {
    const lo = b * block;
    const hi = Math.min(n, lo + block);
    for (let row = lo; row < hi; row++) {
      const base = offset + row * D;
      for (let d = 0; d < D; d++) out[b * D + d] += x[base + d]!;
    }
    for (let d = 0; d < D; d++) out[b * D + d] /= hi - lo;
  }
  return out;
}

/** Chosen key blocks of every query block of one (batch, head): `[nqb * nkb]`, 1 = kept. */
export function topkBlocksTable(opts: {
  /** Query rows of this (b, h): `Nq x D` starting at `qOffset`. */
  q: Float64Array;
  qOffset: number;
  /** Key rows of this (b, hkv): `Nk x D` starting at `kOffset`. */
  k: Float64Array;
  kOffset: number;
  Nq: number;
  Nk: number;
  D: number;
  topk: number;
  block: number;
  causal: boolean;
}): Uint8Array {
  const { D, block } = opts;
  const qm = pooledMeans(opts.q, opts.qOffset, opts.Nq, D, block);
  const km = pooledMeans(opts.k, opts.kOffset, opts.Nk, D, block);
  const nqb = ceilDiv(opts.Nq, block);
  const nkb = ceilDiv(opts.Nk, block);
  const table = new Uint8Array(nqb * nkb);
  const scores = new Float64Array(nkb);
  const order: number[] = [];
  for (let qb = 0; qb < nqb; qb++) {
    const n = opts.causal ? Math.min(qb + 1, nkb) : nkb;
    order.length = 0;
    for (let kb = 0; kb < n; kb++) {
      let dot = 0;
      for (let d = 0; d < D; d++) dot += qm[qb * D + d]! * km[kb * D + d]!;
      scores[kb] = dot;
      order.push(kb);
    }
    order.sort((a, b) => scores[b]! - scores[a]! || a - b);
    const take = Math.min(opts.topk, n);
    for (let i = 0; i < take; i++) table[qb * nkb + order[i]!] = 1;
  }
  return table;
}
