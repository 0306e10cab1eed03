// The emitted mma.sync kernels (the portable path for GPUs without wgmma: attnc_fwd_sm80_* and
// the backward's pre / dK,dV / dQ entries) run under g++ with the CUDA thread model emulated
// (cudaEmu.hpp + cudaEmuMma.hpp: a thread per CUDA thread, ldmatrix and mma.sync m16n8k16 as
// exchanges within a warp), on random bf16 / fp16 inputs, against the float64 references:
// the whole kernels (schedule hooks and the transposed schedule, cp.async ring, online softmax,
// masks on PARTIAL tiles, score_mod and its derivative, epilogues) at both key-tile widths and
// head dims, ragged lengths, GQA and batch 2. Runtime patterns (packed documents, MInference
// index lists) run the emitted schedule builders too (attnc_schedule_build and, before the
// backward, attnc_schedule_build_t) on poisoned schedule buffers, whose result must equal the
// host builders' (codegen/lower/runtimeHost.ts) row for row. Outputs are poisoned (NaN)
// before the launch. The Hopper backward (wgmma, mbarriers, bulk reduce-adds) runs the same
// way with cudaEmuWgmma.hpp (the last describe block).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { compile } from '../../codegen/index.ts';
import { scheduleFromAnalysis } from '../../codegen/lower/fromAnalysis.ts';
import type { Tile } from '../../codegen/lower/pattern.ts';
import type { LaunchMetadata } from '../../codegen/metadata/schema.ts';
import { writeCompileResult } from '../../src/cli/commands/compile.ts';
import { compileToIr } from '../../src/api.ts';
import { nodeReadFile } from '../../src/node.ts';
import { attentionBackwardReference, attentionReference } from '../../src/reference/attention.ts';
import { exampleInputs, randomQkv } from '../../src/reference/inputs.ts';
import type { RuntimeInputs } from '../../src/reference/runtime.ts';
import type { IrProgram } from '../../src/ir/schema.ts';
import { lowerPattern } from '../../codegen/lower/pattern.ts';
import { buildRows, buildTransposedRows, scheduleBuffer, staticBuffers, transposedScheduleBuffer, withSummaries, type Buffers } from '../../codegen/lower/runtimeHost.ts';
import { hasCompiler } from './hostHarness.ts';

const PATTERNS = resolve(import.meta.dirname, '../../patterns');
const EMU = resolve(import.meta.dirname, 'cudaEmuMma.hpp');
const EMU90 = resolve(import.meta.dirname, 'cudaEmuWgmma.hpp');
const run = promisify(execFile);
// the compiler and the emulated kernels (a thread per CUDA thread) at the lowest priority, so
// that the test runner's own processes stay responsive on a small machine
const runLow = (cmd: string, args: string[], opts: Parameters<typeof run>[2]) => run('nice', ['-n', '19', cmd, ...args], opts);

interface Case {
  pattern: string; Nq: number; H: number; Hkv: number; B: number; D: 64 | 128; tile: Tile; dtype: 'bf16' | 'fp16'; L?: number; runtime?: boolean;
  /** build switches of the runtime headers (the variants bench/gpu/emitted/bwd_profile.py times) */
  defines?: string[];
  /** the pattern's source, when it is not a file of patterns/ */
  source?: string;
}
const T64: Tile = { blockM: 128, blockN: 64 }, T128: Tile = { blockM: 128, blockN: 128 };
const CASES: Case[] = [
  { pattern: 'causal', Nq: 200, H: 2, Hkv: 1, B: 1, D: 128, tile: T128, dtype: 'bf16' },
  { pattern: 'longformer', Nq: 300, H: 2, Hkv: 2, B: 1, D: 128, tile: T128, dtype: 'bf16' },
  { pattern: 'bigbird', Nq: 333, H: 2, Hkv: 1, B: 2, D: 64, tile: T64, dtype: 'fp16' },
  { pattern: 'moa', Nq: 260, H: 4, Hkv: 2, B: 1, D: 64, tile: T128, dtype: 'bf16', L: 2 },
  // two rules in the layer (dilated heads 0-1, windows 2-3): the rule dispatch once per CTA (mask_head)
  { pattern: 'dilated', Nq: 389, H: 4, Hkv: 2, B: 1, D: 128, tile: T128, dtype: 'bf16', L: 12 },
  // runtime schedules (built here by the host builders, as attnc_schedule_build would)
  { pattern: 'packed_documents', Nq: 300, H: 2, Hkv: 2, B: 2, D: 128, tile: T128, dtype: 'bf16', runtime: true },
  { pattern: 'minference_vertical_slash', Nq: 280, H: 2, Hkv: 1, B: 1, D: 64, tile: T64, dtype: 'fp16', runtime: true },
];

