// Exact integer semantics of the .attn language (grammar/SPEC.md, "Expressions"): floor
// division and floor modulo with `x // 0 = 0` and `x % 0 = 0`, round half away from zero,
// and the index clamping used by table and runtime-input lookups.

/** Floor division `a // b`; `a // 0 = 0`. Exact for integers below 2^53 in magnitude. */
export function floorDiv(a: number, b: number): number {
  if (b === 0) return 0;
  let d = Math.floor(a / b);
  // float a / b may round across an integer for large operands: correct with the remainder
  const r = a - d * b;
  if (b > 0 ? r < 0 : r > 0) d -= 1;
  else if (b > 0 ? r >= b : r <= b) d += 1;
  return d;
}

/** Floor modulo `a % b` (sign of `b`); `a % 0 = 0`. */
export function floorMod(a: number, b: number): number {
  if (b === 0) return 0;
  return a - b * floorDiv(a, b);
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
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** Clamp an index into `[0, n)`. */
export function clampIndex(i: number, n: number): number {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/** `ceil(a / b)` for positive integers. */
export function ceilDiv(a: number, b: number): number {
  return Math.floor((a + b - 1) / b);
}
