// Generators of random runtime inputs and Q/K/V for tests, the mask command and benchmarks:
// packed document ids, keep masks, bucket ids, MInference vertical / slash index lists.
// Deterministic for a seed; no Node imports (the playground uses them too).
import type { InputDecl, IrProgram, Sizes } from '../ir/schema.ts';
import { resolveDim, type RuntimeInputs } from './runtime.ts';

/** A small seeded PRNG (mulberry32): `next()` is uniform in [0, 1). */
export class Rng {
  private state: number;
  constructor(seed: number) { this.state = seed >>> 0; }
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  next(): number { return this.nextU32() / 4294967296; }
  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
}

/** Document ids of `n` packed positions: nondecreasing, documents of length in [minLen, maxLen]. */
export function packedDocumentIds(n: number, rng: Rng, minLen = 1, maxLen = Math.max(1, n >> 2)): Int32Array {
  const ids = new Int32Array(n);
  let doc = 0;
  for (let i = 0; i < n; ) {
    const len = rng.int(minLen, Math.max(minLen, maxLen));
    for (let j = 0; j < len && i < n; j++, i++) ids[i] = doc;
    doc++;
  }
  return ids;
}

/** Keep mask (1 = kept) over `n` positions, each kept with probability `keep`. */
export function keepMask(n: number, rng: Rng, keep = 0.75): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.next() < keep ? 1 : 0;
  return out;
}

/** Sorted kept indices of a keep mask, padded with -1 to `length` (default n). */
export function keepList(mask: ArrayLike<number>, length = mask.length): Int32Array {
  const out = new Int32Array(length).fill(-1);
  let j = 0;
  for (let i = 0; i < mask.length && j < length; i++) if (mask[i]) out[j++] = i;
  return out;
}

/** Uniform bucket ids in [0, buckets). */
export function bucketIds(n: number, buckets: number, rng: Rng): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(0, buckets - 1);
  return out;
}

/**
 * An index list of `length` slots: distinct values in [0, range), sorted, and each slot
 * padded with -1 with probability `padding` (MInference vertical columns / slash offsets).
 * `include` values are always present (e.g. slash 0, the diagonal).
 */
export function indexList(length: number, range: number, rng: Rng, padding = 0.1, include: number[] = []): Int32Array {
  const picked = new Set<number>(include.filter((x) => x >= 0 && x < range));
  const target = Math.min(range, length);
  while (picked.size < target) {
    if (rng.next() < padding) break;
    picked.add(rng.int(0, range - 1));
  }
  const out = new Int32Array(length).fill(-1);
  [...picked].sort((a, b) => a - b).slice(0, length).forEach((v, i) => { out[i] = v; });
  return out;
}

/** `n` standard-normal float64 values. */
export function gaussian(n: number, rng: Rng, std = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * std;
  return out;
}

/** What kind of data a given runtime input receives from `exampleInputs`. */
export type InputKind = 'documents' | 'keep' | 'buckets' | 'index-list' | 'int' | 'float';

/** How `exampleInputs` fills a declaration: by how the IR uses it, its type and its name. */
export function inputKind(ir: IrProgram, decl: InputDecl): InputKind {
  if (ir.nodes.some((n) => n.kind === 'member' && n.name === decl.name)) return 'index-list';
  if (decl.type === 'bool') return 'keep';
  if (decl.type === 'float') return 'float';
  if (/bucket|hash/i.test(decl.name)) return 'buckets';
  const last = decl.shape[decl.shape.length - 1];
  if (last === 'Nq' || last === 'Nk') return 'documents';
  return 'int';
}

/**
 * Example data for every caller-given runtime input of `ir` (lsh-computed ones are skipped),
 * with batch size `B`. Documents are packed per leading index; index lists draw from the
 * positions [0, Nk) and always contain 0.
 */
export function exampleInputs(ir: IrProgram, sizes: Sizes, seed: number, B = 1): RuntimeInputs {
  const rng = new Rng(seed);
  const out: RuntimeInputs = {};
  for (const decl of ir.inputs) {
    if (decl.source.kind !== 'given') continue;
    const dims = decl.shape.map((d) => resolveDim(d, sizes));
    const last = dims[dims.length - 1] ?? 1;
    const rows = B * dims.slice(0, -1).reduce((a, b) => a * b, 1);
    const data = decl.type === 'float' ? new Float64Array(rows * last) : new Int32Array(rows * last);
    const kind = inputKind(ir, decl);
    for (let r = 0; r < rows; r++) {
      const row =
        kind === 'documents' ? packedDocumentIds(last, rng, Math.max(1, last >> 4), Math.max(1, last >> 1))
        : kind === 'keep' ? keepMask(last, rng)
        : kind === 'buckets' ? bucketIds(last, 8, rng)
        : kind === 'index-list' ? indexList(last, Math.max(sizes.Nq, sizes.Nk), rng, 0.05, [0])
        : kind === 'float' ? gaussian(last, rng)
        : bucketIds(last, 4, rng);
      data.set(row, r * last);
    }
    out[decl.name] = data;
  }
  return out;
}

/** Random Q `[B, H, Nq, D]`, K and V `[B, Hkv, Nk, D]`. */
export function randomQkv(sizes: Pick<Sizes, 'Nq' | 'Nk' | 'H' | 'Hkv'>, D: number, B: number, seed: number) {
  const rng = new Rng(seed);
  return {
    q: gaussian(B * sizes.H * sizes.Nq * D, rng),
    k: gaussian(B * sizes.Hkv * sizes.Nk * D, rng),
    v: gaussian(B * sizes.Hkv * sizes.Nk * D, rng),
  };
}
