// A literal transcription of grammar/SPEC.md's random_blocks pseudo-code, independent of
// src/reference/random.ts: BigInt u32 arithmetic and a full pool array.

const M32 = (1n << 32n) - 1n;
const u32 = (x: bigint) => x & M32;
function fmix(x: bigint): bigint {
  x = u32(x); x ^= x >> 16n; x = u32(x * 0x85ebca6bn); x ^= x >> 13n; x = u32(x * 0xc2b2ae35n); x ^= x >> 16n;
  return x;
}
function xs(x: bigint): bigint {
  x ^= u32(x << 13n); x ^= x >> 17n; x ^= u32(x << 5n);
  return x;
}
export function specChosen(r: number, block: number, seed: number, causal: boolean, qb: number, nk: number): number[] {
  const nkb = Math.ceil(nk / block);
  const n = causal ? Math.min(qb, nkb - 1) + 1 : nkb;
  const pool = Array.from({ length: n }, (_, i) => i);
  let state = fmix(u32(BigInt(seed) * 0x9e3779b1n + BigInt(qb) * 0x85ebca77n + 0x165667b1n));
  if (state === 0n) state = 0x6d2b79f5n;
  for (let i = 0; i < Math.min(r, n); i++) {
    state = xs(state);
    const j = i + Number(state % BigInt(n - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, Math.min(r, n));
}
