// The emitted schedule hooks (num_key_tiles / key_tile), compiled with g++ as host code,
// enumerate exactly the analysis' non-EMPTY tiles with its FULL flags, and are sound against the
// reference mask: every tile with an allowed element is visited, and every FULL tile is
// entirely allowed (in range). Closed-form classes (arithmetic, no table) and CSR classes, mixed
// in one pattern, at both CUDA tile shapes and at ragged sizes (N not a multiple of the tile)
// and Nq != Nk. Runtime patterns are checked through their static envelope with random inputs.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scheduleFromAnalysis } from '../../codegen/lower/fromAnalysis.ts';
import { lowerPattern, type Tile } from '../../codegen/lower/pattern.ts';
import { compileToIr } from '../../src/api.ts';
import type { IrProgram, Sizes } from '../../src/ir/schema.ts';
import { nodeReadFile } from '../../src/node.ts';
import { exampleInputs, randomQkv } from '../../src/reference/inputs.ts';
import { evalMask } from '../../src/reference/mask.ts';
import { tileRowHooks } from '../../codegen/cuda/header.ts';
import { cppSyntax } from '../../codegen/lower/print/cpp.ts';
import { hasCompiler, hostSource, runHost } from './hostHarness.ts';

const PATTERNS = resolve(import.meta.dirname, '../../patterns');
const TIMEOUT = 120_000;

interface Case {
  pattern: string; Nq: number; Nk?: number; H?: number; L?: number; tile: Tile; set?: Record<string, number>; closedForm?: 'all' | 'some' | 'none';
  /** Some class's closed form has segments of a row range only (odd first rows fitted as their own piece). */
  piecewise?: boolean;
}

const T64 = { blockM: 128, blockN: 64 }, T128 = { blockM: 128, blockN: 128 };
const CASES: Case[] = [];
const add = (c: Omit<Case, 'tile'>, tiles: Tile[] = [T64, T128]) => { for (const tile of tiles) CASES.push({ ...c, tile }); };
// closed form everywhere (1000 is ragged for both tile widths, 1024 is not)
for (const pattern of ['causal', 'sliding_window', 'streaming_llm', 'prefix_lm', 'alibi_softcap', 'document_causal_sliding', 'packed_documents', 'gqa']) {
  add({ pattern, Nq: 1000, closedForm: 'all' });
}
add({ pattern: 'causal', Nq: 1024, closedForm: 'all' });
add({ pattern: 'sliding_window', Nq: 2000, closedForm: 'all' });
add({ pattern: 'streaming_llm', Nq: 2000, closedForm: 'all' });
add({ pattern: 's2_attention', Nq: 1000, H: 8, closedForm: 'all' });
add({ pattern: 's2_hybrid', Nq: 1000, H: 8, L: 2, closedForm: 'all' });
add({ pattern: 'dilated', Nq: 1000, L: 8, closedForm: 'all' });
add({ pattern: 'moa', Nq: 1000 });
// piecewise closed forms: rows where the window meets the sinks, the prefix rows, global tokens
add({ pattern: 'streaming_llm', Nq: 3000, H: 1, closedForm: 'all', piecewise: true });
add({ pattern: 'prefix_lm', Nq: 2000, H: 1, closedForm: 'all', piecewise: true });
add({ pattern: 'longformer', Nq: 1000, closedForm: 'all', piecewise: true });
// Nq != Nk
add({ pattern: 'chunked_prefill', Nq: 1000, Nk: 1500, closedForm: 'all' });
add({ pattern: 'chunked_prefill', Nq: 300, Nk: 1100, closedForm: 'all' });
// closed-form and CSR classes in one pattern
add({ pattern: 's2_attention', Nq: 2000, H: 8, closedForm: 'some' }, [T64]);
add({ pattern: 's2_attention', Nq: 3000, H: 8, closedForm: 'some' }, [T128]);
add({ pattern: 'moa', Nq: 1500, H: 8, closedForm: 'all' });
// CSR
add({ pattern: 'bigbird', Nq: 1000, closedForm: 'none' }, [T64]);
add({ pattern: 'bigbird', Nq: 2000, H: 2, closedForm: 'none' }, [T128]);
add({ pattern: 's2_attention', Nq: 2000, H: 8 }, [T128]);
// runtime patterns: the static envelope
for (const pattern of ['sparsek', 'seer_attention', 'scfa_hash', 'minference_vertical_slash']) add({ pattern, Nq: 1000, H: 2 }, [T64]);

