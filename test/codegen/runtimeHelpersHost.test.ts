// The CUDA helper kernels of codegen/cuda/runtime/attnc_runtime_helpers.cuh, run on the host
// (g++, the CUDA thread model emulated by cudaEmu.hpp: a thread per CUDA thread, barriers for
// __syncthreads and warp shuffles) against the references that define their results: the
// summaries against codegen/lower/runtimeSummaries.ts, the top-k selection against
// src/reference/topk.ts (float64 pooled scores; ties to the lower key block), the lsh buckets
// against src/reference/lsh.ts.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SORTED_PAD, summaryReference, type SummaryStep } from '../../codegen/lower/runtimeSummaries.ts';
import { Rng } from '../../src/reference/inputs.ts';
import { lshBuckets, lshRotation } from '../../src/reference/lsh.ts';
import { topkBlocksTable } from '../../src/reference/topk.ts';
import { toHalfBits } from '../../src/webgpu/f16.ts';
import { hasCompiler } from './hostHarness.ts';

const HEADER = resolve(import.meta.dirname, '../../codegen/cuda/runtime/attnc_runtime_helpers.cuh');
const EMU = resolve(import.meta.dirname, 'cudaEmu.hpp');
const haveGpp = hasCompiler('g++');

/** The header with its CUDA qualifiers rewritten for the host emulation. */
function hostHeader(): string {
  return readFileSync(HEADER, 'utf8')
    .replace(/#include <cuda_(bf16|fp16)\.h>\n/g, '')
    .replace(/extern __shared__ __align__\(16\) unsigned char helper_smem\[\];/g, 'unsigned char* helper_smem = emu::dynamic_smem;')
    .replace(/__shared__/g, 'static')
    .replace(/__device__ __forceinline__/g, 'inline')
    .replace(/__global__ /g, '')
    .replace(/__launch_bounds__\([^)]*\)/g, '')
    .replace(/__align__\(16\)/g, 'alignas(16)');
}

const run = promisify(execFile);

/** Builds and runs a host program (asynchronously: the emulated launches take seconds). */
async function runProgram(main: string): Promise<Map<string, number[]>> {
  const dir = mkdtempSync(join(tmpdir(), 'attnc-helpers-'));
  writeFileSync(join(dir, 'attnc_runtime_helpers_host.hpp'), hostHeader());
  writeFileSync(join(dir, 'main.cpp'), `#include "${EMU}"\n#include "attnc_runtime_helpers_host.hpp"\n#include <cstdio>\n${main}`);
  await run('g++', ['-std=c++20', '-O1', '-pthread', '-fmax-errors=5', join(dir, 'main.cpp'), '-o', join(dir, 'main')], { cwd: dir });
  const out = (await run(join(dir, 'main'), [], { maxBuffer: 1 << 26 })).stdout;
  const lines = new Map<string, number[]>();
  for (const line of out.trim().split('\n')) {
    const [name, ...values] = line.trim().split(/\s+/);
    lines.set(name!, values.map(Number));
  }
  return lines;
}

const cArray = (type: string, name: string, values: ArrayLike<number>) => `static ${type} ${name}[] = {${Array.from(values).join(',')}};`;
const printArray = (name: string, n: number) => `printf("${name}"); for (int i = 0; i < ${n}; ++i) printf(" %d", ${name}[i]); printf("\\n");`;

interface StepSpec { kind: 'tile_minmax' | 'sorted_list'; rows: number; n: number; tile: number; src: Int32Array }

const step = (s: StepSpec) => ({ kind: s.kind, rows: s.rows, n: s.n, tile: s.tile, tiles: Math.ceil(s.n / s.tile) }) as unknown as SummaryStep;

