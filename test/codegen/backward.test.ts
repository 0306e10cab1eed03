// The backward hooks of the shared lowering, executed by the IR interpreter (codegen/lower/eval.ts):
// (1) for every shipped pattern at random sizes and tiles, the lowered transposed schedule
//     (num_query_tiles / query_tile) lists exactly the transpose of the lowered forward schedule
//     (num_key_tiles / key_tile), FULL flags included, for every (l, h); and it is sound against
//     the reference mask (every allowed element in a listed tile, FULL tiles entirely allowed).
//     Runtime-scheduled patterns: both schedules built on the host for random runtime inputs
//     (codegen/lower/runtimeHost.ts: the forward builder and the backward's transposed builder),
//     read back through the hooks; their soundness is the classifier's (runtimeClassify.test.ts);
// (2) score_mod_grad agrees with central finite differences of the reference evaluator's
//     float64 score modifier, for the shipped score modifiers and random differentiable ones;
// (3) step functions of s are refused (no backward kernels, a reason in the metadata).
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../codegen/index.ts';
import { heavyKeyBlocks } from '../../codegen/cuda/backward.ts';
import { callFunction, type LValue } from '../../codegen/lower/eval.ts';
import type { LBuffer } from '../../codegen/lower/ir.ts';
import { scheduleFromAnalysis } from '../../codegen/lower/fromAnalysis.ts';
import { lowerPattern, type LoweredPattern, type Tile } from '../../codegen/lower/pattern.ts';
import { compileToIr } from '../../src/api.ts';
import type { IrProgram, Sizes } from '../../src/ir/schema.ts';
import { nodeReadFile } from '../../src/node.ts';
import { exampleInputs, randomQkv } from '../../src/reference/inputs.ts';
import { evalMask } from '../../src/reference/mask.ts';
import { buildRows, buildTransposedRows, scheduleBuffer, transposedScheduleBuffer } from '../../codegen/lower/runtimeHost.ts';
import { randomRuntime } from './runtimeData.ts';

const PATTERNS = resolve(import.meta.dirname, '../../patterns');
const NAMES = readdirSync(PATTERNS).filter((f) => f.endsWith('.attn')).map((f) => basename(f, '.attn')).sort();

function irOf(pattern: string, sizes: Partial<Sizes>): IrProgram | null {
  const file = join(PATTERNS, `${pattern}.attn`);
  return compileToIr(readFileSync(file, 'utf8'), { file, readFile: nodeReadFile, sizes }).ir;
}

function staticBuffers(bufs: LBuffer[]): Record<string, ArrayLike<number>> {
  const out: Record<string, ArrayLike<number>> = {};
  for (const b of bufs) if (b.source.kind === 'table' || b.source.kind === 'random_blocks') out[b.name] = b.source.data;
  return out;
}

type TileSet = Map<string, boolean>;

/** Forward tiles of (l, h) as "qt,kt" -> full, from the lowered forward hooks. */
function forwardTiles(p: LoweredPattern, l: number, h: number, ctx: { params: Record<string, number>; buffers: Record<string, ArrayLike<number>> }): TileSet {
  const out: TileSet = new Map();
  for (let qt = 0; qt < p.numQueryTiles; qt++) {
    const n = callFunction(p.hooks.numKeyTiles, { b: 0, l, h, qt }, ctx).value as number;
    for (let j = 0; j < n; j++) {
      const r = callFunction(p.hooks.keyTile, { b: 0, l, h, qt, j }, ctx);
      out.set(`${qt},${r.value}`, r.outs.get('full') === true);
    }
  }
  return out;
}

function transposedTiles(p: LoweredPattern, l: number, h: number, ctx: { params: Record<string, number>; buffers: Record<string, ArrayLike<number>> }): TileSet {
  const hooks = p.backward().hooks!;
  const out: TileSet = new Map();
  for (let kt = 0; kt < p.numKeyTiles; kt++) {
    const n = callFunction(hooks.numQueryTiles, { b: 0, l, h, kt }, ctx).value as number;
    let prev = -1;
    for (let j = 0; j < n; j++) {
      const r = callFunction(hooks.queryTile, { b: 0, l, h, kt, j }, ctx);
      const key = `${r.value},${kt}`;
      if (out.has(key)) throw new Error(`query_tile lists (${key}) twice`);
      // ascending: the sm_90a dK/dV kernel walks two adjacent key tiles' rows as one merged list
      if ((r.value as number) <= prev) throw new Error(`query_tile of kt=${kt} not ascending at j=${j}: ${r.value} after ${prev}`);
      prev = r.value as number;
      out.set(key, r.outs.get('full') === true);
    }
  }
  return out;
}