function irOf(c: Case): IrProgram {
  const file = join(PATTERNS, `${c.pattern}.attn`);
  const sizes: Partial<Sizes> = { Nq: c.Nq, Nk: c.Nk ?? c.Nq, H: c.H ?? 4, Hkv: c.H ?? 4, L: c.L ?? 1 };
  const { ir, diagnostics } = compileToIr(readFileSync(file, 'utf8'), { file, readFile: nodeReadFile, sizes, set: c.set ?? {} });
  if (!ir) throw new Error(diagnostics.map((d) => d.message).join('; '));
  return ir;
}

const caseName = (c: Case) => `${c.pattern} Nq=${c.Nq} Nk=${c.Nk ?? c.Nq}${c.H ? ` H=${c.H}` : ''}${c.L ? ` L=${c.L}` : ''} tile ${c.tile.blockM}x${c.tile.blockN}`;

/**
 * The schedule row form (header.ts tileRowHooks: one `<kind>_tile_row` per row, then
 * `<kind>_tile_at` per tile), or with useRow false the per-tile hooks, printed in the same
 * format, so that the two can be compared line by line; also checks count == the hook's count.
 */
function rowForm(p: ReturnType<typeof lowerPattern>, kind: 'key' | 'query', useRow = true): string[] {
  const bwd = kind === 'query' ? p.backward() : null;
  const row = useRow ? (kind === 'key' ? p.keyTileRow : bwd!.queryTileRow) : undefined;
  const [count, tileFn] = kind === 'key' ? [p.hooks.numKeyTiles, p.hooks.keyTile] : [bwd!.hooks!.numQueryTiles, bwd!.hooks!.queryTile];
  const rows = kind === 'key' ? p.numQueryTiles : p.numKeyTiles;
  const x = kind === 'key' ? 'qt' : 'kt';
  const syn = cppSyntax({ paramsVar: 'P', qualifiers: 'static inline', paramsDecl: 'const PatternParams& P' });
  const main = `#define __device__
#define __forceinline__ inline
${tileRowHooks(kind, row, syn)}
int main() {
  const PatternParams P = make_params();
  for (int l = 0; l < ${p.sizes.L}; ++l) for (int h = 0; h < ${p.sizes.H}; ++h) for (int ${x} = 0; ${x} < ${rows}; ++${x}) {
    const int n = ${count.name}(P, 0, l, h, ${x});
    ${row ? `const auto r = ${kind}_tile_row(P, 0, l, h, ${x}); if (r.count != n) printf("count mismatch ");` : ''}
    printf("%d %d %d", l, h, ${x});
    for (int j = 0; j < n; ++j) {
      bool full = false;
      const int t = ${row ? `${kind}_tile_at(P, r, j, full)` : `${tileFn.name}(P, 0, l, h, ${x}, j, full)`};
      printf(" %d%s", t, full ? "F" : "P");
    }
    printf("\\n");
  }
  return 0;
}`;
  return runHost(hostSource([count, tileFn], [...p.buffers, ...(bwd?.tables ?? [])], main)).trim().split('\n');
}

