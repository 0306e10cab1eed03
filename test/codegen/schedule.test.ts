// The emitted schedule hooks (num_key_tiles / key_tile), compiled with g++ as host code,
// enumerate exactly the analysis' non-EMPTY tiles with its FULL flags, and are sound against the
// reference mask: every tile with an allowed element is visited, and every FULL tile is
// entirely allowed (in range). Static patterns at small sizes.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scheduleFromAnalysis } from '../../codegen/lower/fromAnalysis.ts';
import { lowerPattern } from '../../codegen/lower/pattern.ts';
import { FULL } from '../../src/analysis/tilemap.ts';
import { compileToIr } from '../../src/api.ts';
import { nodeReadFile } from '../../src/node.ts';
import { evalMask } from '../../src/reference/mask.ts';
import { hasCompiler, hostSource, runHost } from './hostHarness.ts';

const PATTERNS = resolve(import.meta.dirname, '../../patterns');
const CASES = ['causal', 'streaming_llm', 'longformer', 's2_attention', 's2_hybrid', 'bigbird', 'dilated', 'prefix_lm', 'moa', 'chunked_prefill', 'alibi_softcap'];
const SIZES = { seq: 1000, heads: 4, layers: 2 };
const TIMEOUT = 120_000;

describe.skipIf(!hasCompiler('g++'))('emitted schedules (g++) vs analysis and reference', () => {
  for (const name of CASES) {
    it(name, () => {
      const file = join(PATTERNS, `${name}.attn`);
      const sizes: Record<string, number> = { Nq: SIZES.seq, Nk: name === 'chunked_prefill' ? 1500 : SIZES.seq, H: SIZES.heads, Hkv: SIZES.heads, L: name === 'dilated' ? 8 : SIZES.layers };
      const { ir, diagnostics } = compileToIr(readFileSync(file, 'utf8'), { file, readFile: nodeReadFile, sizes, set: name === 'moa' ? {} : {} });
      if (!ir) throw new Error(diagnostics.map((d) => d.message).join('; '));
      const tile = { blockM: 128, blockN: 64 };
      const analysed = scheduleFromAnalysis(ir, ir.sizes, tile);
      expect(analysed, 'analysis').toBeDefined();
      const p = lowerPattern(ir, { tile, schedule: analysed!.schedule });
      const { L, H, Nq, Nk } = p.sizes;
      const main = `int main() {
  const PatternParams P = make_params();
  for (int l = 0; l < ${L}; ++l) for (int h = 0; h < ${H}; ++h) for (int qt = 0; qt < ${p.numQueryTiles}; ++qt) {
    const int n = num_key_tiles(P, 0, l, h, qt);
    printf("%d %d %d", l, h, qt);
    for (int j = 0; j < n; ++j) { bool full = false; const int kt = key_tile(P, 0, l, h, qt, j, full); printf(" %d%s", kt, full ? "F" : "P"); }
    printf("\\n");
  }
  return 0;
}`;
      const out = runHost(hostSource([p.hooks.numKeyTiles, p.hooks.keyTile], p.buffers, main)).trim().split('\n');
      const ev = evalMask(ir);
      let line = 0;
      for (let l = 0; l < L; l++) for (let h = 0; h < H; h++) {
        const map = analysed!.maps[p.schedule.classOf[l * H + h]];
        const f = ev.element(l, h);
        for (let qt = 0; qt < p.numQueryTiles; qt++) {
          const [, , , ...tiles] = out[line++].split(' ');
          const emitted = new Map(tiles.map((t) => [Number(t.slice(0, -1)), t.endsWith('F')]));
          const expected = new Map<number, boolean>();
          for (let i = map.rowPtr[qt]; i < map.rowPtr[qt + 1]; i++) for (let kt = map.kt0[i]; kt < map.kt1[i]; kt++) expected.set(kt, map.code[i] === FULL);
          expect([...emitted].sort((a, b) => a[0] - b[0]), `l=${l} h=${h} qt=${qt}`).toEqual([...expected].sort((a, b) => a[0] - b[0]));
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
