// Text pictures of dense masks (one character per element, or downsampled with a legend),
// shared by `attnc mask --format txt`, the generated pictures in docs/language.md and the
// playground. Browser-safe.

export interface HeadMask {
  layer: number;
  head: number;
  /** Row-major `[Nq * Nk]`, 1 = allowed. */
  dense: Uint8Array;
}

export const ALLOWED = '█';
export const MASKED = '·';
/** Fraction of allowed elements in a downsampled cell, from full to empty. */
const SHADES: Array<[number, string]> = [[1, '█'], [2 / 3, '▓'], [1 / 3, '▒'], [0, '░']];

export interface PictureOptions {
  /** Largest drawn width and height in characters (default 64 x 64). */
  maxCols?: number;
  maxRows?: number;
}

export function density(dense: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < dense.length; i++) n += dense[i]!;
  return dense.length === 0 ? 0 : n / dense.length;
}

/** Cell size (elements per character) so that the picture fits. */
export function cellSize(nq: number, nk: number, opts: PictureOptions = {}): { rows: number; cols: number } {
  const maxRows = opts.maxRows ?? 64;
  const maxCols = opts.maxCols ?? 64;
  return { rows: Math.max(1, Math.ceil(nq / maxRows)), cols: Math.max(1, Math.ceil(nk / maxCols)) };
}

/** The lines of one head's picture (no header). */
export function maskLines(dense: Uint8Array, nq: number, nk: number, opts: PictureOptions = {}): string[] {
  const cell = cellSize(nq, nk, opts);
  const lines: string[] = [];
  for (let r0 = 0; r0 < nq; r0 += cell.rows) {
    let line = '';
    for (let c0 = 0; c0 < nk; c0 += cell.cols) {
      let on = 0, total = 0;
      for (let q = r0; q < Math.min(nq, r0 + cell.rows); q++) {
        for (let k = c0; k < Math.min(nk, c0 + cell.cols); k++) { on += dense[q * nk + k]!; total++; }
      }
      if (on === 0) line += MASKED;
      else if (cell.rows === 1 && cell.cols === 1) line += ALLOWED;
      else line += SHADES.find(([t]) => on / total >= t && (t < 1 || on === total))![1];
    }
    lines.push(line);
  }
  return lines;
}

/** The legend printed under a picture: what one character stands for. */
export function legend(nq: number, nk: number, opts: PictureOptions = {}): string {
  const cell = cellSize(nq, nk, opts);
  if (cell.rows === 1 && cell.cols === 1) return `${ALLOWED} allowed  ${MASKED} masked  (rows: queries q, columns: keys k)`;
  return `1 char = ${cell.rows} queries x ${cell.cols} keys: ${ALLOWED} all allowed  ▓ >= 2/3  ▒ >= 1/3  ░ some  ${MASKED} none`;
}

/** A picture of several heads, each under a header `layer l, head h: density`. */
export function renderMaskText(heads: HeadMask[], nq: number, nk: number, opts: PictureOptions = {}): string {
  const out: string[] = [];
  for (const m of heads) {
    out.push(`layer ${m.layer}, head ${m.head}: ${(100 * density(m.dense)).toFixed(1)}% allowed`);
    out.push(...maskLines(m.dense, nq, nk, opts));
    out.push('');
  }
  out.push(legend(nq, nk, opts));
  return out.join('\n') + '\n';
}

/** Rows of a dense mask as '0'/'1' strings. */
export function maskRows(dense: Uint8Array, nq: number, nk: number): string[] {
  const rows: string[] = [];
  for (let q = 0; q < nq; q++) {
    let s = '';
    for (let k = 0; k < nk; k++) s += dense[q * nk + k] ? '1' : '0';
    rows.push(s);
  }
  return rows;
}
