// Rendering of `attnc mask` (element-wise mask pictures through the reference evaluator), apart
// from the command definition so that the CLI loads it only when `mask` runs. Also used by
// docs/gen-language-pictures.ts.
import { PNG } from 'pngjs';
import type { IrProgram, Sizes } from '../ir/schema.ts';
import { evalMask } from '../reference/mask.ts';
import { exampleInputs, inputKind, randomQkv } from '../reference/inputs.ts';
import { density, maskRows, renderMaskText, type HeadMask } from '../reference/picture.ts';
import { UsageError } from './exit.ts';

/** Above this many elements over all drawn heads the command refuses (it is element-wise). */
const MAX_ELEMENTS = 1 << 26;
/** Head dimension of the generated Q and K (lsh buckets and top-k blocks need some). */
const EXAMPLE_HEAD_DIM = 16;

export interface MaskOptions {
  layer?: string;
  head?: string;
  format?: string;
  output?: string;
  seed?: string;
  width?: string;
}

export interface MaskRendering {
  /** What to write (text, or PNG bytes). */
  content: string | Uint8Array;
  /** Lines about generated inputs, for stderr when the content goes to a file or is binary. */
  notes: string[];
}

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) <= 0) throw new UsageError(`${name} expects a positive integer, got '${value}'`);
  return Number(value);
}

function nonNegativeInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${name} expects a non-negative integer, got '${value}'`);
  return Number(value);
}

/** The heads to draw, and a description of generated runtime data. */
function evaluate(ir: IrProgram, opts: MaskOptions) {
  const sizes: Sizes = ir.sizes;
  const seed = nonNegativeInt('--seed', opts.seed) ?? 0;
  const layer = nonNegativeInt('--layer', opts.layer) ?? 0;
  if (layer >= sizes.L) throw new UsageError(`--layer ${layer} is out of range (L = ${sizes.L})`);
  const onlyHead = nonNegativeInt('--head', opts.head);
  if (onlyHead !== undefined && onlyHead >= sizes.H) throw new UsageError(`--head ${onlyHead} is out of range (H = ${sizes.H})`);
  const heads = onlyHead !== undefined ? [onlyHead] : Array.from({ length: sizes.H }, (_, h) => h);
  if (heads.length * sizes.Nq * sizes.Nk > MAX_ELEMENTS) {
    throw new UsageError(`the mask has ${heads.length} x ${sizes.Nq} x ${sizes.Nk} elements: use smaller --seq / --kv-seq / --heads, or --head`);
  }

  const notes: string[] = [];
  const inputs = exampleInputs(ir, sizes, seed);
  for (const decl of ir.inputs) {
    if (decl.source.kind === 'given') notes.push(`runtime input '${decl.name}' generated with --seed ${seed} (${inputKind(ir, decl)})`);
    else notes.push(`runtime input '${decl.name}' = lsh(${decl.source.of}, ...) of random Q/K (D = ${EXAMPLE_HEAD_DIM}, --seed ${seed})`);
  }
  const needsQk = ir.inputs.some((d) => d.source.kind === 'lsh') || ir.nodes.some((n) => n.kind === 'topk_blocks');
  let qk;
  if (needsQk) {
    const { q, k } = randomQkv(sizes, EXAMPLE_HEAD_DIM, 1, seed);
    qk = { q, k, D: EXAMPLE_HEAD_DIM, B: 1 };
    if (ir.nodes.some((n) => n.kind === 'topk_blocks')) notes.push(`topk_blocks scored on random Q/K (D = ${EXAMPLE_HEAD_DIM}, --seed ${seed})`);
  }
  const evaluator = evalMask(ir, { inputs, qk });
  const masks: HeadMask[] = heads.map((h) => ({ layer, head: h, dense: evaluator.dense(layer, h) }));
  return { sizes, layer, masks, notes };
}

function renderPng(masks: HeadMask[], nq: number, nk: number): Uint8Array {
  const scale = Math.max(1, Math.min(8, Math.floor(256 / Math.max(nq, nk))));
  const gap = 4;
  const cols = Math.ceil(Math.sqrt(masks.length));
  const rows = Math.ceil(masks.length / cols);
  const tileW = nk * scale, tileH = nq * scale;
  const png = new PNG({ width: cols * tileW + (cols + 1) * gap, height: rows * tileH + (rows + 1) * gap });
  png.data.fill(0xff);
  const paint = (x: number, y: number, rgb: [number, number, number]) => {
    const i = (y * png.width + x) * 4;
    png.data[i] = rgb[0]; png.data[i + 1] = rgb[1]; png.data[i + 2] = rgb[2]; png.data[i + 3] = 0xff;
  };
  masks.forEach((m, idx) => {
    const x0 = gap + (idx % cols) * (tileW + gap);
    const y0 = gap + Math.floor(idx / cols) * (tileH + gap);
    for (let q = 0; q < nq; q++) for (let k = 0; k < nk; k++) {
      const rgb: [number, number, number] = m.dense[q * nk + k] ? [0x1f, 0x4e, 0x8c] : [0xe8, 0xe8, 0xe8];
      for (let dy = 0; dy < scale; dy++) for (let dx = 0; dx < scale; dx++) paint(x0 + k * scale + dx, y0 + q * scale + dy, rgb);
    }
  });
  return PNG.sync.write(png);
}

/** Renders the mask of `ir` in the requested format. */
export function renderMask(ir: IrProgram, opts: MaskOptions): MaskRendering {
  const format = opts.format ?? 'txt';
  if (!['txt', 'json', 'png'].includes(format)) throw new UsageError(`--format expects txt, json or png, got '${format}'`);
  const { sizes, layer, masks, notes } = evaluate(ir, opts);
  const { Nq, Nk } = sizes;
  if (format === 'png') return { content: renderPng(masks, Nq, Nk), notes };
  if (format === 'json') {
    const json = {
      pattern: ir.name,
      sizes,
      layer,
      notes,
      heads: masks.map((m) => ({ layer: m.layer, head: m.head, density: density(m.dense), rows: maskRows(m.dense, Nq, Nk) })),
    };
    return { content: JSON.stringify(json, null, 1) + '\n', notes };
  }
  const width = positiveInt('--width', opts.width) ?? 64;
  const title = `${ir.name}: Nq = ${Nq}, Nk = ${Nk}, H = ${sizes.H}, Hkv = ${sizes.Hkv}, L = ${sizes.L}; layer ${layer}\n`;
  const text = title + notes.map((n) => `note: ${n}\n`).join('') + '\n' + renderMaskText(masks, Nq, Nk, { maxCols: width, maxRows: width });
  return { content: text, notes };
}