// round to the storage type (nearest even), as bits and as the value the kernel sees
function toBits(x: number, dtype: 'bf16' | 'fp16'): number {
  if (dtype === 'bf16') {
    const f = new Float32Array([x]);
    const u = new Uint32Array(f.buffer)[0]!;
    return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
  }
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0]!;
  const sign = (u >>> 16) & 0x8000;
  let exp = ((u >>> 23) & 0xff) - 127 + 15;
  let mant = u & 0x7fffff;
  if (exp <= 0) { // subnormal half
    mant = (mant | 0x800000) >>> (1 - exp);
    const r = (mant + 0xfff + ((mant >>> 13) & 1)) >>> 13;
    return sign | r;
  }
  const r = mant + 0xfff + ((mant >>> 13) & 1);
  if (r & 0x800000) { mant = 0; exp += 1; } else mant = r;
  return exp >= 31 ? sign | 0x7c00 : sign | (exp << 10) | (mant >>> 13);
}
function fromBits(b: number, dtype: 'bf16' | 'fp16'): number {
  if (dtype === 'bf16') return new Float32Array(new Uint32Array([b << 16]).buffer)[0]!;
  const exp = (b >>> 10) & 0x1f, mant = b & 0x3ff, sign = b & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/**
 * Host code that fills `pp` (PatternParams) from the metadata: static tables from their files;
 * runtime buffers (inputs, summaries, the runtime schedules) from `rt`, the host builders'
 * data, written beside them; batch strides from `rt` too.
 */
function patternFieldLoads(meta: LaunchMetadata, entry: string, dir: string, pattern: string, rt?: RuntimeData): string[] {
  const kernel = meta.kernels.find((k) => k.name === entry)!;
  const loads: string[] = [];
  for (const f of kernel.params.filter((p) => p.name.startsWith('pattern.'))) {
    const name = f.name.slice('pattern.'.length);
    const ctype = f.dtype === 'f32' ? 'float' : 'int';
    if (f.kind === 'tensor') {
      const table = meta.tables.find((t) => t.name === f.ref);
      let path: string;
      if (table) path = join(dir, table.file);
      else if (rt?.buffers[f.ref!]) {
        path = join(dir, `${f.ref}.bin`);
        // the runtime schedules are left to the emitted builder kernels: poisoned here
        const values = rt.deviceBuilt.includes(f.ref!) ? new Int32Array(rt.buffers[f.ref!]!.length).fill(-7) : rt.buffers[f.ref!]!;
        writeFileSync(path, Buffer.from((f.dtype === 'f32' ? Float32Array.from(values) : Int32Array.from(values)).buffer));
      } else throw new Error(`${pattern}: no data for field ${name}`);
      loads.push(`  static std::vector<${ctype}> ${name}_v = read_file<${ctype}>("${path}");`, `  pp.${name} = ${name}_v.data();`);
    } else {
      loads.push(`  pp.${name} = ${rt?.bstride[f.ref ?? ''] ?? 0};`);
    }
  }
  return loads;
}

/**
 * A runtime pattern's device-side data as the host builders compute it; `deviceBuilt`: the
 * runtime schedule buffers, which the emulated run builds with the emitted builder kernels
 * (attnc_schedule_build, attnc_schedule_build_t) and compares with these.
 */
interface RuntimeData { buffers: Buffers; bstride: Record<string, number>; inputs: RuntimeInputs; deviceBuilt: string[]; rowStride: Record<string, number> }

function runtimeData(ir: IrProgram, tile: Tile, schedule: ReturnType<typeof scheduleFromAnalysis>, B: number, layer: number, seed: number): RuntimeData {
  const p = lowerPattern(ir, { tile, schedule: schedule!.schedule });
  const inputs = exampleInputs(ir, ir.sizes, seed, B);
  let data: Buffers = staticBuffers(p);
  let bstride: Record<string, number> = {};
  for (const b of p.buffers) {
    if (b.source.kind !== 'input') continue;
    data[b.name] = inputs[b.source.userName]!;
    bstride[b.name] = b.length;
  }
  ({ data, bstride } = withSummaries(p, data, bstride, B));
  const rt = p.runtime!;
  data[rt.schedule.name] = scheduleBuffer(p, buildRows(p, data, bstride, B, layer));
  bstride[rt.schedule.name] = rt.schedule.length;
  const bt = p.backward().runtime;
  if (bt) {
    const withT: Buffers = { ...data };
    for (const b of p.backward().tables) if (b.source.kind === 'table') withT[b.name] = b.source.data;
    data[bt.buffer.name] = transposedScheduleBuffer(p, buildTransposedRows(p, withT, bstride, B, layer));
    bstride[bt.buffer.name] = bt.buffer.length;
  }
  const rowStride: Record<string, number> = { [rt.schedule.name]: 1 + rt.maxTiles, ...(bt ? { [bt.buffer.name]: 1 + bt.maxTiles } : {}) };
  return { buffers: data, bstride, inputs, deviceBuilt: [rt.schedule.name, ...(bt ? [bt.buffer.name] : [])], rowStride };
}

/** Host code: run the emitted schedule builder `kernel` over `rows` rows per (b, h), then dump its buffer. */
function buildSchedule(kernel: string, rowsConst: string, buffer: string, layer: number): string {
  return `  {
    attnc::ScheduleBuildParams sp{pp, B, H, ${layer}};
    emu::launch3({(unsigned)((B * H * attnc::${rowsConst} + attnc::SCHEDULE_BUILD_ROWS - 1) / attnc::SCHEDULE_BUILD_ROWS), 1, 1},
                 attnc::SCHEDULE_BUILD_THREADS, [&] { ${kernel}(sp); });
    std::FILE* f = std::fopen("built_${buffer}.bin", "wb");
    std::fwrite(${buffer}_v.data(), 4, ${buffer}_v.size(), f);
    std::fclose(f);
  }`;
}

/** The device-built schedule equals the host builder's: per row the count and the entries. */
function expectSameSchedule(dir: string, name: string, host: ArrayLike<number>, stride: number) {
  const raw = readFileSync(join(dir, `built_${name}.bin`));
  const built = new Int32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
  expect(built.length).toBe(host.length);
  let rows = 0;
  for (let base = 0; base + stride <= host.length; base += stride) {
    const n = host[base]!;
    expect(built[base], `${name} count at ${base}`).toBe(n);
    for (let i = 1; i <= n; i++) expect(built[base + i], `${name} entry at ${base + i}`).toBe(host[base + i]);
    rows++;
  }
  expect(rows).toBeGreaterThan(0);
}

const READ_FILE = `#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>
template <typename T> std::vector<T> read_file(const char* path) {
  std::ifstream f(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<T> out(bytes.size() / sizeof(T));
  std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
  return out;
}`;

function emulatedCase(c: Case) {
  const file = join(PATTERNS, `${c.pattern}.attn`);
  const sizes = { Nq: c.Nq, Nk: c.Nq, H: c.H, Hkv: c.Hkv, L: c.L ?? 1 };
  const { ir, diagnostics } = compileToIr(c.source ?? readFileSync(file, 'utf8'), { file, readFile: nodeReadFile, sizes });
  if (!ir) throw new Error(diagnostics.map((d) => d.message).join('; '));
  const analysed = scheduleFromAnalysis(ir, ir.sizes, c.tile)!;
  const result = compile(ir, { target: 'cuda', tile: c.tile, schedule: analysed.schedule, statistics: analysed.statistics });
  const dir = mkdtempSync(join(tmpdir(), 'attnc-sm80emu-'));
  writeCompileResult(result, dir);
  const meta = result.metadata as LaunchMetadata;
  const entry = `attnc_fwd_sm80_${c.dtype}_d${c.D}`;
  // inputs rounded to the storage type; the reference sees the rounded values
  const { B, H, Hkv, Nq, D } = { ...c, Nq: c.Nq };
  const raw = randomQkv(sizes, D, B, 1234 + c.Nq);
  const bits = (a: Float64Array) => Uint16Array.from(a, (x) => toBits(x, c.dtype));
  const qb = bits(raw.q), kb = bits(raw.k), vb = bits(raw.v);
  for (const [n, a] of [['q', qb], ['k', kb], ['v', vb]] as const) writeFileSync(join(dir, `${n}.u16`), Buffer.from(a.buffer));
  const rt = c.runtime ? runtimeData(ir, c.tile, analysed, B, (c.L ?? 1) - 1, 99 + c.Nq) : undefined;
  const loads = patternFieldLoads(meta, entry, dir, c.pattern, rt);
  const main = `#include "${EMU}"
#define ATTNC_HOST_EMU "${EMU}"
#include "${ir.name}.cuh"
${rt ? '#include "attnc_schedule_build.cuh"' : ''}
${READ_FILE}
int main() {
  const int B = ${B}, H = ${H}, Hkv = ${Hkv}, N = ${Nq}, D = ${D};
  std::vector<uint16_t> q = read_file<uint16_t>("${join(dir, 'q.u16')}");
  std::vector<uint16_t> k = read_file<uint16_t>("${join(dir, 'k.u16')}");
  std::vector<uint16_t> v = read_file<uint16_t>("${join(dir, 'v.u16')}");
  std::vector<uint16_t> o((size_t)B * H * N * D, 0xffff);              // poison: NaN
  std::vector<float> lse((size_t)B * H * N, __builtin_nanf(""));
  attnc::FwdParams p{};
  attnc::FwdTensors& t = p.t;
  t.q = q.data(); t.k = k.data(); t.v = v.data(); t.o = o.data(); t.lse = lse.data();
  t.q_sb = (long long)H * N * D; t.q_sh = (long long)N * D; t.q_sn = D;
  t.k_sb = (long long)Hkv * N * D; t.k_sh = (long long)N * D; t.k_sn = D;
  t.v_sb = t.k_sb; t.v_sh = t.k_sh; t.v_sn = D;
  t.o_sb = t.q_sb; t.o_sh = t.q_sh; t.o_sn = D;
  t.B = B; t.H = H; t.Hkv = Hkv; t.Nq = N; t.Nk = N; t.layer = ${(c.L ?? 1) - 1};
  t.scale = 1.0f / std::sqrt((float)D); t.scale_log2 = t.scale * 1.4426950408889634f;
  attnc::PatternParams& pp = p.pattern;
  pp.Nq = N; pp.Nk = N; pp.H = H; pp.Hkv = Hkv; pp.L = ${c.L ?? 1};
${loads.join('\n')}
${rt ? buildSchedule('attnc_schedule_build', 'NUM_Q_TILES', rt.deviceBuilt[0]!, (c.L ?? 1) - 1) : ''}
  emu::launch3({(unsigned)((N + 127) / 128), (unsigned)H, (unsigned)B}, 256, [&] { ${entry}(p); });
  std::fwrite(o.data(), 2, o.size(), stdout);
  std::fwrite(lse.data(), 4, lse.size(), stdout);
  return 0;
}
`;
  writeFileSync(join(dir, 'main.cpp'), main);
  const ref = attentionReference({
    q: Float64Array.from(qb, (b) => fromBits(b, c.dtype)), k: Float64Array.from(kb, (b) => fromBits(b, c.dtype)),
    v: Float64Array.from(vb, (b) => fromBits(b, c.dtype)), B, H, Hkv, Nq, Nk: Nq, D, ir, layer: (c.L ?? 1) - 1, inputs: rt?.inputs,
  });
  return { dir, ref, B, H, Nq, D, ir, meta, qb, kb, vb, sizes, rt };
}

describe.skipIf(!hasCompiler('g++'))('the mma.sync forward kernel under host emulation (g++) vs float64', () => {
  for (const c of CASES) {
    it(`${c.pattern} N=${c.Nq} H=${c.H}/${c.Hkv} B=${c.B} D=${c.D} ${c.dtype} tile ${c.tile.blockM}x${c.tile.blockN}`, async () => {
      const emulated = emulatedCase(c);
      const { dir, ref, B, H, Nq, D } = emulated;
      await runLow('g++', ['-std=c++20', '-O2', '-pthread', '-w', '-fmax-errors=5', `-I${dir}`, `-I${join(dir, 'runtime')}`,
        join(dir, 'main.cpp'), '-o', join(dir, 'main')], { maxBuffer: 1 << 24 });
      const { stdout } = await runLow(join(dir, 'main'), [], { encoding: 'buffer', maxBuffer: 1 << 28, cwd: dir });
      const rt = emulated.rt;
      if (rt) expectSameSchedule(dir, rt.deviceBuilt[0]!, rt.buffers[rt.deviceBuilt[0]!]!, rt.rowStride[rt.deviceBuilt[0]!]!);
      const buf = stdout as unknown as Buffer;
      const n = B * H * Nq * D;
      const o = new Uint16Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + 2 * n));
      const lse = new Float32Array(buf.buffer.slice(buf.byteOffset + 2 * n, buf.byteOffset + 2 * n + 4 * B * H * Nq));
      let maxErr = 0, maxRef = 0, nan = 0;
      for (let i = 0; i < n; i++) {
        const x = fromBits(o[i]!, c.dtype);
        if (Number.isNaN(x)) nan++;
        maxErr = Math.max(maxErr, Math.abs(x - ref.out[i]!));
        maxRef = Math.max(maxRef, Math.abs(ref.out[i]!));
      }
      console.log(`${c.pattern}: max abs err ${maxErr.toExponential(2)} of max ${maxRef.toFixed(3)}, NaN ${nan}`);
      expect(nan, 'every output written, no NaN').toBe(0);
      expect(maxRef).toBeGreaterThan(0);
      expect(maxErr / maxRef, 'relative error of O').toBeLessThan(2e-2);
      let lseErr = 0, empty = 0;
      for (let i = 0; i < lse.length; i++) {
        if (ref.lse[i] === -Infinity) { empty++; expect(lse[i], `empty row ${i}: LSE -inf`).toBe(-Infinity); continue; }
        lseErr = Math.max(lseErr, Math.abs(lse[i]! - ref.lse[i]!));
      }
      expect(lseErr, 'LSE').toBeLessThan(1e-2);
      expect(empty).toBeLessThan(lse.length);
    }, 300_000);
  }
});

