// The runtime tile classifier (codegen/lower/runtimeClassify.ts), executed by the lowered-IR
// evaluator, is sound against the element-wise mask hook on the same buffers: never FULL with a
// masked in-range element, never EMPTY with an allowed one; for random runtime inputs (documents,
// keep flags, buckets, index lists, top-k rows with padding and duplicates), ragged sizes and
// several tile shapes. The built schedule (envelope walk + classifier) then covers exactly the
// allowed tiles' needs, and for documents and top-k it visits fewer tiles than the envelope.
// The C++ spelling of the builder's functions (what the CUDA header prints), compiled with g++,
// builds the same rows as the IR evaluator. The backward's transposed builder (transposed
// envelope walk + the same classifier) builds exactly the transpose of the forward schedule,
// and the backward hooks read it back (IR evaluator and g++).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scheduleFromAnalysis } from '../../codegen/lower/fromAnalysis.ts';
import { callFunction } from '../../codegen/lower/eval.ts';
import { lowerPattern, type LoweredPattern, type Tile } from '../../codegen/lower/pattern.ts';
import { TILE_EMPTY, TILE_FULL } from '../../codegen/lower/runtimeClassify.ts';
import { compileToIr } from '../../src/api.ts';
import type { IrProgram } from '../../src/ir/schema.ts';
import { nodeReadFile } from '../../src/node.ts';
import { Rng } from '../../src/reference/inputs.ts';
import { buildRows, buildTransposedRows, scheduleBuffer, staticBuffers, transposedScheduleBuffer, withSummaries, type Buffers } from '../../codegen/lower/runtimeHost.ts';
import { hasCompiler, hostSource, runHost } from './hostHarness.ts';
import { randomRuntime } from './runtimeData.ts';

const PATTERNS = resolve(import.meta.dirname, '../../patterns');
const RUNTIME = ['packed_documents', 'document_causal_sliding', 'sparsek', 'seer_attention', 'minference_vertical_slash', 'scfa_qk_drop', 'scfa_hash'];
const SETTINGS: Record<string, Record<string, number>> = {
  minference_vertical_slash: { vertical: 7, slash: 5 },
  sparsek: { kept_blocks: 2, window_size: 20 },
  seer_attention: { budget_blocks: 2 },
  document_causal_sliding: { window_size: 30 },
};
const TILES: Tile[] = [{ blockM: 16, blockN: 16 }, { blockM: 16, blockN: 8 }, { blockM: 32, blockN: 16 }, { blockM: 128, blockN: 64 }];

function irOf(pattern: string, N: number, H: number): IrProgram {
  const file = join(PATTERNS, `${pattern}.attn`);
  const { ir, diagnostics } = compileToIr(readFileSync(file, 'utf8'), { file, readFile: nodeReadFile, sizes: { Nq: N, Nk: N, H, Hkv: H }, set: SETTINGS[pattern] ?? {} });
  if (!ir) throw new Error(diagnostics.map((d) => d.message).join('; '));
  return ir;
}

function lowered(ir: IrProgram, tile: Tile): LoweredPattern {
  const a = scheduleFromAnalysis(ir, ir.sizes, tile);
  if (!a) throw new Error('no analysis');
  return lowerPattern(ir, { tile, schedule: a.schedule });
}

