// Unsigned 32-bit integer mixing shared by the static random tables (random_blocks) and the
// LSH rotation. Every later stage (analysis tables, CUDA/WGSL helpers) must reproduce these
// bit-for-bit, so they are written with explicit u32 wrap-around (Math.imul, >>> 0).

/** MurmurHash3's 32-bit finaliser. */
export function fmix32(x: number): number {
  x >>>= 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b) >>> 0;
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

/** Marsaglia's xorshift32 step (13, 17, 5). Zero is a fixed point: callers never pass it. */
export function xorshift32(x: number): number {
  x >>>= 0;
  x = (x ^ (x << 13)) >>> 0;
  x = (x ^ (x >>> 17)) >>> 0;
  x = (x ^ (x << 5)) >>> 0;
  return x;
}

/** `(a * b) mod 2^32` for any integers representable in float64 (ToInt32 wraps exactly). */
export function mulU32(a: number, b: number): number {
  return Math.imul(a, b) >>> 0;
}

/** `(a + b + ...) mod 2^32` for any integers. */
export function addU32(...xs: number[]): number {
  let acc = 0;
  for (const x of xs) acc = (acc + (x >>> 0)) >>> 0;
  return acc;
}
