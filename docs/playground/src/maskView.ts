// The mask heatmap: one (layer, head) of the attention matrix, queries down, keys across, with
// zoom (wheel, buttons) and pan (drag). It asks for a raster of exactly the visible window at
// the canvas's pixel resolution, so zooming in always ends at single (q, k) cells; while a
// raster is on its way the previous one is redrawn under the new view.
import type { MaskRaster, RasterRequest } from './protocol.ts';

export interface MaskViewCallbacks {
  /** Ask for a raster of this window; the answer comes back through `setRaster`. */
  requestRaster(request: RasterRequest): void;
  /** The pointer is over cell (q, k), or left the matrix (null). */
  hover(cell: { q: number; k: number; x: number; y: number } | null): void;
  /** The visible window changed (for the overview rectangle on the tile map). */
  viewChanged(window: ViewWindow): void;
}

export interface ViewWindow {
  q0: number;
  q1: number;
  k0: number;
  k1: number;
}

const MARGIN_LEFT = 48;
const MARGIN_TOP = 22;
const MARGIN_RIGHT = 10;
const MARGIN_BOTTOM = 10;
/** Deepest zoom: this many pixels per element. */
const MAX_SCALE = 48;

/** Allowed fraction 0..255 to RGB: white to the accent blue, through a light blue. */
function densityColour(t: number): [number, number, number] {
  const x = t / 255;
  // Small densities stay visible: a sqrt ramp lifts thin diagonals above the background.
  const y = x === 0 ? 0 : 0.18 + 0.82 * Math.sqrt(x);
  // Ends at the analysis's FULL-tile blue, so the two panels read as one picture.
  return [Math.round(255 - y * (255 - 33)), Math.round(255 - y * (255 - 102)), Math.round(255 - y * (255 - 172))];
}
const PALETTE = Array.from({ length: 256 }, (_, i) => densityColour(i));