describe('runtime tile classifier', () => {
  for (const pattern of RUNTIME) {
    it(`${pattern}: sound against the element mask on random inputs and tiles`, () => {
      fc.assert(fc.property(
        fc.integer({ min: 20, max: 150 }), fc.integer({ min: 0, max: TILES.length - 1 }), fc.integer({ min: 0, max: 2 ** 30 }),
        (N, ti, seed) => {
          const tile = TILES[ti]!;
          const ir = irOf(pattern, N, 2);
          const p = lowered(ir, tile);
          expect(p.runtime, 'a runtime schedule').toBeDefined();
          const B = 2;
          const { data, bstride } = randomRuntime(ir, p, B, seed);
          const ctx = { params: Object.fromEntries(Object.entries(bstride).map(([k, v]) => [`${k}_bstride`, v])), buffers: data };
          const { Nq, Nk, H } = p.sizes;
          let classified = 0;
          for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) {
            for (let qt = 0; qt < p.numQueryTiles; qt++) for (let kt = 0; kt < p.numKeyTiles; kt++) {
              const cls = callFunction(p.runtime!.classify, { b, l: 0, h, qt, kt }, ctx).value as number;
              let allowed = 0, masked = 0;
              for (let q = qt * tile.blockM; q < Math.min(Nq, (qt + 1) * tile.blockM); q++) {
                for (let k = kt * tile.blockN; k < Math.min(Nk, (kt + 1) * tile.blockN); k++) {
                  if (callFunction(p.hooks.mask, { b, l: 0, h, q, k }, ctx).value) allowed++; else masked++;
                }
              }
              const where = `b ${b} h ${h} tile (${qt}, ${kt}) of ${tile.blockM}x${tile.blockN}, N ${N}, seed ${seed}`;
              if (cls === TILE_EMPTY) expect(allowed, `EMPTY with allowed elements: ${where}`).toBe(0);
              if (cls === TILE_FULL) expect(masked, `FULL with masked elements: ${where}`).toBe(0);
              if (cls !== 2 || allowed * masked > 0) classified++;
            }
          }
          expect(classified).toBeGreaterThan(0);
        },
      ), { numRuns: 6 });
    }, 120_000);
  }

  it('sound when int32 arithmetic on runtime values wraps around (extreme input values)', () => {
    const source = [
      'sizes Nq = 90, Nk = Nq, H = 2, Hkv = 2, L = 1',
      'input x: int[Nk]',
      'input y: int[H, 8]',
      'mask = causal and (x[q] + x[k] >= 0 or (x[k] - q) in y[h] or abs(x[q]) * 3 < 1000 or -x[k] > 5)',
    ].join('\n');
    const ir = compileToIr(source, { file: 'extreme.attn' }).ir!;
    fc.assert(fc.property(fc.integer({ min: 0, max: TILES.length - 1 }), fc.integer({ min: 0, max: 2 ** 30 }), (ti, seed) => {
      const tile = TILES[ti]!;
      const p = lowered(ir, tile);
      expect(p.runtime, 'a runtime schedule').toBeDefined();
      const rng = new Rng(seed);
      const extreme = () => (rng.next() < 0.5 ? rng.int(-2147483648, 2147483647) : rng.int(-50, 50));
      const data: Buffers = staticBuffers(p);
      const bstride: Record<string, number> = {};
      for (const b of p.buffers) {
        if (b.source.kind !== 'input') continue;
        data[b.name] = Int32Array.from({ length: b.length }, () => (b.source.kind === 'input' && b.source.userName === 'y' ? rng.int(-5, 100) : extreme()));
        bstride[b.name] = 0;
      }
      const s = withSummaries(p, data, bstride, 1);
      const ctx = { params: Object.fromEntries(Object.entries(s.bstride).map(([k, v]) => [`${k}_bstride`, v])), buffers: s.data };
      for (let h = 0; h < 2; h++) for (let qt = 0; qt < p.numQueryTiles; qt++) for (let kt = 0; kt < p.numKeyTiles; kt++) {
        const cls = callFunction(p.runtime!.classify, { b: 0, l: 0, h, qt, kt }, ctx).value as number;
        let allowed = 0, masked = 0;
        for (let q = qt * tile.blockM; q < Math.min(90, (qt + 1) * tile.blockM); q++) {
          for (let k = kt * tile.blockN; k < Math.min(90, (kt + 1) * tile.blockN); k++) {
            if (callFunction(p.hooks.mask, { b: 0, l: 0, h, q, k }, ctx).value) allowed++; else masked++;
          }
        }
        if (cls === TILE_EMPTY) expect(allowed, `EMPTY: h ${h} (${qt}, ${kt}) seed ${seed}`).toBe(0);
        if (cls === TILE_FULL) expect(masked, `FULL: h ${h} (${qt}, ${kt}) seed ${seed}`).toBe(0);
      }
    }), { numRuns: 8 });
  }, 120_000);

  it('the built schedule covers every allowed tile, FULL only where all allowed; documents and top-k beat the envelope', () => {
    const savings: Record<string, { built: number; envelope: number }> = {};
    for (const pattern of RUNTIME) {
      const tile = { blockM: 16, blockN: 16 };
      const ir = irOf(pattern, 203, 2);
      const p = lowered(ir, tile);
      const B = 2;
      const { data, bstride } = randomRuntime(ir, p, B, 12345);
      const rows = buildRows(p, data, bstride, B, 0);
      const ctx = { params: Object.fromEntries(Object.entries(bstride).map(([k, v]) => [`${k}_bstride`, v])), buffers: data };
      let built = 0, envelope = 0;
      for (let b = 0; b < B; b++) for (let h = 0; h < p.sizes.H; h++) for (let qt = 0; qt < p.numQueryTiles; qt++) {
        const row = rows[b]![h]![qt]!;
        built += row.length;
        envelope += callFunction(p.runtime!.envNumKeyTiles, { b, l: 0, h, qt }, ctx).value as number;
        for (let kt = 0; kt < p.numKeyTiles; kt++) {
          let allowed = 0, masked = 0;
          for (let q = qt * 16; q < Math.min(203, qt * 16 + 16); q++) for (let k = kt * 16; k < Math.min(203, kt * 16 + 16); k++) {
            if (callFunction(p.hooks.mask, { b, l: 0, h, q, k }, ctx).value) allowed++; else masked++;
          }
          const e = row.find((x) => x.kt === kt);
          if (allowed) expect(e, `${pattern}: tile (${qt}, ${kt}) has allowed keys but is not visited`).toBeDefined();
          if (e?.full) expect(masked, `${pattern}: FULL tile (${qt}, ${kt}) has masked keys`).toBe(0);
        }
      }
      savings[pattern] = { built, envelope };
    }
    for (const pattern of ['packed_documents', 'document_causal_sliding', 'sparsek', 'seer_attention', 'minference_vertical_slash']) {
      expect(savings[pattern]!.built, `${pattern}: ${JSON.stringify(savings[pattern])}`).toBeLessThan(savings[pattern]!.envelope);
    }
  }, 120_000);

  it('the transposed builder (backward) lists exactly the transpose of the forward schedule, read back by the backward hooks', () => {
    fc.assert(fc.property(
      fc.constantFrom(...RUNTIME), fc.integer({ min: 20, max: 300 }), fc.integer({ min: 0, max: TILES.length - 1 }), fc.integer({ min: 0, max: 2 ** 30 }),
      (pattern, N, ti, seed) => {
        const tile = TILES[ti]!;
        const ir = irOf(pattern, N, 2);
        const p = lowered(ir, tile);
        const bt = p.backward().runtime!;
        expect(bt, `${pattern}: a transposed runtime schedule`).toBeDefined();
        const B = 2;
        const { data, bstride } = randomRuntime(ir, p, B, seed);
        const fwd = buildRows(p, data, bstride, B, 0);
        const back = buildTransposedRows(p, data, bstride, B, 0);
        // through the hooks: num_key_tiles / key_tile over sched_rt, num_query_tiles / query_tile over sched_t_rt
        const rt = p.runtime!;
        const buffers = { ...data, [rt.schedule.name]: scheduleBuffer(p, fwd), [bt.buffer.name]: transposedScheduleBuffer(p, back) };
        const strides = { ...bstride, [rt.schedule.name]: rt.schedule.length, [bt.buffer.name]: bt.buffer.length };
        const ctx = { params: Object.fromEntries(Object.entries(strides).map(([k, v]) => [`${k}_bstride`, v])), buffers };
        const hooks = p.backward().hooks!;
        for (let b = 0; b < B; b++) for (let h = 0; h < 2; h++) {
          const forward = new Map<string, boolean>(), transposed = new Map<string, boolean>();
          for (let qt = 0; qt < p.numQueryTiles; qt++) {
            const n = callFunction(p.hooks.numKeyTiles, { b, l: 0, h, qt }, ctx).value as number;
            expect(n).toBe(fwd[b]![h]![qt]!.length);
            for (let j = 0; j < n; j++) {
              const r = callFunction(p.hooks.keyTile, { b, l: 0, h, qt, j }, ctx);
              forward.set(`${qt},${r.value}`, r.outs.get('full') === true);
            }
          }
          for (let kt = 0; kt < p.numKeyTiles; kt++) {
            const n = callFunction(hooks.numQueryTiles, { b, l: 0, h, kt }, ctx).value as number;
            expect(n).toBeLessThanOrEqual(bt.maxTiles);
            for (let j = 0; j < n; j++) {
              const r = callFunction(hooks.queryTile, { b, l: 0, h, kt, j }, ctx);
              const key = `${r.value},${kt}`;
              expect(transposed.has(key), `${key} twice`).toBe(false);
              transposed.set(key, r.outs.get('full') === true);
            }
          }
          expect(transposed, `${pattern} N=${N} tile ${tile.blockM}x${tile.blockN} b=${b} h=${h}`).toEqual(forward);
        }
      },
    ), { numRuns: 40, seed: 11 });
  }, 240_000);

  it.skipIf(!hasCompiler('g++'))('the C++ transposed builder functions (g++) build the same rows as the IR evaluator', () => {
    for (const pattern of ['packed_documents', 'sparsek', 'scfa_qk_drop']) {
      const tile = { blockM: 128, blockN: 64 };
      const ir = irOf(pattern, 700, 2);
      const p = lowered(ir, tile);
      const B = 2;
      const { data, bstride } = randomRuntime(ir, p, B, 4242);
      const rt = p.runtime!, bt = p.backward().runtime!;
      const main = `int main() {
  const PatternParams P = make_params();
  for (int b = 0; b < ${B}; ++b) for (int h = 0; h < ${p.sizes.H}; ++h) for (int kt = 0; kt < ${p.numKeyTiles}; ++kt) {
    const int n = env_num_query_tiles(P, b, 0, h, kt);
    printf("%d", schedule_t_row(P, b, h, kt));
    for (int j = 0; j < n; ++j) {
      bool full = false;
      const int qt = env_query_tile(P, b, 0, h, kt, j, full);
      const int cls = full ? 1 : classify_tile(P, b, 0, h, qt, kt);
      if (cls != 0) printf(" %d", qt * 2 + (cls == 1 ? 1 : 0));
    }
    printf("\\n");
  }
  return 0;
}`;
      const buffers = [...p.buffers.filter((b) => b.name in data), bt.buffer];
      const strides = { ...bstride, [bt.buffer.name]: bt.buffer.length };
      const out = runHost(hostSource([bt.envNumQueryTiles, bt.envQueryTile, rt.classify, bt.scheduleRow], buffers, main, data, strides)).trim().split('\n');
      const rows = buildTransposedRows(p, data, bstride, B, 0);
      let line = 0;
      for (let b = 0; b < B; b++) for (let h = 0; h < p.sizes.H; h++) for (let kt = 0; kt < p.numKeyTiles; kt++) {
        const base = b * bt.buffer.length + (h * p.numKeyTiles + kt) * (1 + bt.maxTiles);
        const want = [base, ...rows[b]![h]![kt]!.map((e) => e.qt * 2 + (e.full ? 1 : 0))];
        expect(out[line++]!.split(' ').map(Number), `${pattern} b ${b} h ${h} kt ${kt}`).toEqual(want);
      }
    }
  }, 120_000);

  it.skipIf(!hasCompiler('g++'))('the C++ builder functions (g++) build the same rows as the IR evaluator', () => {
    for (const pattern of ['packed_documents', 'minference_vertical_slash', 'sparsek', 'scfa_hash']) {
      const tile = { blockM: 128, blockN: 64 };
      const ir = irOf(pattern, 700, 2);
      const p = lowered(ir, tile);
      const B = 2;
      const { data, bstride } = randomRuntime(ir, p, B, 777);
      const rt = p.runtime!;
      const main = `int main() {
  const PatternParams P = make_params();
  for (int b = 0; b < ${B}; ++b) for (int h = 0; h < ${p.sizes.H}; ++h) for (int qt = 0; qt < ${p.numQueryTiles}; ++qt) {
    const int n = env_num_key_tiles(P, b, 0, h, qt);
    printf("%d", schedule_row(P, b, h, qt));
    for (int j = 0; j < n; ++j) {
      bool full = false;
      const int kt = env_key_tile(P, b, 0, h, qt, j, full);
      const int cls = full ? 1 : classify_tile(P, b, 0, h, qt, kt);
      if (cls != 0) printf(" %d", kt * 2 + (cls == 1 ? 1 : 0));
    }
    printf("\\n");
  }
  return 0;
}`;
      const buffers = p.buffers.filter((b) => b.name in data || b === rt.schedule);
      const strides = { ...bstride, [rt.schedule.name]: rt.schedule.length };
      const out = runHost(hostSource([rt.envNumKeyTiles, rt.envKeyTile, rt.classify, rt.scheduleRow], buffers, main, data, strides)).trim().split('\n');
      const rows = buildRows(p, data, bstride, B, 0);
      let line = 0;
      for (let b = 0; b < B; b++) for (let h = 0; h < p.sizes.H; h++) for (let qt = 0; qt < p.numQueryTiles; qt++) {
        const base = b * rt.schedule.length + (h * p.numQueryTiles + qt) * (1 + rt.maxTiles);
        const want = [base, ...rows[b]![h]![qt]!.map((e) => e.kt * 2 + (e.full ? 1 : 0))];
        expect(out[line++]!.split(' ').map(Number), `${pattern} b ${b} h ${h} qt ${qt}`).toEqual(want);
      }
    }
  }, 120_000);
});
