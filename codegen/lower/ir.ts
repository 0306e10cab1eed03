// The lowered expression IR: what codegen/lower produces from the pattern IR and every backend
// prints (C++ for CUDA and the host test harness, WGSL). Straight-line statements with
// let-bound temporaries, loads from parameter buffers with already-clamped flat indices,
// membership loops, and the little control flow the hooks need (if, switch, return).

export type LType = 'int' | 'float' | 'bool';

export const L_OPS = [
  'add', 'sub', 'mul', 'fdiv', // fdiv: float division
  'floordiv', 'floormod', // exact floor semantics, x // 0 = 0, x % 0 = 0 (int or float)
  'shr', 'band', // floor division / modulo by a positive power of two (int only)
  'min', 'max', 'neg', 'abs',
  'floor', 'ceil', 'round', // float -> int (round: half away from zero)
  'tofloat', 'tanh', 'exp', 'log', 'sqrt',
  'eq', 'ne', 'lt', 'le', 'gt', 'ge',
  'and', 'or', 'not', 'select',
] as const;
export type LOp = (typeof L_OPS)[number];

export type LExpr =
  | { kind: 'lit'; type: LType; value: number | boolean }
  /** A hook argument, loop variable or let-bound temporary (always a generated name). */
  | { kind: 'ref'; type: LType; name: string }
  /** A scalar runtime parameter (a field of the parameter struct / uniform block). */
  | { kind: 'param'; type: LType; name: string }
  | { kind: 'op'; type: LType; op: LOp; args: LExpr[] }
  /** buffer[index]; the index is already clamped / in range. Buffers hold int or float. */
  | { kind: 'load'; type: 'int' | 'float'; buffer: string; index: LExpr };

export type LStmt =
  | { kind: 'let'; name: string; type: LType; value: LExpr }
  /** name = exists i in [0, count): buffer[base + i] == value && buffer[base + i] >= 0 */
  | { kind: 'member'; name: string; value: LExpr; buffer: string; base: LExpr; count: number }
  /**
   * name = how many of buffer[base .. base + count) lie in [lo, hi], the entries ascending (two
   * binary searches; 0 when hi < lo). Runtime tile classification over sorted lists.
   */
  | { kind: 'count_sorted'; name: string; buffer: string; base: LExpr; count: number; lo: LExpr; hi: LExpr }
  | { kind: 'return'; value: LExpr }
  /** Write an output argument (key_tile's `full`). */
  | { kind: 'out'; name: string; value: LExpr }
  | { kind: 'if'; cond: LExpr; then: LStmt[]; else: LStmt[] }
  | { kind: 'switch'; on: LExpr; cases: { values: number[]; body: LStmt[] }[]; otherwise: LStmt[] }
  | { kind: 'comment'; text: string };

export interface LParam { name: string; type: LType }

export interface LFunction {
  name: string;
  params: LParam[];
  /** Output arguments (by reference in C++, function-scope pointers in WGSL). */
  outs: LParam[];
  ret: LType;
  body: LStmt[];
}

/** A buffer the hooks read: a static table file, a runtime input, or a helper kernel's output. */
export interface LBuffer {
  name: string;
  elem: 'int' | 'float';
  /** Element count for one batch entry (static buffers: the whole buffer). */
  length: number;
  /** Shape per batch entry (row-major). */
  shape: number[];
  source:
    | { kind: 'table'; userName: string; data: number[] }
    | { kind: 'random_blocks'; data: number[] }
    | { kind: 'input'; userName: string; inputIndex: number }
    | { kind: 'topk_blocks'; k: number; block: number; causal: boolean }
    /** Runtime schedule written by the schedule builder: per (h, qt) a count, then kt * 2 + full. */
    | { kind: 'runtime_schedule'; maxTiles: number }
    /** Per row of `of` ([rows][n] per batch entry) and tile of `tile` positions: min, max. */
    | { kind: 'tile_minmax'; of: string; rows: number; n: number; tile: number }
    /** Per row of `of`: its distinct non-negative entries ascending, padded with INT32_MAX. */
    | { kind: 'sorted_list'; of: string; rows: number; n: number };
  /** Runtime buffers carry a batch stride parameter (0 = broadcast over the batch). */
  batched: boolean;
}

export const lit = (type: LType, value: number | boolean): LExpr => ({ kind: 'lit', type, value });
export const int = (v: number): LExpr => lit('int', v);
export const ref = (name: string, type: LType): LExpr => ({ kind: 'ref', type, name });
export const op = (o: LOp, type: LType, ...args: LExpr[]): LExpr => ({ kind: 'op', op: o, type, args });
