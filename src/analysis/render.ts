// Analysis output: pictures of tile classes (one panel per schedule class). The raster is
// computed here (browser-safe, used by the playground and the CLI's PNG writer); the SVG is
// a string. Large grids are downsampled: a pixel shows the "strongest" class of its tiles
// (PARTIAL over FULL over EMPTY).
import type { TileMap } from './tilemap.ts';

/** RGB per tile code: EMPTY, FULL, PARTIAL, PARTIAL_UNDECIDED, PARTIAL_RUNTIME. */
export const TILE_COLORS: ReadonlyArray<readonly [number, number, number]> = [
  [245, 245, 245], [33, 102, 172], [244, 165, 130], [214, 96, 77], [146, 197, 222],
];
const PRIORITY = [0, 1, 3, 4, 2];

export interface Raster { width: number; height: number; codes: Uint8Array }

export function rasterize(m: TileMap, maxSide = 256): Raster {
  const sx = Math.max(1, Math.ceil(m.nkt / maxSide)), sy = Math.max(1, Math.ceil(m.nqt / maxSide));
  const width = Math.ceil(m.nkt / sx), height = Math.ceil(m.nqt / sy);
  const codes = new Uint8Array(width * height);
  for (let x = 0; x < m.nqt; x++) {
    const py = Math.floor(x / sy);
    for (let i = m.rowPtr[x]!; i < m.rowPtr[x + 1]!; i++) {
      const c = m.code[i]!;
      for (let px = Math.floor(m.kt0[i]! / sx); px <= Math.floor((m.kt1[i]! - 1) / sx); px++) {
        const p = py * width + px;
        if (PRIORITY[c]! > PRIORITY[codes[p]!]!) codes[p] = c;
      }
    }
  }
  return { width, height, codes };
}

const hex = ([r, g, b]: readonly [number, number, number]) => `#${((1 << 24) | (r << 16) | (g << 8) | b).toString(16).slice(1)}`;

/** SVG of several labelled panels side by side (row-run rectangles, so files stay small). */
export function tileMapsSvg(panels: Array<{ label: string; map: TileMap }>, maxSide = 256, cell = 2): string {
  const rasters = panels.map((p) => rasterize(p.map, maxSide));
  const gap = 16, top = 18;
  const width = rasters.reduce((s, r) => s + r.width * cell + gap, gap);
  const height = top + Math.max(...rasters.map((r) => r.height * cell)) + gap;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
  ];
  let x0 = gap;
  rasters.forEach((r, i) => {
    parts.push(`<text x="${x0}" y="12">${escapeXml(panels[i]!.label)}</text>`);
    parts.push(`<rect x="${x0}" y="${top}" width="${r.width * cell}" height="${r.height * cell}" fill="${hex(TILE_COLORS[0]!)}"/>`);
    for (let y = 0; y < r.height; y++) {
      for (let x = 0; x < r.width;) {
        const c = r.codes[y * r.width + x]!;
        let e = x + 1;
        while (e < r.width && r.codes[y * r.width + e] === c) e++;
        if (c !== 0) parts.push(`<rect x="${x0 + x * cell}" y="${top + y * cell}" width="${(e - x) * cell}" height="${cell}" fill="${hex(TILE_COLORS[c]!)}"/>`);
        x = e;
      }
    }
    x0 += r.width * cell + gap;
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}
