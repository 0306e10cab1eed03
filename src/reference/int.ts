// Exact integer semantics of the .attn language (grammar/SPEC.md, "Expressions"): floor
// division and floor modulo with `x // 0 = 0` and `x % 0 = 0`, round half away from zero,
// and the index clamping used by table and runtime-input lookups.

/** Floor division `a // b`; `a // 0 = 0`. Exact for integers below 2^53 in magnitude. */
export function floorDiv(a: number, b: number): number {
  if (b === 0) return 0;
  // JS `%` is exact on doubles, and so is (a - r) / b: no rounding anywhere
  const r = a % b;
  const d = (a - r) / b;
  return (r !== 0 && (r < 0) !== (b < 0) ? d - 1 : d) + 0; // + 0: no -0
}

/** Floor modulo `a % b` (sign of `b`); `a % 0 = 0`. */
export function floorMod(a: number, b: number): number {
  if (b === 0) return 0;
  const r = a % b;
  return (r !== 0 && (r < 0) !== (b < 0) ? r + b : r) + 0;
}

/** Float floor division (either operand float): `floor(a / b)`, `a // 0 = 0`. */
export function floatFloorDiv(a: number, b: number): number {
  return b === 0 ? 0 : Math.floor(a / b);
}

/** Float floor modulo: `a - b * floor(a / b)`, `a % 0 = 0`. */
export function floatFloorMod(a: number, b: number): number {
  return b === 0 ? 0 : a - b * Math.floor(a / b);
}

/** `round` of the language: half away from zero. */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) + 0 : Math.round(x) + 0;
}

/** Clamp an index into `[0, n)`. */
export function clampIndex(i: number, n: number): number {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/** `ceil(a / b)` for positive integers. */
export function ceilDiv(a: number, b: number): number {
  return Math.floor((a + b - 1) / b);
}