export class MaskView {
  private readonly ctx: CanvasRenderingContext2D;
  private sizes = { Nq: 0, Nk: 0 };
  private tile = { m: 64, n: 64 };
  /** View transform: element (q, k) maps to plot pixel ((k - k0) * scale, (q - q0) * scale). */
  private scale = 1;
  private originQ = 0;
  private originK = 0;
  private raster: MaskRaster | undefined;
  private rasterBitmap: HTMLCanvasElement | undefined;
  private dpr = 1;
  private drag: { x: number; y: number; q: number; k: number } | undefined;
  private rasterTimer: number | undefined;
  private hovered: { q: number; k: number } | undefined;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly callbacks: MaskViewCallbacks,
  ) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('2D canvas unavailable');
    this.ctx = ctx;
    new ResizeObserver(() => this.resize()).observe(canvas.parentElement ?? canvas);
    canvas.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    canvas.addEventListener('pointerdown', (e) => this.onPointerDown(e));
    canvas.addEventListener('pointermove', (e) => this.onPointerMove(e));
    canvas.addEventListener('pointerup', (e) => this.onPointerUp(e));
    canvas.addEventListener('pointerleave', () => {
      this.hovered = undefined;
      this.callbacks.hover(null);
      this.draw();
    });
    canvas.addEventListener('dblclick', () => this.fit());
  }

  /** New matrix dimensions: keeps the view when the shape is unchanged, else fits. */
  setShape(Nq: number, Nk: number, tileM: number, tileN: number): void {
    const changed = Nq !== this.sizes.Nq || Nk !== this.sizes.Nk;
    this.sizes = { Nq, Nk };
    this.tile = { m: tileM, n: tileN };
    if (changed) this.fit(false);
  }

  /** Drops the current raster (the mask changed) and asks for a new one. */
  invalidate(): void {
    this.requestRaster(true);
  }

  setRaster(raster: MaskRaster): void {
    this.raster = raster;
    const bitmap = document.createElement('canvas');
    bitmap.width = raster.cols;
    bitmap.height = raster.rows;
    const bctx = bitmap.getContext('2d')!;
    const image = bctx.createImageData(raster.cols, raster.rows);
    const { density } = raster;
    for (let i = 0; i < density.length; i++) {
      const [r, g, b] = PALETTE[density[i]!]!;
      image.data[4 * i] = r;
      image.data[4 * i + 1] = g;
      image.data[4 * i + 2] = b;
      image.data[4 * i + 3] = 255;
    }
    bctx.putImageData(image, 0, 0);
    this.rasterBitmap = bitmap;
    this.draw();
  }

  fit(request = true): void {
    const { w, h } = this.plotSize();
    const { Nq, Nk } = this.sizes;
    if (Nq === 0 || Nk === 0 || w <= 0 || h <= 0) return;
    this.scale = Math.min(w / Nk, h / Nq);
    this.originQ = 0;
    this.originK = 0;
    this.changed(request);
  }

  zoomBy(factor: number, atX?: number, atY?: number): void {
    const { w, h } = this.plotSize();
    const px = atX ?? w / 2;
    const py = atY ?? h / 2;
    const q = this.originQ + py / this.scale;
    const k = this.originK + px / this.scale;
    const fitScale = Math.min(w / Math.max(1, this.sizes.Nk), h / Math.max(1, this.sizes.Nq));
    this.scale = Math.min(MAX_SCALE, Math.max(fitScale, this.scale * factor));
    this.originQ = q - py / this.scale;
    this.originK = k - px / this.scale;
    this.changed(true);
  }

  /** Zooms to show query tile qt and key tile kt with some context around them. */
  focusTile(qt: number, kt: number, tileM: number, tileN: number): void {
    const { w, h } = this.plotSize();
    const spanQ = tileM * 4;
    const spanK = tileN * 4;
    this.scale = Math.min(MAX_SCALE, Math.min(w / spanK, h / spanQ));
    this.originQ = qt * tileM + tileM / 2 - h / this.scale / 2;
    this.originK = kt * tileN + tileN / 2 - w / this.scale / 2;
    this.changed(true);
  }

  /** The element window currently visible (clipped to the matrix). */
  window(): ViewWindow {
    const { w, h } = this.plotSize();
    return {
      q0: Math.max(0, Math.floor(this.originQ)),
      q1: Math.min(this.sizes.Nq, Math.ceil(this.originQ + h / this.scale)),
      k0: Math.max(0, Math.floor(this.originK)),
      k1: Math.min(this.sizes.Nk, Math.ceil(this.originK + w / this.scale)),
    };
  }

  /** Left edge of the plot: the matrix is centred when it is narrower than the panel. */
  private plotLeft(): number {
    const { w } = this.plotSize();
    return MARGIN_LEFT + Math.max(0, (w - this.sizes.Nk * this.scale) / 2);
  }

  private plotSize(): { w: number; h: number } {
    const rect = this.canvas.getBoundingClientRect();
    return { w: rect.width - MARGIN_LEFT - MARGIN_RIGHT, h: rect.height - MARGIN_TOP - MARGIN_BOTTOM };
  }

  private resize(): void {
    const rect = this.canvas.getBoundingClientRect();
    this.dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.max(1, Math.round(rect.width * this.dpr));
    this.canvas.height = Math.max(1, Math.round(rect.height * this.dpr));
    if (this.raster === undefined) this.fit();
    else this.changed(true);
  }

  /** Keeps the view inside the matrix (with no empty gutter when zoomed in). */
  private clampView(): void {
    const { w, h } = this.plotSize();
    const spanK = w / this.scale;
    const spanQ = h / this.scale;
    const { Nq, Nk } = this.sizes;
    this.originK = spanK >= Nk ? 0 : Math.min(Math.max(0, this.originK), Nk - spanK);
    this.originQ = spanQ >= Nq ? 0 : Math.min(Math.max(0, this.originQ), Nq - spanQ);
  }

  private changed(request: boolean): void {
    this.clampView();
    this.draw();
    this.callbacks.viewChanged(this.window());
    if (request) {
      // Coalesce bursts of wheel events into one request per frame or so.
      if (this.rasterTimer !== undefined) clearTimeout(this.rasterTimer);
      this.rasterTimer = window.setTimeout(() => this.requestRaster(false), 30);
    }
  }

  private requestRaster(force: boolean): void {
    this.rasterTimer = undefined;
    const win = this.window();
    if (win.q1 <= win.q0 || win.k1 <= win.k0) return;
    const px = this.scale * this.dpr;
    const rows = Math.max(1, Math.min(win.q1 - win.q0, Math.ceil((win.q1 - win.q0) * px)));
    const cols = Math.max(1, Math.min(win.k1 - win.k0, Math.ceil((win.k1 - win.k0) * px)));
    const current = this.raster;
    if (
      !force && current &&
      current.q0 === win.q0 && current.q1 === win.q1 && current.k0 === win.k0 && current.k1 === win.k1 &&
      current.rows === rows && current.cols === cols
    ) return;
    this.callbacks.requestRaster({ ...win, rows, cols });
  }

  draw(): void {
    const { ctx, dpr } = this;
    const W = this.canvas.width / dpr;
    const H = this.canvas.height / dpr;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, W, H);
    const { Nq, Nk } = this.sizes;
    if (Nq === 0 || Nk === 0) return;
    const { w, h } = this.plotSize();
    const plotW = Math.min(w, Nk * this.scale);
    const plotH = Math.min(h, Nq * this.scale);

    ctx.save();
    ctx.translate(this.plotLeft(), MARGIN_TOP);
    ctx.beginPath();
    ctx.rect(0, 0, plotW, plotH);
    ctx.clip();
    const raster = this.raster;
    if (raster && this.rasterBitmap) {
      ctx.imageSmoothingEnabled = false;
      const x = (raster.k0 - this.originK) * this.scale;
      const y = (raster.q0 - this.originQ) * this.scale;
      ctx.drawImage(this.rasterBitmap, x, y, (raster.k1 - raster.k0) * this.scale, (raster.q1 - raster.q0) * this.scale);
    }
    this.drawTileGrid(plotW, plotH);
    if (this.hovered) {
      const { q, k } = this.hovered;
      const size = Math.max(this.scale, 1);
      ctx.strokeStyle = '#d0342c';
      ctx.lineWidth = 1.5;
      ctx.strokeRect((k - this.originK) * this.scale, (q - this.originQ) * this.scale, size, size);
    }
    ctx.restore();

    ctx.strokeStyle = '#c9cfd9';
    ctx.lineWidth = 1;
    ctx.strokeRect(this.plotLeft() - 0.5, MARGIN_TOP - 0.5, plotW + 1, plotH + 1);
    this.drawAxes(plotW, plotH);
  }

  /** Tile boundaries, once they are far enough apart to read. */
  private drawTileGrid(plotW: number, plotH: number): void {
    const { ctx } = this;
    const stepX = this.tile.n * this.scale;
    const stepY = this.tile.m * this.scale;
    if (stepX < 10 || stepY < 10) return;
    ctx.strokeStyle = 'rgba(23, 32, 51, 0.12)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    const firstK = Math.ceil(this.originK / this.tile.n) * this.tile.n;
    for (let k = firstK; (k - this.originK) * this.scale <= plotW; k += this.tile.n) {
      const x = Math.round((k - this.originK) * this.scale) + 0.5;
      ctx.moveTo(x, 0);
      ctx.lineTo(x, plotH);
    }
    const firstQ = Math.ceil(this.originQ / this.tile.m) * this.tile.m;
    for (let q = firstQ; (q - this.originQ) * this.scale <= plotH; q += this.tile.m) {
      const y = Math.round((q - this.originQ) * this.scale) + 0.5;
      ctx.moveTo(0, y);
      ctx.lineTo(plotW, y);
    }
    ctx.stroke();
  }

  private drawAxes(plotW: number, plotH: number): void {
    const { ctx } = this;
    ctx.fillStyle = '#677288';
    ctx.font = '11px ui-monospace, "DejaVu Sans Mono", monospace';
    const win = this.window();
    const ticks = (lo: number, hi: number, pixels: number): number[] => {
      const span = hi - lo;
      if (span <= 0) return [];
      const target = Math.max(2, Math.floor(pixels / 70));
      const raw = span / target;
      const pow = 10 ** Math.floor(Math.log10(raw));
      const step = [1, 2, 4, 5, 8, 10].map((m) => m * pow).find((s) => s >= raw) ?? raw;
      // Powers of two read better for sequence lengths: prefer them when close.
      const pow2 = 2 ** Math.round(Math.log2(raw));
      const chosen = Math.abs(pow2 - raw) / raw < 0.5 ? Math.max(1, pow2) : Math.max(1, step);
      const out: number[] = [];
      for (let t = Math.ceil(lo / chosen) * chosen; t <= hi; t += chosen) out.push(t);
      return out;
    };
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    for (const k of ticks(win.k0, win.k1, plotW)) {
      const x = this.plotLeft() + (k - this.originK) * this.scale;
      if (x < this.plotLeft() - 1 || x > this.plotLeft() + plotW + 1) continue;
      ctx.fillText(String(k), Math.min(Math.max(x, this.plotLeft() + 8), this.plotLeft() + plotW - 8), MARGIN_TOP - 5);
    }
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const q of ticks(win.q0, win.q1, plotH)) {
      const y = MARGIN_TOP + (q - this.originQ) * this.scale;
      if (y < MARGIN_TOP - 1 || y > MARGIN_TOP + plotH + 1) continue;
      ctx.fillText(String(q), this.plotLeft() - 6, Math.min(Math.max(y, MARGIN_TOP + 5), MARGIN_TOP + plotH - 5));
    }
    // Axis names in the corner: rows are queries, columns are keys.
    ctx.fillStyle = '#97a0b1';
    ctx.textAlign = 'right';
    ctx.textBaseline = 'bottom';
    ctx.fillText('q↓ k→', this.plotLeft() - 6, MARGIN_TOP - 5);
  }

  private cellAt(e: PointerEvent | WheelEvent): { q: number; k: number; px: number; py: number } | undefined {
    const rect = this.canvas.getBoundingClientRect();
    const px = e.clientX - rect.left - this.plotLeft();
    const py = e.clientY - rect.top - MARGIN_TOP;
    const q = Math.floor(this.originQ + py / this.scale);
    const k = Math.floor(this.originK + px / this.scale);
    if (px < 0 || py < 0 || q < 0 || k < 0 || q >= this.sizes.Nq || k >= this.sizes.Nk) return undefined;
    return { q, k, px, py };
  }

  private onWheel(e: WheelEvent): void {
    e.preventDefault();
    const rect = this.canvas.getBoundingClientRect();
    const factor = Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0025));
    this.zoomBy(factor, e.clientX - rect.left - this.plotLeft(), e.clientY - rect.top - MARGIN_TOP);
  }

  private onPointerDown(e: PointerEvent): void {
    if (e.button !== 0) return;
    this.drag = { x: e.clientX, y: e.clientY, q: this.originQ, k: this.originK };
    this.canvas.setPointerCapture(e.pointerId);
  }

  private onPointerMove(e: PointerEvent): void {
    if (this.drag) {
      const dx = e.clientX - this.drag.x;
      const dy = e.clientY - this.drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 2) this.canvas.classList.add('dragging');
      this.originK = this.drag.k - dx / this.scale;
      this.originQ = this.drag.q - dy / this.scale;
      this.changed(true);
      return;
    }
    const cell = this.cellAt(e);
    if (!cell) {
      if (this.hovered) {
        this.hovered = undefined;
        this.callbacks.hover(null);
        this.draw();
      }
      return;
    }
    if (!this.hovered || this.hovered.q !== cell.q || this.hovered.k !== cell.k) {
      this.hovered = { q: cell.q, k: cell.k };
      this.draw();
    }
    this.callbacks.hover({ q: cell.q, k: cell.k, x: cell.px + this.plotLeft(), y: cell.py + MARGIN_TOP });
  }

  private onPointerUp(e: PointerEvent): void {
    this.drag = undefined;
    this.canvas.classList.remove('dragging');
    this.canvas.releasePointerCapture(e.pointerId);
  }
}