// The backward on the mma.sync path (ATTNC_BWD_FORCE_SM80: what a GPU without wgmma runs):
// pre (delta = rowsum(dO * O)), dK/dV per key tile over the transposed schedule, dQ per
// query tile, from the reference's O and LSE, against float64 gradients.
const BWD_CASES: Case[] = [
  { pattern: 'causal', Nq: 200, H: 2, Hkv: 1, B: 1, D: 128, tile: T128, dtype: 'bf16' },
  { pattern: 'bigbird', Nq: 333, H: 2, Hkv: 1, B: 2, D: 64, tile: T64, dtype: 'fp16' },
  { pattern: 'alibi_softcap', Nq: 150, H: 2, Hkv: 2, B: 1, D: 64, tile: T128, dtype: 'bf16' },
  { pattern: 'moa', Nq: 260, H: 4, Hkv: 2, B: 1, D: 64, tile: T128, dtype: 'bf16', L: 2 },
  { pattern: 'packed_documents', Nq: 300, H: 2, Hkv: 2, B: 2, D: 128, tile: T128, dtype: 'bf16', runtime: true },
];

function relErr(got: ArrayLike<number>, ref: Float64Array): { err: number; nan: number } {
  let maxErr = 0, maxRef = 0, nan = 0;
  for (let i = 0; i < ref.length; i++) {
    if (Number.isNaN(got[i]!)) nan++;
    maxErr = Math.max(maxErr, Math.abs(got[i]! - ref[i]!));
    maxRef = Math.max(maxRef, Math.abs(ref[i]!));
  }
  return { err: maxRef > 0 ? maxErr / maxRef : maxErr, nan };
}

