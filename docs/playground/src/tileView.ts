// The tile-class map: every (query tile, key tile) of one (layer, head) coloured by what the
// analysis decided (empty: never visited, full: no mask evaluated, partial: masked element-wise),
// with the mask view's window outlined so the two panels read together.
import type { TileMapView } from './protocol.ts';
import type { ViewWindow } from './maskView.ts';

import { TILE_COLOURS, TILE_NAMES, TILE_RGB } from './tileNames.ts';
export { TILE_COLOURS, TILE_NAMES };
const PAD = 2;

export class TileView {
  private readonly ctx: CanvasRenderingContext2D;
  private tiles: TileMapView | undefined;
  private bitmap: HTMLCanvasElement | undefined;
  private viewWindow: ViewWindow | undefined;
  private dpr = 1;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly onHover: (tile: { qt: number; kt: number; cls: string; x: number; y: number } | null) => void,
    private readonly onPick: (qt: number, kt: number) => void,
  ) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('2D canvas unavailable');
    this.ctx = ctx;
    new ResizeObserver(() => this.resize()).observe(canvas.parentElement ?? canvas);
    canvas.addEventListener('pointermove', (e) => {
      const hit = this.tileAt(e);
      this.onHover(hit ? { ...hit, x: e.offsetX, y: e.offsetY } : null);
    });
    canvas.addEventListener('pointerleave', () => this.onHover(null));
    canvas.addEventListener('click', (e) => {
      const hit = this.tileAt(e);
      if (hit) this.onPick(hit.qt, hit.kt);
    });
  }

  setTiles(tiles: TileMapView | undefined): void {
    this.tiles = tiles;
    this.bitmap = undefined;
    if (tiles) {
      const bitmap = document.createElement('canvas');
      bitmap.width = tiles.width;
      bitmap.height = tiles.height;
      const bctx = bitmap.getContext('2d')!;
      const image = bctx.createImageData(tiles.width, tiles.height);
      for (let i = 0; i < tiles.classes.length; i++) {
        const [r, g, b] = TILE_RGB[tiles.classes[i]!] ?? [255, 255, 255];
        image.data.set([r, g, b, 255], 4 * i);
      }
      bctx.putImageData(image, 0, 0);
      this.bitmap = bitmap;
    }
    this.draw();
  }

  setViewWindow(window: ViewWindow): void {
    this.viewWindow = window;
    this.draw();
  }

  private geometry(): { x: number; y: number; w: number; h: number } | undefined {
    const tiles = this.tiles;
    if (!tiles) return undefined;
    const rect = this.canvas.getBoundingClientRect();
    const availW = rect.width - 2 * PAD;
    const availH = rect.height - 2 * PAD;
    // Keep the matrix's aspect ratio (in elements, not tiles).
    const Nq = tiles.tilesQ * tiles.tile.m;
    const Nk = tiles.tilesK * tiles.tile.n;
    const scale = Math.min(availW / Nk, availH / Nq);
    const w = Nk * scale;
    const h = Nq * scale;
    return { x: PAD + (availW - w) / 2, y: PAD + (availH - h) / 2, w, h };
  }

  private tileAt(e: MouseEvent): { qt: number; kt: number; cls: string } | undefined {
    const g = this.geometry();
    const tiles = this.tiles;
    if (!g || !tiles) return undefined;
    const fx = (e.offsetX - g.x) / g.w;
    const fy = (e.offsetY - g.y) / g.h;
    if (fx < 0 || fy < 0 || fx >= 1 || fy >= 1) return undefined;
    const qt = Math.floor(fy * tiles.tilesQ);
    const kt = Math.floor(fx * tiles.tilesK);
    const code = tiles.classes[Math.floor(fy * tiles.height) * tiles.width + Math.floor(fx * tiles.width)]!;
    const downsampled = tiles.width < tiles.tilesK || tiles.height < tiles.tilesQ;
    return { qt, kt, cls: `${TILE_NAMES[code] ?? 'unknown'}${downsampled ? ' (strongest class nearby)' : ''}` };
  }

  private resize(): void {
    const rect = this.canvas.getBoundingClientRect();
    this.dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.max(1, Math.round(rect.width * this.dpr));
    this.canvas.height = Math.max(1, Math.round(rect.height * this.dpr));
    this.draw();
  }

  draw(): void {
    const { ctx, dpr } = this;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const rect = this.canvas.getBoundingClientRect();
    ctx.clearRect(0, 0, rect.width, rect.height);
    const g = this.geometry();
    const tiles = this.tiles;
    if (!g || !tiles || !this.bitmap) return;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.bitmap, g.x, g.y, g.w, g.h);
    // Tile borders when tiles are big enough to separate.
    const cw = g.w / tiles.width;
    const ch = g.h / tiles.height;
    if (cw >= 6 && ch >= 6) {
      ctx.strokeStyle = 'rgba(255, 255, 255, 0.9)';
      ctx.lineWidth = 1;
      ctx.beginPath();
      for (let i = 1; i < tiles.width; i++) {
        const x = Math.round(g.x + i * cw) + 0.5;
        ctx.moveTo(x, g.y);
        ctx.lineTo(x, g.y + g.h);
      }
      for (let i = 1; i < tiles.height; i++) {
        const y = Math.round(g.y + i * ch) + 0.5;
        ctx.moveTo(g.x, y);
        ctx.lineTo(g.x + g.w, y);
      }
      ctx.stroke();
    }
    ctx.strokeStyle = '#c9cfd9';
    ctx.strokeRect(g.x - 0.5, g.y - 0.5, g.w + 1, g.h + 1);
    const win = this.viewWindow;
    if (win) {
      const Nq = tiles.tilesQ * tiles.tile.m;
      const Nk = tiles.tilesK * tiles.tile.n;
      const full = win.q0 <= 0 && win.k0 <= 0 && win.q1 >= Nq - tiles.tile.m && win.k1 >= Nk - tiles.tile.n;
      if (!full) {
        ctx.strokeStyle = '#d0342c';
        ctx.lineWidth = 1.5;
        ctx.strokeRect(
          g.x + (win.k0 / Nk) * g.w,
          g.y + (win.q0 / Nq) * g.h,
          Math.max(2, ((win.k1 - win.k0) / Nk) * g.w),
          Math.max(2, ((win.q1 - win.q0) / Nq) * g.h),
        );
      }
    }
  }
}