describe('transposed schedule = transpose of the forward schedule (property, every pattern)', () => {
  const tiles: Tile[] = [{ blockM: 128, blockN: 64 }, { blockM: 128, blockN: 128 }, { blockM: 64, blockN: 64 }, { blockM: 32, blockN: 16 }];
  for (const pattern of NAMES) {
    it(pattern, () => {
      fc.assert(fc.property(
        fc.integer({ min: 1, max: 700 }), fc.integer({ min: 0, max: 2 }), fc.constantFrom(...tiles), fc.integer({ min: 0, max: 1_000_000 }),
        (Nq, nkKind, tile, seed) => {
          const Nk = nkKind === 0 ? Nq : nkKind === 1 ? Nq + 37 * (seed % 11) : Math.max(1, Nq - (seed % 200));
          const ir = irOf(pattern, { Nq, Nk, H: 4, Hkv: 2, L: 2 }) ?? irOf(pattern, { Nq, Nk }) ?? irOf(pattern, { Nq });
          if (!ir) return; // the pattern needs other sizes (e.g. a fixed Nk)
          const analysed = scheduleFromAnalysis(ir, ir.sizes, tile);
          const p = lowerPattern(ir, { tile, schedule: analysed?.schedule });
          const bwd = p.backward();
          expect(bwd.unsupported).toBeNull();
          const ctx = { params: {} as Record<string, number>, buffers: staticBuffers([...p.buffers, ...bwd.tables]) };
          const { L, H } = p.sizes;
          if (p.runtime) {
            const { data, bstride } = randomRuntime(ir, p, 1, seed);
            const rt = p.runtime, bt = bwd.runtime!;
            Object.assign(ctx.buffers, data);
            for (let l = 0; l < L; l++) {
              // one layer's schedules at a time (the buffers hold one layer, as on the device)
              ctx.buffers[rt.schedule.name] = scheduleBuffer(p, buildRows(p, data, bstride, 1, l));
              ctx.buffers[bt.buffer.name] = transposedScheduleBuffer(p, buildTransposedRows(p, data, bstride, 1, l));
              ctx.params = Object.fromEntries(Object.entries({ ...bstride, [rt.schedule.name]: rt.schedule.length, [bt.buffer.name]: bt.buffer.length }).map(([k, v]) => [`${k}_bstride`, v]));
              for (let h = 0; h < H; h++) expect(transposedTiles(p, l, h, ctx), `l=${l} h=${h}`).toEqual(forwardTiles(p, l, h, ctx));
            }
            return;
          }
          const qkv = randomQkv(ir.sizes, 16, 1, seed);
          const mask = evalMask(ir, { sizes: ir.sizes, inputs: exampleInputs(ir, ir.sizes, seed), qk: { q: qkv.q, k: qkv.k, D: 16, B: 1 } });
          for (let l = 0; l < L; l++) {
            for (let h = 0; h < H; h++) {
              const back = transposedTiles(p, l, h, ctx);
              expect(back, `l=${l} h=${h}`).toEqual(forwardTiles(p, l, h, ctx));
              // soundness against the reference mask
              const allow = mask.element(l, h, 0);
              for (let q = 0; q < ir.sizes.Nq; q += 7) {
                for (let k = 0; k < ir.sizes.Nk; k += 5) {
                  const key = `${Math.floor(q / tile.blockM)},${Math.floor(k / tile.blockN)}`;
                  const ok = allow(q, k);
                  if (ok) expect(back.has(key), `allowed (${q}, ${k}) of l=${l} h=${h} not visited`).toBe(true);
                  if (back.get(key) === true) expect(ok, `FULL tile ${key} has disallowed (${q}, ${k})`).toBe(true);
                }
              }
            }
          }
        },
      ), { numRuns: 6, seed: 7 });
    }, 120_000);
  }
});

// --- score_mod_grad against finite differences

