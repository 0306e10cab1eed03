// Rasterises one (layer, head) of the mask over a window of the attention matrix: each output
// cell holds the allowed fraction of the (q, k) elements it covers. Cells inside tiles the
// analysis proved EMPTY or FULL are filled without evaluating the mask; elsewhere every element
// is evaluated up to a budget, beyond which cells are sampled on an even sub-grid.
import type { MaskRaster, RasterRequest } from '../protocol.ts';
import type { TileClasses } from './analysis.ts';
import type { CompiledPattern } from './compile.ts';

/** Mask evaluations per raster before switching from counting to sampling. */
const EXACT_BUDGET = 6_000_000;
const TILE_EMPTY = 0;
const TILE_FULL = 1;

export function rasterize(compiled: CompiledPattern, l: number, h: number, request: RasterRequest): MaskRaster {
  const { Nq, Nk } = compiled.sizes;
  const q0 = clampInt(request.q0, 0, Nq);
  const q1 = clampInt(request.q1, q0 + 1, Nq);
  const k0 = clampInt(request.k0, 0, Nk);
  const k1 = clampInt(request.k1, k0 + 1, Nk);
  const spanQ = q1 - q0;
  const spanK = k1 - k0;
  const rows = clampInt(request.rows, 1, spanQ);
  const cols = clampInt(request.cols, 1, spanK);
  const allowed = compiled.evaluator.element(l, h);
  const tiles = compiled.tileClasses?.(l, h);
  const tileM = compiled.tile.m;
  const tileN = compiled.tile.n;

  // Column of the raster for each key position, and row for each query position.
  const colOf = new Int32Array(spanK);
  for (let k = 0; k < spanK; k++) colOf[k] = Math.floor((k * cols) / spanK);
  const rowOf = (q: number) => Math.floor(((q - q0) * rows) / spanQ);

  // Cost of counting exactly: elements outside decided tiles.
  let undecided = spanQ * spanK;
  if (tiles) undecided = countUndecided(tiles, q0, q1, k0, k1, tileM, tileN);
  const exact = undecided <= EXACT_BUDGET;

  const allowedCount = new Float64Array(rows * cols);
  const seen = new Float64Array(rows * cols);

  if (exact) {
    for (let q = q0; q < q1; q++) {
      const r = rowOf(q) * cols;
      const qt = Math.floor(q / tileM);
      let k = k0;
      while (k < k1) {
        const kt = Math.floor(k / tileN);
        const tileEnd = Math.min(k1, (kt + 1) * tileN);
        const cls = tiles?.classAt(qt, kt);
        if (cls === TILE_EMPTY || cls === TILE_FULL) {
          const value = cls === TILE_FULL ? 1 : 0;
          for (; k < tileEnd; k++) {
            const c = r + colOf[k - k0]!;
            allowedCount[c] += value;
            seen[c] += 1;
          }
        } else {
          for (; k < tileEnd; k++) {
            const c = r + colOf[k - k0]!;
            if (allowed(q, k)) allowedCount[c] += 1;
            seen[c] += 1;
          }
        }
      }
    }
  } else {
    // Sample an even sub-grid of each cell: the same number of query rows per raster row and
    // key columns per raster column, starting at the cell's first element so thin bands at
    // the start of a cell (sinks, global queries, block boundaries) are always seen.
    const perCell = Math.max(1, Math.floor(EXACT_BUDGET / (rows * cols)));
    const samplesQ = Math.max(1, Math.min(Math.ceil(spanQ / rows), Math.round(Math.sqrt(perCell))));
    const samplesK = Math.max(1, Math.min(Math.ceil(spanK / cols), Math.floor(perCell / samplesQ)));
    const sampleKs: number[] = [];
    for (let c = 0; c < cols; c++) {
      const from = k0 + Math.ceil((c * spanK) / cols);
      const to = k0 + Math.ceil(((c + 1) * spanK) / cols);
      for (let i = 0; i < samplesK; i++) sampleKs.push(from + Math.floor(((to - from) * i) / samplesK));
    }
    for (let r = 0; r < rows; r++) {
      const from = q0 + Math.ceil((r * spanQ) / rows);
      const to = q0 + Math.ceil(((r + 1) * spanQ) / rows);
      for (let i = 0; i < samplesQ; i++) {
        const q = from + Math.floor(((to - from) * i) / samplesQ);
        const qt = Math.floor(q / tileM);
        for (const k of sampleKs) {
          const c = r * cols + colOf[k - k0]!;
          const cls = tiles?.classAt(qt, Math.floor(k / tileN));
          const value = cls === TILE_FULL ? true : cls === TILE_EMPTY ? false : allowed(q, k);
          if (value) allowedCount[c] += 1;
          seen[c] += 1;
        }
      }
    }
  }

  const density = new Uint8Array(rows * cols);
  for (let i = 0; i < density.length; i++) {
    const fraction = seen[i]! > 0 ? allowedCount[i]! / seen[i]! : 0;
    // Any allowed element keeps the cell visible (at least 1/255).
    density[i] = fraction > 0 ? Math.max(1, Math.round(fraction * 255)) : 0;
  }
  return { l, h, q0, q1, k0, k1, rows, cols, density, exact };
}

function countUndecided(
  tiles: TileClasses,
  q0: number, q1: number, k0: number, k1: number, tileM: number, tileN: number,
): number {
  let total = 0;
  for (let qt = Math.floor(q0 / tileM); qt * tileM < q1; qt++) {
    const rowsIn = Math.min(q1, (qt + 1) * tileM) - Math.max(q0, qt * tileM);
    for (let kt = Math.floor(k0 / tileN); kt * tileN < k1; kt++) {
      const cls = tiles.classAt(qt, kt);
      if (cls === TILE_EMPTY || cls === TILE_FULL) continue;
      total += rowsIn * (Math.min(k1, (kt + 1) * tileN) - Math.max(k0, kt * tileN));
    }
  }
  return total;
}

function clampInt(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(Math.floor(x), lo), Math.max(lo, hi));
}
