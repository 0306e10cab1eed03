// Analysis data: the tile classes of one mask as, per query tile, runs of consecutive key tiles
// of one class (EMPTY tiles are not stored). Compact for banded and block-structured masks,
// and the input of schedule construction, statistics and rendering.

export const EMPTY = 0, FULL = 1, PARTIAL = 2, PARTIAL_UNDECIDED = 3, PARTIAL_RUNTIME = 4;
export type TileCode = 0 | 1 | 2 | 3 | 4;
export const TILE_CODE_NAMES = ['EMPTY', 'FULL', 'PARTIAL', 'PARTIAL_UNDECIDED', 'PARTIAL_RUNTIME'] as const;

export interface TileMap {
  nqt: number;
  nkt: number;
  /** Runs of query tile qt are rowPtr[qt] .. rowPtr[qt + 1] - 1. */
  rowPtr: Int32Array;
  kt0: Int32Array;
  /** Exclusive. */
  kt1: Int32Array;
  code: Uint8Array;
}

export class TileMapBuilder {
  private n = 0;
  private kt0: Int32Array;
  private kt1: Int32Array;
  private code: Uint8Array;
  private readonly rowPtr: Int32Array;
  private row = 0;

  /** `capacity`: expected number of runs (the arrays grow past it when needed). */
  constructor(readonly nqt: number, readonly nkt: number, capacity = 1024) {
    this.rowPtr = new Int32Array(nqt + 1);
    const cap = Math.max(16, capacity);
    this.kt0 = new Int32Array(cap); this.kt1 = new Int32Array(cap); this.code = new Uint8Array(cap);
  }

  /** Start query tile `qt` (rows must be started in order). */
  startRow(qt: number): void {
    while (this.row < qt) this.rowPtr[++this.row] = this.n;
    this.rowPtr[qt] = this.n;
  }

  /** Append key tiles [a, b) of class `c` to the current row (EMPTY is dropped). */
  add(a: number, b: number, c: number): void {
    if (c === EMPTY || b <= a) return;
    const n = this.n;
    if (n > this.rowPtr[this.row]! && this.kt1[n - 1] === a && this.code[n - 1] === c) { this.kt1[n - 1] = b; return; }
    if (n === this.kt0.length) this.grow();
    this.kt0[n] = a; this.kt1[n] = b; this.code[n] = c;
    this.n = n + 1;
  }

  private grow(): void {
    const cap = this.kt0.length * 2;
    const g32 = (x: Int32Array) => { const y = new Int32Array(cap); y.set(x); return y; };
    this.kt0 = g32(this.kt0); this.kt1 = g32(this.kt1);
    const c = new Uint8Array(cap); c.set(this.code); this.code = c;
  }

  finish(): TileMap {
    while (this.row < this.nqt) this.rowPtr[++this.row] = this.n;
    // views when the arrays are at least half full (no copy of the large maps), else compact copies
    const n = this.n, fit = 2 * n >= this.kt0.length;
    return {
      nqt: this.nqt, nkt: this.nkt, rowPtr: this.rowPtr,
      kt0: fit ? this.kt0.subarray(0, n) : this.kt0.slice(0, n),
      kt1: fit ? this.kt1.subarray(0, n) : this.kt1.slice(0, n),
      code: fit ? this.code.subarray(0, n) : this.code.slice(0, n),
    };
  }
}

/** Class of tile (qt, kt). */
export function tileAt(m: TileMap, qt: number, kt: number): TileCode {
  let lo = m.rowPtr[qt]!, hi = m.rowPtr[qt + 1]!;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (m.kt1[mid]! <= kt) lo = mid + 1; else hi = mid;
  }
  return lo < m.rowPtr[qt + 1]! && m.kt0[lo]! <= kt ? (m.code[lo]! as TileCode) : EMPTY;
}

/** Visit every non-empty tile of row qt. */
export function forEachTile(m: TileMap, qt: number, f: (kt: number, code: TileCode) => void): void {
  for (let i = m.rowPtr[qt]!; i < m.rowPtr[qt + 1]!; i++) {
    for (let kt = m.kt0[i]!; kt < m.kt1[i]!; kt++) f(kt, m.code[i]! as TileCode);
  }
}

/** The map of the transposed problem: per key tile, runs of query tiles. */
export function transposeTileMap(m: TileMap): TileMap {
  const cnt = new Int32Array(m.nkt + 1);
  for (let i = 0; i < m.code.length; i++) for (let kt = m.kt0[i]!; kt < m.kt1[i]!; kt++) cnt[kt + 1]!++;
  for (let kt = 0; kt < m.nkt; kt++) cnt[kt + 1]! += cnt[kt]!;
  const qts = new Int32Array(cnt[m.nkt]!);
  const codes = new Uint8Array(cnt[m.nkt]!);
  const fill = cnt.slice(0, m.nkt);
  for (let qt = 0; qt < m.nqt; qt++) {
    for (let i = m.rowPtr[qt]!; i < m.rowPtr[qt + 1]!; i++) {
      const c = m.code[i]!;
      for (let kt = m.kt0[i]!; kt < m.kt1[i]!; kt++) { const p = fill[kt]!++; qts[p] = qt; codes[p] = c; }
    }
  }
  const b = new TileMapBuilder(m.nkt, m.nqt, cnt[m.nkt]! + 1);
  for (let kt = 0; kt < m.nkt; kt++) {
    b.startRow(kt);
    for (let p = cnt[kt]!; p < cnt[kt + 1]!; p++) b.add(qts[p]!, qts[p]! + 1, codes[p]!);
  }
  return b.finish();
}

/** Number of non-empty tiles per code. */
export function countTiles(m: TileMap): number[] {
  const c = [0, 0, 0, 0, 0];
  for (let i = 0; i < m.code.length; i++) c[m.code[i]!]! += m.kt1[i]! - m.kt0[i]!;
  c[EMPTY] = m.nqt * m.nkt - c[1]! - c[2]! - c[3]! - c[4]!;
  return c;
}
