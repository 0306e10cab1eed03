// `lsh(Q|K, buckets, seed)`: angular LSH buckets (Reformer / SCFA hash-sparse attention).
// The random projection is defined bit-exactly from (seed, d, j) with u32 hashing and small
// integers, so the CUDA and WGSL helper kernels can rebuild the same matrix without a table
// and without transcendental functions (grammar/SPEC.md, "Runtime inputs").
import { fmix32, mulU32 } from './u32.ts';

/**
 * Entry `R[d][j]` of the `D x buckets/2` projection: an Irwin–Hall(4) approximation of a
 * Gaussian (the sum of four 16-bit uniforms, centred), scaled by 2^-16. The value is an
 * integer in [-131070, 131070] times 2^-16, exactly representable in float32.
 */
export function lshEntry(seed: number, d: number, j: number): number {
  let x = fmix32((mulU32(seed, 0x9e3779b1) + 0x165667b1) >>> 0);
  x = fmix32((x ^ mulU32(d, 0x85ebca77)) >>> 0);
  const h0 = fmix32((x ^ mulU32(j, 0xc2b2ae3d)) >>> 0);
  const h1 = fmix32((h0 ^ 0x27d4eb2f) >>> 0);
  const u = (h0 & 0xffff) + (h0 >>> 16) + (h1 & 0xffff) + (h1 >>> 16);
  return (u - 131070) / 65536;
}

/** The projection matrix, row-major `[D][buckets / 2]`. */
export function lshRotation(seed: number, D: number, buckets: number): Float64Array {
  const half = buckets >> 1;
  const r = new Float64Array(D * half);
  for (let d = 0; d < D; d++) for (let j = 0; j < half; j++) r[d * half + j] = lshEntry(seed, d, j);
  return r;
}

/**
 * Bucket of each of `rows` consecutive rows of `x` (row length `D`):
 * `argmax([xR, -xR])`, the first maximum winning (so a tie goes to the lower bucket).
 * `xR` is accumulated over `d` in increasing order.
 */
export function lshBuckets(
  x: Float64Array,
  rows: number,
  D: number,
  buckets: number,
  seed: number,
): Int32Array {
  if (buckets < 2 || buckets % 2 !== 0) throw new Error(`lsh: buckets must be even and >= 2, got ${buckets}`);
  const half = buckets >> 1;
  const r = lshRotation(seed, D, buckets);
  const out = new Int32Array(rows);
  const proj = new Float64Array(half);
  for (let row = 0; row < rows; row++) {
    proj.fill(0);
    const base = row * D;
    for (let d = 0; d < D; d++) {
      const xd = x[base + d]!;
      for (let j = 0; j < half; j++) proj[j]! += xd * r[d * half + j]!;
    }
    let best = 0;
    let bestValue = proj[0]!;
    for (let j = 1; j < half; j++) if (proj[j]! > bestValue) { best = j; bestValue = proj[j]!; }
    for (let j = 0; j < half; j++) if (-proj[j]! > bestValue) { best = half + j; bestValue = -proj[j]!; }
    out[row] = best;
  }
  return out;
}
