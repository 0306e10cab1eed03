// Value types of the checker. `error` marks an expression whose type could not be computed
// (already reported), so that one mistake is reported once and not again by every user.
export type ValueType = 'int' | 'float' | 'bool' | 'error';

export function isNumeric(t: ValueType): boolean {
  return t === 'int' || t === 'float';
}

/** Type of a numeric operation over `a` and `b`: int when both are int, else float. */
export function joinNumeric(a: ValueType, b: ValueType): ValueType {
  if (a === 'error' || b === 'error') return 'error';
  if (a === 'int' && b === 'int') return 'int';
  return 'float';
}

/** Whether a value of type `from` may be used where `to` is needed (int -> float implicitly). */
export function assignable(from: ValueType, to: ValueType): boolean {
  return from === 'error' || to === 'error' || from === to || (from === 'int' && to === 'float');
}