// The Hopper backward (what an sm_90a build runs: wgmma, mbarrier stage ring, dQ through the fp32
// accumulator by bulk reduce-adds; dK/dV CTAs of 64 or 128 keys) with wgmma, mbarriers and bulk
// copies emulated (cudaEmuWgmma.hpp): every path of its dK/dV kernel -- two warpgroups sharing
// dQ (D = 128), a warpgroup's own dQ slices (D = 64), the score-modifier
// pass, the merged rows of a key-tile pair with warpgroups outside a query tile's row, row-form
// schedules, a runtime schedule, GQA, ragged lengths, batch 2.
// (At these lengths every row is short, so the emitter picks 64-key CTAs for 64-key schedules;
// the cases marked K128 build the 128-key CTAs that long sequences get.)
const K128 = ['ATTNC_BWD_CTA_KEYS=128'];
const BWD90_CASES: Case[] = [
  { pattern: 'causal', Nq: 200, H: 2, Hkv: 1, B: 1, D: 128, tile: T128, dtype: 'bf16', defines: K128 },
  { pattern: 'bigbird', Nq: 333, H: 2, Hkv: 1, B: 2, D: 128, tile: T64, dtype: 'fp16', defines: K128 },
  { pattern: 's2_attention', Nq: 460, H: 4, Hkv: 4, B: 1, D: 64, tile: T64, dtype: 'bf16', defines: K128 },
  { pattern: 'alibi_softcap', Nq: 150, H: 2, Hkv: 2, B: 1, D: 64, tile: T128, dtype: 'bf16', defines: K128 },
  { pattern: 'moa', Nq: 260, H: 4, Hkv: 2, B: 1, D: 128, tile: T128, dtype: 'bf16', L: 2, defines: K128 },
  { pattern: 'packed_documents', Nq: 300, H: 2, Hkv: 2, B: 2, D: 128, tile: T128, dtype: 'bf16', runtime: true },
  // the other builds: one-warpgroup CTAs per 64-key tile, and per half of a 128-key tile (dQ
  // staged in the item's Q/dO stage); two warpgroups on a 64-key schedule (key-tile pairs);
  // dQ issued before dK; the shared dQ tile staged at the end of its own item (not in the next)
  { pattern: 'bigbird', Nq: 333, H: 2, Hkv: 1, B: 2, D: 128, tile: T64, dtype: 'bf16', defines: ['ATTNC_BWD_CTA_KEYS=64'] },
  { pattern: 'causal', Nq: 200, H: 2, Hkv: 1, B: 1, D: 128, tile: T128, dtype: 'fp16', defines: ['ATTNC_BWD_CTA_KEYS=64'] },
  { pattern: 'sliding_window', Nq: 389, H: 2, Hkv: 2, B: 1, D: 64, tile: T128, dtype: 'bf16', defines: ['ATTNC_BWD_CTA_KEYS=64'] },
  { pattern: 'causal', Nq: 200, H: 2, Hkv: 1, B: 1, D: 128, tile: T128, dtype: 'fp16', defines: [...K128, 'ATTNC_BWD_DQ_FIRST=1'] },
  { pattern: 'moa', Nq: 260, H: 4, Hkv: 2, B: 1, D: 128, tile: T128, dtype: 'fp16', L: 2, defines: [...K128, 'ATTNC_BWD_DQ_LATE=0'] },
  // the instruction trims off (profiling variant untrimmed; on by default since run 24): Q/dO by
  // the generic copy loop, the row-past-Nq test on the LSE, the LSE converted per lane and item,
  // dK/dV stored after the last reduce-adds (ragged lengths, 128- and 64-key CTAs, with and
  // without a score modifier)
  { pattern: 'causal', Nq: 200, H: 2, Hkv: 1, B: 1, D: 128, tile: T128, dtype: 'bf16', defines: [...K128, 'ATTNC_BWD_PAIR_LOADS=0', 'ATTNC_BWD_LSE_NQ_TEST=1'] },
  { pattern: 'moa', Nq: 260, H: 4, Hkv: 2, B: 1, D: 128, tile: T128, dtype: 'bf16', L: 2, defines: [...K128, 'ATTNC_BWD_LSE2=0', 'ATTNC_BWD_PAIR_LOADS=0', 'ATTNC_BWD_LSE_NQ_TEST=1', 'ATTNC_BWD_STORE_FIRST=0'] },
  { pattern: 'alibi_softcap', Nq: 150, H: 2, Hkv: 2, B: 1, D: 64, tile: T128, dtype: 'bf16', defines: [...K128, 'ATTNC_BWD_LSE2=0', 'ATTNC_BWD_LSE_NQ_TEST=1'] },
  { pattern: 'bigbird', Nq: 333, H: 2, Hkv: 1, B: 2, D: 64, tile: T64, dtype: 'bf16', defines: ['ATTNC_BWD_CTA_KEYS=64', 'ATTNC_BWD_PAIR_LOADS=0', 'ATTNC_BWD_LSE_NQ_TEST=1'] },
  // dQ partials added by per-thread vector atomics instead of the bulk path (profiling variant
  // red2: slower, docs/performance.md run 25)
  { pattern: 'causal', Nq: 200, H: 2, Hkv: 1, B: 1, D: 128, tile: T128, dtype: 'bf16', defines: [...K128, 'ATTNC_BWD_DQ_BULK=0'] },
  // the mask after the exponentials and the next copies behind S^T and dP^T (run 25's build)
  { pattern: 'sliding_window', Nq: 389, H: 2, Hkv: 2, B: 1, D: 128, tile: T128, dtype: 'bf16', defines: [...K128, 'ATTNC_BWD_MASK_EARLY=0', 'ATTNC_BWD_PRODUCE_LATE=1'] },
  // key tiles no query attends to: CTAs with no item (only the end record), and a pair whose
  // second tile is empty (keys 40.. of the first 128)
  { pattern: 'sinks_only', Nq: 300, H: 2, Hkv: 1, B: 1, D: 128, tile: T64, dtype: 'bf16', defines: K128,
    source: 'sizes Nq = 512, Nk = Nq, H = 2, L = 1\nmask = causal and sinks(40)\n' },
  { pattern: 'sinks_only', Nq: 300, H: 2, Hkv: 2, B: 1, D: 64, tile: T128, dtype: 'bf16',
    source: 'sizes Nq = 512, Nk = Nq, H = 2, L = 1\nmask = causal and sinks(40)\n' },
  // a mask of several rules per layer (dilated heads 0-1 of layer 11, windows elsewhere): the
  // rule dispatch hoisted per item (mask_head / mask_in)
  { pattern: 'dilated', Nq: 389, H: 4, Hkv: 2, B: 1, D: 128, tile: T128, dtype: 'bf16', L: 12, defines: K128 },
  // heavy key blocks first (the emitter lists the sinks' block above; here two blocks of four,
  // two KV heads, batch 2: every (key block, head, batch) CTA exactly once)
  { pattern: 'sliding_window', Nq: 389, H: 4, Hkv: 2, B: 2, D: 64, tile: T128, dtype: 'bf16', defines: [...K128, 'ATTNC_BWD_HEAVY_BLOCKS=1,2'] },
];