describe.skipIf(!hasCompiler('g++'))('emitted schedules (g++) vs analysis and reference', () => {
  for (const c of CASES) {
    it(caseName(c), () => {
      const ir = irOf(c);
      const { tile } = c;
      const analysed = scheduleFromAnalysis(ir, ir.sizes, tile);
      expect(analysed, 'analysis').toBeDefined();
      const a = analysed!;
      const closed = a.kinds.filter((k) => k.kind === 'closed_form').length;
      if (c.closedForm === 'all') expect(closed, 'every class closed form').toBe(a.kinds.length);
      if (c.closedForm === 'some') expect(closed > 0 && closed < a.kinds.length, 'mixed kinds').toBe(true);
      if (c.closedForm === 'none') expect(closed).toBe(0);
      if (c.piecewise) {
        const pieces = a.analysis.classes.map((k) => (k.schedule.kind === 'runtime' ? k.schedule.envelope : k.schedule))
          .filter((k) => k.kind === 'closed_form' && k.segments.some((g) => g.rows));
        expect(pieces.length, 'a piecewise closed form').toBeGreaterThan(0);
      }
      const p = lowerPattern(ir, { tile, schedule: a.schedule });
      // closed-form classes need no table: the table holds exactly the CSR classes' rows
      const table = p.buffers.find((b) => b.name === 'sched_csr');
      expect((table?.length ?? 0) * 4).toBe(a.scheduleBytes);
      const { L, H, Nq, Nk } = p.sizes;
      // runtime patterns: the static envelope the schedule builder narrows (the built schedule
      // is checked in runtimeClassify.test.ts and on lavapipe)
      const [count, tileFn] = p.runtime ? [p.runtime.envNumKeyTiles, p.runtime.envKeyTile] : [p.hooks.numKeyTiles, p.hooks.keyTile];
      const main = `int main() {
  const PatternParams P = make_params();
  for (int l = 0; l < ${L}; ++l) for (int h = 0; h < ${H}; ++h) for (int qt = 0; qt < ${p.numQueryTiles}; ++qt) {
    const int n = ${count.name}(P, 0, l, h, qt);
    printf("%d %d %d", l, h, qt);
    for (int j = 0; j < n; ++j) { bool full = false; const int kt = ${tileFn.name}(P, 0, l, h, qt, j, full); printf(" %d%s", kt, full ? "F" : "P"); }
    printf("\\n");
  }
  return 0;
}`;
      const out = runHost(hostSource([count, tileFn], p.buffers, main)).trim().split('\n');
      if (!p.runtime) {
        if (c.closedForm) expect(p.keyTileRow !== undefined, 'row form').toBe(c.closedForm === 'all' && new Set(p.schedule.classOf).size > 1);
        expect(rowForm(p, 'key'), 'key_tile_at over key_tile_row == key_tile').toEqual(out);
        if (p.backward().hooks) expect(rowForm(p, 'query'), 'query_tile_at over query_tile_row == query_tile').toEqual(rowForm(p, 'query', false));
      }
      const runtime = ir.inputs.length > 0 || a.kinds.some((k) => k.analysisKind === 'runtime');
      const ev = evalMask(ir, runtime ? { inputs: exampleInputs(ir, ir.sizes, 7), qk: { ...randomQkv(ir.sizes, 16, 1, 11), D: 16, B: 1 } } : {});
      let line = 0;
      for (let l = 0; l < L; l++) for (let h = 0; h < H; h++) {
        const map = a.maps[p.schedule.classOf[l * H + h]];
        const f = ev.element(l, h);
        for (let qt = 0; qt < p.numQueryTiles; qt++) {
          const [, , , ...tiles] = out[line++].split(' ');
          const visited = tiles.map((t) => Number(t.slice(0, -1)));
          expect(new Set(visited).size, `no tile twice l=${l} h=${h} qt=${qt}`).toBe(visited.length);
          const emitted = new Map(tiles.map((t) => [Number(t.slice(0, -1)), t.endsWith('F')]));
          const expected = new Map<number, boolean>();
          for (let i = map.rowPtr[qt]; i < map.rowPtr[qt + 1]; i++) for (let kt = map.kt0[i]; kt < map.kt1[i]; kt++) expected.set(kt, map.code[i] === 1);
          expect([...emitted].sort((x, y) => x[0] - y[0]), `l=${l} h=${h} qt=${qt}`).toEqual([...expected].sort((x, y) => x[0] - y[0]));
          // soundness against the reference mask
          for (let kt = 0; kt < p.numKeyTiles; kt++) {
            let any = false, all = true;
            for (let q = qt * tile.blockM; q < Math.min(Nq, (qt + 1) * tile.blockM); q++) {
              for (let k = kt * tile.blockN; k < Math.min(Nk, (kt + 1) * tile.blockN); k++) {
                if (f(q, k)) any = true; else all = false;
              }
            }
            if (any) expect(emitted.has(kt), `visited l=${l} h=${h} qt=${qt} kt=${kt}`).toBe(true);
            if (emitted.get(kt)) expect(all, `FULL l=${l} h=${h} qt=${qt} kt=${kt}`).toBe(true);
          }
        }
      }
    }, TIMEOUT);
  }
});
