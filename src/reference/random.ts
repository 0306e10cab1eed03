// BigBird random key blocks, exactly as grammar/SPEC.md ("random_blocks") defines them.
// The reference evaluator uses it element-wise; the analysis and the code generators reuse it
// to build static per-query-block tables, so this file is the single implementation.
import { ceilDiv } from './int.ts';
import { addU32, fmix32, mulU32, xorshift32 } from './u32.ts';

export interface RandomBlocksSpec {
  /** Random key blocks per query block. */
  r: number;
  block: number;
  /** Evaluated seed (already specialised for the head and layer). */
  seed: number;
  causal: boolean;
}

/** Initial PRNG state of query block `qb` (SPEC: fmix32 of a seed/qb mix, never 0). */
export function randomBlocksState(seed: number, qb: number): number {
  const state = fmix32(addU32(mulU32(seed, 0x9e3779b1), mulU32(qb, 0x85ebca77), 0x165667b1));
  return state === 0 ? 0x6d2b79f5 : state;
}

/** Number of candidate key blocks of query block `qb`. */
export function randomBlocksCandidates(qb: number, nkb: number, causal: boolean): number {
  return causal ? Math.min(qb, nkb - 1) + 1 : nkb;
}

/**
 * The chosen key blocks of query block `qb`, in draw order (the first `min(r, n)` entries of a
 * partial Fisher–Yates shuffle of `[0, n)`).
 */
export function randomBlocksChosen(spec: RandomBlocksSpec, qb: number, nk: number): number[] {
  const nkb = ceilDiv(nk, spec.block);
  const n = randomBlocksCandidates(qb, nkb, spec.causal);
  const take = Math.min(spec.r, n);
  if (take <= 0) return [];
  // a sparse pool: only the swapped positions differ from the identity, kept as a short list of
  // (position, value) pairs (at most 2 * take: the analysis draws every query block of every
  // head, and a Map per call was its main cost); a Map for long draws
  const pos: number[] = [], val: number[] = [];
  const big = take > 16 ? new Map<number, number>() : null;
  let state = randomBlocksState(spec.seed, qb);
  const chosen: number[] = [];
  for (let i = 0; i < take; i++) {
    state = xorshift32(state);
    const j = i + (state % (n - i));
    const pi = big ? poolGet(big, i) : listGet(pos, val, i);
    const pj = big ? poolGet(big, j) : listGet(pos, val, j);
    if (big) { big.set(i, pj); big.set(j, pi); } else { listSet(pos, val, i, pj); listSet(pos, val, j, pi); }
    chosen.push(pj);
  }
  return chosen;
}

function poolGet(pool: Map<number, number>, i: number): number {
  return pool.get(i) ?? i;
}

function listGet(pos: number[], val: number[], i: number): number {
  for (let p = 0; p < pos.length; p++) if (pos[p] === i) return val[p]!;
  return i;
}

function listSet(pos: number[], val: number[], i: number, v: number): void {
  for (let p = 0; p < pos.length; p++) if (pos[p] === i) { val[p] = v; return; }
  pos.push(i);
  val.push(v);
}

/**
 * Dense table of every query block's chosen key blocks: `table[qb * nkb + kb] = 1` when chosen.
 * `nq`, `nk` are the query and key lengths.
 */
export function randomBlocksTable(spec: RandomBlocksSpec, nq: number, nk: number): Uint8Array {
  const nqb = ceilDiv(nq, spec.block);
  const nkb = ceilDiv(nk, spec.block);
  const table = new Uint8Array(nqb * nkb);
  for (let qb = 0; qb < nqb; qb++) {
    for (const kb of randomBlocksChosen(spec, qb, nk)) table[qb * nkb + kb] = 1;
  }
  return table;
}