for (const path of ['sm80', 'sm90'] as const) {
describe.skipIf(!hasCompiler('g++'))(path === 'sm80' ? 'the mma.sync backward kernels under host emulation (g++) vs float64'
  : 'the wgmma backward kernels (sm_90a) under host emulation (g++) vs float64', () => {
  for (const c of path === 'sm80' ? BWD_CASES : BWD90_CASES) {
    it(`${c.pattern} N=${c.Nq} H=${c.H}/${c.Hkv} B=${c.B} D=${c.D} ${c.dtype} tile ${c.tile.blockM}x${c.tile.blockN}${(c.defines ?? []).map((d) => ` ${d}`).join('')}`, async () => {
      const { dir, ref, B, H, Nq, D, ir, meta, qb, kb, vb, rt } = emulatedCase(c);
      const { Hkv } = c;
      const bits = (a: ArrayLike<number>) => Uint16Array.from(a, (x) => toBits(x, c.dtype));
      const ob = bits(ref.out);
      const dob = bits(randomQkv({ Nq, Nk: Nq, H, Hkv: H }, D, B, 77 + Nq).q);
      writeFileSync(join(dir, 'o.u16'), Buffer.from(ob.buffer));
      writeFileSync(join(dir, 'do.u16'), Buffer.from(dob.buffer));
      writeFileSync(join(dir, 'lse.f32'), Buffer.from(Float32Array.from(ref.lse).buffer));
      const sfx = `${c.dtype}_d${D}`;
      const loads = patternFieldLoads(meta, `attnc_bwd_dkdv_${sfx}`, dir, c.pattern, rt);
      const emu = path === 'sm80' ? EMU : EMU90;
      const main = `#include "${emu}"
#define ATTNC_HOST_EMU "${emu}"
${path === 'sm80' ? '#define ATTNC_BWD_FORCE_SM80 1' : ''}
${(c.defines ?? []).map((d) => `#define ${d.replace('=', ' ')}`).join('\n')}
#include "${ir.name}_bwd.cu"
${READ_FILE}
int main() {
  const int B = ${B}, H = ${H}, Hkv = ${Hkv}, N = ${Nq}, D = ${D};
  std::vector<uint16_t> q = read_file<uint16_t>("${join(dir, 'q.u16')}"), k = read_file<uint16_t>("${join(dir, 'k.u16')}"),
      v = read_file<uint16_t>("${join(dir, 'v.u16')}"), o = read_file<uint16_t>("${join(dir, 'o.u16')}"),
      dout = read_file<uint16_t>("${join(dir, 'do.u16')}");
  std::vector<float> lse = read_file<float>("${join(dir, 'lse.f32')}");
  std::vector<float> delta((size_t)2 * B * H * N, __builtin_nanf(""));
  std::vector<uint16_t> dq((size_t)B * H * N * D, 0xffff), dk((size_t)B * Hkv * N * D, 0xffff), dv(dk.size(), 0xffff);  // poison: NaN
  attnc::BwdParams p{};
  attnc::BwdTensors& t = p.t;
  t.q = q.data(); t.k = k.data(); t.v = v.data(); t.o = o.data(); t.dout = dout.data(); t.lse = lse.data();
  // sm_90a: the fp32 dQ accumulator (poisoned: pre zeroes it)
  std::vector<float> acc(${path === 'sm90' ? '(size_t)B * H * ((N + 127) / 128 * 128) * D' : '0'}, __builtin_nanf(""));
  t.delta = delta.data(); t.dq = dq.data(); t.dk = dk.data(); t.dv = dv.data(); t.dq_accum = acc.empty() ? nullptr : acc.data();
  const long long qs[3] = {(long long)H * N * D, (long long)N * D, D}, ks[3] = {(long long)Hkv * N * D, (long long)N * D, D};
  t.q_sb = qs[0]; t.q_sh = qs[1]; t.q_sn = qs[2]; t.o_sb = qs[0]; t.o_sh = qs[1]; t.o_sn = qs[2];
  t.do_sb = qs[0]; t.do_sh = qs[1]; t.do_sn = qs[2]; t.dq_sb = qs[0]; t.dq_sh = qs[1]; t.dq_sn = qs[2];
  t.k_sb = ks[0]; t.k_sh = ks[1]; t.k_sn = ks[2]; t.v_sb = ks[0]; t.v_sh = ks[1]; t.v_sn = ks[2];
  t.dk_sb = ks[0]; t.dk_sh = ks[1]; t.dk_sn = ks[2]; t.dv_sb = ks[0]; t.dv_sh = ks[1]; t.dv_sn = ks[2];
  t.B = B; t.H = H; t.Hkv = Hkv; t.Nq = N; t.Nk = N; t.layer = ${(c.L ?? 1) - 1};
  t.scale = 1.0f / std::sqrt((float)D); t.scale_log2 = t.scale * 1.4426950408889634f;
  attnc::PatternParams& pp = p.pattern;
  pp.Nq = N; pp.Nk = N; pp.H = H; pp.Hkv = Hkv; pp.L = ${c.L ?? 1};
${loads.join('\n')}
${rt ? [buildSchedule('attnc_schedule_build', 'NUM_Q_TILES', rt.deviceBuilt[0]!, (c.L ?? 1) - 1), buildSchedule('attnc_schedule_build_t', 'NUM_K_TILES', rt.deviceBuilt[1]!, (c.L ?? 1) - 1)].join('\n') : ''}
  const unsigned nb = (unsigned)B, pre_rows = attnc::BwdPreConfig<D, attnc::BLOCK_N>::ROWS;
  emu::launch3({(N + pre_rows - 1) / pre_rows, (unsigned)H, nb}, attnc_bwd_pre_${sfx}_threads, [&] { attnc_bwd_pre_${sfx}(p); });
  const unsigned ctas = (N + attnc_bwd_dkdv_keys - 1) / attnc_bwd_dkdv_keys;  // attnc_bwd_dkdv_keys keys per CTA
  emu::launch3({ctas, (unsigned)Hkv, nb}, attnc_bwd_dkdv_${sfx}_threads, [&] { attnc_bwd_dkdv_${sfx}(p); });
  emu::launch3({(unsigned)((N + 127) / 128), (unsigned)H, nb}, attnc_bwd_dq_${sfx}_threads, [&] { attnc_bwd_dq_${sfx}(p); });
  std::fwrite(dq.data(), 2, dq.size(), stdout);
  std::fwrite(dk.data(), 2, dk.size(), stdout);
  std::fwrite(dv.data(), 2, dv.size(), stdout);
  if (FILE* f = std::fopen("${join(dir, 'launch.txt')}", "w")) {  // what the launch metadata must say
    std::fprintf(f, "%d %d %d", attnc_bwd_dkdv_keys, attnc_bwd_dkdv_${sfx}_threads, attnc_bwd_dkdv_${sfx}_smem);
    std::fclose(f);
  }
  return 0;
}
`;
      writeFileSync(join(dir, 'bwd.cpp'), main);
      await runLow('g++', ['-std=c++20', '-O2', '-pthread', '-w', '-fmax-errors=5', `-I${dir}`, `-I${join(dir, 'runtime')}`,
        join(dir, 'bwd.cpp'), '-o', join(dir, 'bwd')], { maxBuffer: 1 << 24 });
      const { stdout } = await runLow(join(dir, 'bwd'), [], { encoding: 'buffer', maxBuffer: 1 << 28, cwd: dir });
      for (const name of rt?.deviceBuilt ?? []) expectSameSchedule(dir, name, rt!.buffers[name]!, rt!.rowStride[name]!);
      if (path === 'sm90' && !c.defines) {
        // the emitted dK/dV launch metadata (grid, block, shared memory) is the module's own
        const [keys, threads, smem] = readFileSync(join(dir, 'launch.txt'), 'utf8').split(' ').map(Number);
        const k = meta.kernels.find((e) => e.name === `attnc_bwd_dkdv_${sfx}`)!;
        expect({ grid: k.grid[0], block: k.block[0], smem: k.dynamicSmemBytes }).toEqual({ grid: `ceil(Nk / ${keys})`, block: threads, smem });
      }
      const buf = stdout as unknown as Buffer;
      const u16 = new Uint16Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
      const nq = B * H * Nq * D, nk = B * Hkv * Nq * D;
      const got = (from: number, n: number) => Float64Array.from(u16.subarray(from, from + n), (b) => fromBits(b, c.dtype));
      const f = (b: Uint16Array) => Float64Array.from(b, (x) => fromBits(x, c.dtype));
      const grads = attentionBackwardReference(
        { q: f(qb), k: f(kb), v: f(vb), B, H, Hkv, Nq, Nk: Nq, D, ir, layer: (c.L ?? 1) - 1, inputs: rt?.inputs },
        f(dob), { out: f(ob), lse: ref.lse },
      );
      for (const [name, g, r] of [['dq', got(0, nq), grads.dq], ['dk', got(nq, nk), grads.dk], ['dv', got(nq + nk, nk), grads.dv]] as const) {
        const { err, nan } = relErr(g, r);
        console.log(`${c.pattern} ${name}: relative error ${err.toExponential(2)}, NaN ${nan}`);
        expect(nan, `${name}: every element written, no NaN`).toBe(0);
        expect(err, `${name} relative error`).toBeLessThan(2e-2);
      }
    }, 300_000);
  }
});
}