function scoreIr(score: string): IrProgram {
  const source = `sizes Nq = 256, Nk = Nq, H = 4, L = 1\nmask = causal\nscore = ${score}\n`;
  const { ir, diagnostics } = compileToIr(source, { file: 'score.attn' });
  if (!ir) throw new Error(`${score}: ${diagnostics.map((d) => d.message).join('; ')}`);
  return ir;
}

function checkGrad(ir: IrProgram, seed: number, samples = 60) {
  const p = lowerPattern(ir, { tile: { blockM: 128, blockN: 64 } });
  const grad = p.backward().hooks!.scoreModGrad;
  const ctx = { params: {}, buffers: staticBuffers(p.buffers) };
  const mask = evalMask(ir, { sizes: ir.sizes });
  let rng = seed >>> 0;
  const rand = () => ((rng = (Math.imul(rng, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  let checked = 0;
  for (let i = 0; i < samples; i++) {
    const h = Math.floor(rand() * ir.sizes.H), q = Math.floor(rand() * ir.sizes.Nq), k = Math.floor(rand() * (q + 1));
    const s = Math.fround((rand() - 0.5) * 40);
    const f = mask.score(0, h, 0)!;
    const eps = 1e-5 * Math.max(1, Math.abs(s));
    const fd = (f(s + eps, q, k) - f(s - eps, q, k)) / (2 * eps);
    // a kink inside [s - eps, s + eps] (abs, min, max, select): one-sided slopes disagree
    const left = (f(s, q, k) - f(s - eps, q, k)) / eps, right = (f(s + eps, q, k) - f(s, q, k)) / eps;
    if (!Number.isFinite(fd) || Math.abs(left - right) > 1e-4 * Math.max(1, Math.abs(fd))) continue;
    const args: Record<string, LValue> = { s, b: 0, l: 0, h, q, k };
    const g = callFunction(grad, args, ctx).value as number;
    expect(Math.abs(g - fd), `d/ds at s=${s} h=${h} q=${q} k=${k}: lowered ${g}, finite differences ${fd}`).toBeLessThanOrEqual(2e-3 * Math.max(1, Math.abs(fd)));
    checked++;
  }
  expect(checked).toBeGreaterThan(samples / 2);
}

describe('score_mod_grad = d score_mod / d s (finite differences of the reference evaluator)', () => {
  it('alibi_softcap (softcap of an ALiBi-biased logit)', () => {
    const ir = irOf('alibi_softcap', { Nq: 300, H: 8 })!;
    checkGrad(ir, 1);
  });
  const forms = [
    's + 0.25 * (k - q)', 's * 0.5', '30.0 * tanh(s / 30.0)', 's / (1.0 + abs(s))', 'exp(s / 16.0) - 1.0',
    'max(s, -3.0)', 'min(s, 2.0) + 0.1 * s', 'sqrt(s * s + 1.0)', 'log(1.0 + exp(s / 8.0))',
    'if s > 0.0 then s else 0.5 * s', 's * (h + 1) / 4.0',
  ];
  for (const form of forms) {
    it(form, () => {
      checkGrad(scoreIr(form), form.length);
      const { diagnostics } = compileToIr(`sizes Nq = 256, Nk = Nq, H = 4, L = 1\nmask = causal\nscore = ${form}\n`, { file: 'score.attn' });
      expect(diagnostics.filter((d) => d.code === 'W201')).toEqual([]);
    });
  }

  it('additive biases give the constant 1 (no arithmetic in the hook)', () => {
    const grad = lowerPattern(scoreIr('s + 0.25 * (k - q)'), { tile: { blockM: 128, blockN: 64 } }).backward().hooks!.scoreModGrad;
    expect(grad.body).toEqual([{ kind: 'return', value: { kind: 'lit', type: 'float', value: 1 } }]);
  });

  // random differentiable score expressions over s, h, q, k
  const leaf = fc.constantFrom('s', '(s * 0.5)', '0.75', '(h * 1.0)', '(k - q) * 0.01');
  const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
    e: fc.oneof(
      { depthSize: 'small' },
      leaf,
      fc.tuple(tie('e'), fc.constantFrom('+', '-', '*'), tie('e')).map(([a, o, b]) => `(${a} ${o} ${b})`),
      tie('e').map((a) => `tanh(${a} / 8.0)`),
      tie('e').map((a) => `(${a} / (2.0 + abs(${a})))`),
      tie('e').map((a) => `sqrt(${a} * ${a} + 1.0)`),
      tie('e').map((a) => `exp(tanh(${a}))`),
      fc.tuple(tie('e'), tie('e')).map(([a, b]) => `max(${a}, ${b})`),
    ),
  })).e;
  it('random differentiable score modifiers', () => {
    fc.assert(fc.property(expr, fc.integer({ min: 1, max: 1 << 30 }), (form, seed) => {
      const ir = scoreIr(form);
      if (ir.score === null) return;
      checkGrad(ir, seed, 30);
    }), { numRuns: 40, seed: 11 });
  });
});

describe('non-differentiable score modifiers', () => {
  for (const form of ['floor(s)', 's - round(s)', 's + ceil(s / 4.0)']) {
    it(`${form}: no backward kernels, the reason in the metadata`, () => {
      const r = compile(scoreIr(form), { target: 'cuda', tile: { blockM: 128, blockN: 64 } });
      // the front end locates the same form (W201)
      const { diagnostics } = compileToIr(`sizes Nq = 256, Nk = Nq, H = 4, L = 1\nmask = causal\nscore = ${form}\n`, { file: 'score.attn' });
      expect(diagnostics.map((d) => d.code)).toContain('W201');
      expect(r.metadata.backward?.supported).toBe(false);
      expect(r.metadata.backward?.reason).toMatch(/not differentiable in s: (floor|round|ceil)/);
      expect(r.files.some((f) => f.path.endsWith('_bwd.cu'))).toBe(false);
      expect(r.metadata.kernels.some((k) => k.role === 'backward')).toBe(false);
    });
  }
});

// Heavy key blocks first (codegen/cuda/backward.ts heavyKeyBlocks): which dK/dV CTAs the module
// hands out before the grid order, the same list in the metadata and in the translation unit.
describe('heavy key blocks of the dK/dV grid', () => {
  it('blocks at least 3x the mean work, ascending, none when the rows are even', () => {
    expect(heavyKeyBlocks([16, 2, 2, 2, 2, 2, 2, 2], 1)).toEqual([0]);
    expect(heavyKeyBlocks([24, 2, 2, 2, 2, 2, 2, 24], 1)).toEqual([0, 7]);
    expect(heavyKeyBlocks([16, 2, 2, 2, 2, 2, 2, 16], 1)).toEqual([]); // 16 < 3 x 5.5
    // pairs of tiles per CTA: the CTA's work is the sum of its two rows
    expect(heavyKeyBlocks([24, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], 2)).toEqual([0]);
    expect(heavyKeyBlocks([8, 7, 6, 5, 4, 3, 2, 1], 1)).toEqual([]); // causal-like: 2x the mean at most
    expect(heavyKeyBlocks([0, 0, 0], 1)).toEqual([]);
    expect(heavyKeyBlocks([5], 1)).toEqual([]);
  });

  const emitted = (pattern: string) => {
    const ir = irOf(pattern, { Nq: 16384, H: 16, Hkv: 16 })!;
    const tile: Tile = { blockM: 128, blockN: 128 };
    const a = scheduleFromAnalysis(ir, ir.sizes, tile)!;
    const r = compile(ir, { target: 'cuda', tile, dtypes: ['bf16'], headDims: [128], schedule: a.schedule, statistics: a.statistics });
    const tu = r.files.find((f) => f.path.endsWith('_bwd.cu'))!.contents as string;
    return { heavy: r.metadata.backward?.heavyKeyBlocks, define: /#define ATTNC_BWD_HEAVY_BLOCKS (.*)/.exec(tu)?.[1] };
  };

  it('attention sinks and global tokens: their first key block; the metadata and the module agree', () => {
    for (const pattern of ['streaming_llm', 'longformer']) {
      const { heavy, define } = emitted(pattern);
      expect(heavy, pattern).toEqual([0]);
      expect(define, pattern).toBe('0');
    }
  });

  it('windows and causal masks: the grid order', () => {
    for (const pattern of ['causal', 'sliding_window']) {
      const { heavy, define } = emitted(pattern);
      expect(heavy, pattern).toBeUndefined();
      expect(define, pattern).toBeUndefined();
    }
  });
});