describe.skipIf(!haveGpp)('attnc_runtime_helpers.cuh on the host (CUDA threads emulated)', () => {
  it('attnc_runtime_summaries: tile min / max and sorted lists, several steps in one launch', async () => {
    const rng = new Rng(7);
    const ints = (n: number, lo: number, hi: number) => Int32Array.from({ length: n }, () => rng.int(lo, hi));
    const extremes = ints(3 * 1000, -50, 50);
    extremes[5] = 2147483647; extremes[1999] = -2147483648; extremes[999] = -2147483648;
    const specs: StepSpec[] = [
      { kind: 'tile_minmax', rows: 3, n: 1000, tile: 128, src: extremes },           // ragged last tile
      { kind: 'sorted_list', rows: 4, n: 37, tile: 1, src: ints(4 * 37, -3, 20) },   // duplicates, padding
      { kind: 'tile_minmax', rows: 2, n: 64, tile: 128, src: ints(2 * 64, -9, 9) },  // one tile shorter than `tile`
      { kind: 'sorted_list', rows: 2, n: 1000, tile: 1, src: ints(2 * 1000, -100, 5000) },  // several keys per thread
      { kind: 'sorted_list', rows: 1, n: 6096, tile: 1, src: ints(6096, -1, 3000) },
      { kind: 'sorted_list', rows: 1, n: 1, tile: 1, src: Int32Array.of(-5) },
    ];
    let blocks = 0;
    const setup = specs.map((s, i) => {
      const first = blocks;
      const tiles = Math.ceil(s.n / s.tile);
      blocks += s.kind === 'tile_minmax' ? Math.ceil((s.rows * tiles) / 8) : s.rows;
      const outLen = s.kind === 'tile_minmax' ? s.rows * tiles * 2 : s.rows * s.n;
      return [
        cArray('int', `src${i}`, s.src), `static int dst${i}[${outLen}];`,
        `  p.steps[${i}] = {src${i}, dst${i}, ${s.kind === 'tile_minmax' ? 0 : 1}, ${s.rows}, ${s.n}, ${s.tile}, ${tiles}, ${first}};`,
        printArray(`dst${i}`, outLen),
      ];
    });
    const out = await runProgram(`
${setup.map((x) => x[0] + '\n' + x[1]).join('\n')}
int main() {
  attnc::helpers::SummaryParams p{};
  p.num_steps = ${specs.length};
${setup.map((x) => x[2]).join('\n')}
  emu::launch(${blocks}, 256, [&] { attnc_runtime_summaries(p); });
${setup.map((x) => '  ' + x[3]).join('\n')}
}
`);
    specs.forEach((s, i) => {
      expect(out.get(`dst${i}`), `${s.kind} step ${i}`).toEqual(Array.from(summaryReference(step(s), s.src, 1)));
    });
  }, 120_000);

  it('attnc_lsh_buckets: the first maximum of [xR, -xR] per row, strided rows, D = 64 and 128', async () => {
    for (const [D, buckets, heads, N] of [[64, 16, 2, 77], [128, 8, 3, 40]] as const) {
      const rng = new Rng(D + buckets);
      const B = 2;
      // bf16 values, logical [b][h][n][d], stored [b][n][h][d]
      const values = new Float64Array(B * heads * N * D);
      const bits = new Uint16Array(values.length);
      for (let b = 0; b < B; b++) for (let h = 0; h < heads; h++) for (let n = 0; n < N; n++) for (let d = 0; d < D; d++) {
        const f = new Float32Array([rng.normal()]);
        const top = new Uint32Array(f.buffer)[0]! >>> 16;
        values[((b * heads + h) * N + n) * D + d] = new Float32Array(new Uint32Array([top << 16]).buffer)[0]!;
        bits[((b * N + n) * heads + h) * D + d] = top;
      }
      const rotation = Float32Array.from(lshRotation(5, D, buckets));
      const rows = B * heads * N;
      const out = await runProgram(`
${cArray('uint16_t', 'x_bits', bits)}
${cArray('float', 'rotation', rotation)}
static int buckets[${rows}];
int main() {
  attnc::helpers::LshParams p{};
  p.x = x_bits; p.x_sb = ${N * heads * D}; p.x_sh = ${D}; p.x_sn = ${heads * D};
  p.rotation = rotation; p.out = buckets;
  p.B = ${B}; p.heads = ${heads}; p.N = ${N}; p.D = ${D}; p.half = ${buckets / 2};
  emu::launch(${Math.ceil(rows / 8)}, 256, [&] { attnc_lsh_buckets_bf16(p); });
  ${printArray('buckets', rows)}
}
`);
      expect(out.get('buckets'), `D=${D} buckets=${buckets}`).toEqual(Array.from(lshBuckets(values, rows, D, buckets, 5)));
    }
  }, 120_000);

  interface TopkCase {
    label: string; B: number; H: number; Hkv: number; Nq: number; Nk: number; D: number; block: number; topk: number; causal: boolean;
    dtype: 'bf16' | 'fp16'; layout: 'bhnd' | 'bnhd'; keys?: 'random' | 'zero' | 'repeated';
    /** Query blocks per select CTA (the last CTA of a head may get fewer). */
    rows: number;
  }
  const cases: TopkCase[] = [
    { label: 'causal, GQA, Nq != Nk, repeated key blocks (exact ties)', B: 2, H: 4, Hkv: 2, Nq: 300, Nk: 450, D: 64, block: 64, topk: 3, causal: true, dtype: 'bf16', layout: 'bhnd', keys: 'repeated', rows: 4 },
    { label: 'causal, k above the candidates (-1 padding), D = 128', B: 1, H: 2, Hkv: 2, Nq: 500, Nk: 500, D: 128, block: 32, topk: 20, causal: true, dtype: 'bf16', layout: 'bhnd', rows: 1 },
    { label: 'not causal, fp16, [B, N, H, D] strides, MQA', B: 1, H: 3, Hkv: 1, Nq: 700, Nk: 700, D: 64, block: 64, topk: 5, causal: false, dtype: 'fp16', layout: 'bnhd', rows: 3 },
    { label: 'zero keys: every score zero, the lowest blocks win', B: 1, H: 2, Hkv: 1, Nq: 256, Nk: 640, D: 64, block: 64, topk: 4, causal: false, dtype: 'bf16', layout: 'bhnd', keys: 'zero', rows: 4 },
  ];

  for (const c of cases) {
    it(`attnc_topk_pool_k + attnc_topk_select: ${c.label}, ${c.rows} query block(s) per CTA`, async () => {
      const rng = new Rng(c.Nq * 31 + c.topk);
      const nqb = Math.ceil(c.Nq / c.block), nkb = Math.ceil(c.Nk / c.block);
      // values exactly representable in the storage type; logical [b][h][n][d] order
      const round = (x: number): { bits: number; value: number } => {
        if (c.dtype === 'bf16') {
          const f = new Float32Array([x]);
          const bits = new Uint32Array(f.buffer)[0]! >>> 16;
          const back = new Float32Array(new Uint32Array([bits << 16]).buffer)[0]!;
          return { bits, value: back };
        }
        const h = toHalfBits(x);
        const sign = h & 0x8000 ? -1 : 1, e = (h >>> 10) & 0x1f, m = h & 0x3ff;
        return { bits: h, value: e === 0 ? sign * m * 2 ** -24 : sign * (1 + m / 1024) * 2 ** (e - 15) };
      };
      const tensor = (heads: number, N: number, fill: (b: number, h: number, n: number, d: number) => number) => {
        const values = new Float64Array(c.B * heads * N * c.D);
        const bits = new Uint16Array(values.length);
        const at = (b: number, h: number, n: number, d: number) => (c.layout === 'bhnd' ? ((b * heads + h) * N + n) * c.D + d : ((b * N + n) * heads + h) * c.D + d);
        for (let b = 0; b < c.B; b++) for (let h = 0; h < heads; h++) for (let n = 0; n < N; n++) for (let d = 0; d < c.D; d++) {
          const r = round(fill(b, h, n, d));
          values[((b * heads + h) * N + n) * c.D + d] = r.value;
          bits[at(b, h, n, d)] = r.bits;
        }
        const strides = c.layout === 'bhnd' ? [heads * N * c.D, N * c.D, c.D] : [N * heads * c.D, c.D, heads * c.D];
        return { values, bits, strides };
      };
      const q = tensor(c.H, c.Nq, () => rng.normal());
      const kRandom = Array.from({ length: c.B * c.Hkv * c.Nk * c.D }, () => rng.normal());
      const k = tensor(c.Hkv, c.Nk, (b, h, n, d) => {
        if (c.keys === 'zero') return 0;
        // repeated: key block 2 holds the rows of key block 0 (equal pooled means, equal scores)
        const src = c.keys === 'repeated' && Math.floor(n / c.block) === 2 ? n - 2 * c.block : n;
        return kRandom[((b * c.Hkv + h) * c.Nk + src) * c.D + d]!;
      });
      const outLen = c.B * c.H * nqb * c.topk;
      const smem = c.rows * (8 * 2 ** Math.ceil(Math.log2(nkb)) + 4 * 2 ** Math.ceil(Math.log2(c.topk)));
      expect(smem).toBeLessThan(512 * 1024);
      const out = await runProgram(`
${cArray('uint16_t', 'q_bits', q.bits)}
${cArray('uint16_t', 'k_bits', k.bits)}
static float pooled[${c.B * c.Hkv * nkb * c.D}];
static int out[${outLen}];
static int sorted_out[${outLen}];
int main() {
  attnc::helpers::TopkParams p{};
  p.q = q_bits; p.k = k_bits;
  p.q_sb = ${q.strides[0]}; p.q_sh = ${q.strides[1]}; p.q_sn = ${q.strides[2]};
  p.k_sb = ${k.strides[0]}; p.k_sh = ${k.strides[1]}; p.k_sn = ${k.strides[2]};
  p.pooled_k = pooled; p.out = out; p.sorted_out = sorted_out;
  p.B = ${c.B}; p.H = ${c.H}; p.Hkv = ${c.Hkv}; p.Nq = ${c.Nq}; p.Nk = ${c.Nk}; p.D = ${c.D};
  p.block = ${c.block}; p.topk = ${c.topk}; p.causal = ${c.causal ? 1 : 0}; p.q_blocks = ${nqb}; p.k_blocks = ${nkb};
  p.out_bstride = ${c.H * nqb * c.topk}; p.sorted_bstride = ${c.H * nqb * c.topk}; p.rows_per_cta = ${c.rows};
  emu::launch(${c.B * c.Hkv * nkb}, 256, [&] { attnc_topk_pool_k_${c.dtype}(p); });
  emu::launch(${c.B * c.H * Math.ceil(nqb / c.rows)}, 256, [&] { attnc_topk_select_${c.dtype}(p); });
  ${printArray('out', outLen)}
  ${printArray('sorted_out', outLen)}
}
`);
      const got = out.get('out')!, sorted = out.get('sorted_out')!;
      for (let b = 0; b < c.B; b++) {
        for (let h = 0; h < c.H; h++) {
          const hk = Math.floor(h / (c.H / c.Hkv));
          const table = topkBlocksTable({
            q: q.values, qOffset: (b * c.H + h) * c.Nq * c.D, k: k.values, kOffset: (b * c.Hkv + hk) * c.Nk * c.D,
            Nq: c.Nq, Nk: c.Nk, D: c.D, topk: c.topk, block: c.block, causal: c.causal,
          });
          for (let qb = 0; qb < nqb; qb++) {
            const want: number[] = [];
            for (let kb = 0; kb < nkb; kb++) if (table[qb * nkb + kb]) want.push(kb);
            const base = ((b * c.H + h) * nqb + qb) * c.topk;
            const row = got.slice(base, base + c.topk);
            const where = `b=${b} h=${h} qb=${qb}`;
            expect(row.slice(want.length).every((x) => x === -1), `${where}: padding of ${row}`).toBe(true);
            expect([...row.slice(0, want.length)].sort((x, y) => x - y), where).toEqual(want);
            expect(sorted.slice(base, base + c.topk), `${where}: sorted`).toEqual([...want, ...new Array(c.topk - want.length).fill(SORTED_PAD)]);
          }
        }
      }
    }, 120_000);
  }
});
