// The backward hooks as PRINTED C++ (the text of the CUDA header), compiled with g++ as host code:
// num_query_tiles / query_tile list exactly the transpose of num_key_tiles / key_tile (for
// runtime patterns: the transposed envelope walk env_num_query_tiles / env_query_tile of the
// backward's schedule builder against the forward envelope walk), and score_mod_grad returns what the lowered
// function returns in the IR interpreter. Complements test/codegen/backward.test.ts, which runs
// the lowered functions themselves.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callFunction } from '../../codegen/lower/eval.ts';
import { scheduleFromAnalysis } from '../../codegen/lower/fromAnalysis.ts';
import { cppFloat } from '../../codegen/lower/print/cpp.ts';
import { lowerPattern, type Tile } from '../../codegen/lower/pattern.ts';
import { compileToIr } from '../../src/api.ts';
import { nodeReadFile } from '../../src/node.ts';
import { hasCompiler, hostSource, runHost } from './hostHarness.ts';

const PATTERNS = resolve(import.meta.dirname, '../../patterns');
const CASES: { pattern: string; Nq: number; Nk?: number; H: number; L?: number; tile: Tile }[] = [
  { pattern: 'sliding_window', Nq: 1000, H: 2, tile: { blockM: 128, blockN: 64 } },
  { pattern: 'bigbird', Nq: 1000, H: 4, tile: { blockM: 128, blockN: 64 } },
  { pattern: 's2_hybrid', Nq: 1500, H: 8, L: 2, tile: { blockM: 128, blockN: 128 } },
  { pattern: 'moa', Nq: 1200, H: 4, L: 3, tile: { blockM: 128, blockN: 128 } },
  { pattern: 'chunked_prefill', Nq: 300, Nk: 1100, H: 2, tile: { blockM: 128, blockN: 64 } },
  { pattern: 'sparsek', Nq: 1000, H: 2, tile: { blockM: 128, blockN: 64 } },
  { pattern: 'alibi_softcap', Nq: 700, H: 4, tile: { blockM: 128, blockN: 128 } },
];

describe.skipIf(!hasCompiler('g++'))('printed backward hooks (g++)', () => {
  for (const c of CASES) {
    it(`${c.pattern} Nq=${c.Nq} tile ${c.tile.blockM}x${c.tile.blockN}`, () => {
      const file = join(PATTERNS, `${c.pattern}.attn`);
      const { ir } = compileToIr(readFileSync(file, 'utf8'), { file, readFile: nodeReadFile, sizes: { Nq: c.Nq, Nk: c.Nk ?? c.Nq, H: c.H, Hkv: c.H, L: c.L ?? 1 } });
      const p = lowerPattern(ir!, { tile: c.tile, schedule: scheduleFromAnalysis(ir!, ir!.sizes, c.tile)!.schedule });
      const bwd = p.backward().hooks!;
      const [count, tileFn] = p.runtime ? [p.runtime.envNumKeyTiles, p.runtime.envKeyTile] : [p.hooks.numKeyTiles, p.hooks.keyTile];
      const brt = p.backward().runtime;
      const [bcount, btile] = brt ? [brt.envNumQueryTiles, brt.envQueryTile] : [bwd.numQueryTiles, bwd.queryTile];
      const { L, H } = p.sizes;
      const samples = Array.from({ length: 40 }, (_, i) => ({ s: Math.fround((i - 20) * 1.37 + 0.11), h: i % H, q: (i * 37) % p.sizes.Nq, k: (i * 11) % p.sizes.Nk }));
      const main = `int main() {
  const PatternParams P = make_params();
  for (int l = 0; l < ${L}; ++l) for (int h = 0; h < ${H}; ++h) {
    for (int qt = 0; qt < ${p.numQueryTiles}; ++qt) {
      const int n = ${count.name}(P, 0, l, h, qt);
      for (int j = 0; j < n; ++j) { bool full = false; const int kt = ${tileFn.name}(P, 0, l, h, qt, j, full); printf("F %d %d %d %d %d\\n", l, h, qt, kt, full ? 1 : 0); }
    }
    for (int kt = 0; kt < ${p.numKeyTiles}; ++kt) {
      const int n = ${bcount.name}(P, 0, l, h, kt);
      for (int j = 0; j < n; ++j) { bool full = false; const int qt = ${btile.name}(P, 0, l, h, kt, j, full); printf("B %d %d %d %d %d\\n", l, h, qt, kt, full ? 1 : 0); }
    }
  }
  const float s[] = {${samples.map((x) => cppFloat(x.s)).join(', ')}};
  const int hq[][3] = {${samples.map((x) => `{${x.h}, ${x.q}, ${x.k}}`).join(', ')}};
  for (int i = 0; i < ${samples.length}; ++i) printf("G %.9g\\n", score_mod_grad(P, s[i], 0, ${L - 1}, hq[i][0], hq[i][1], hq[i][2]));
  return 0;
}`;
      const fns = [count, tileFn, bcount, btile, bwd.scoreModGrad];
      const out = runHost(hostSource(fns, [...p.buffers, ...p.backward().tables], main)).trim().split('\n');
      const fwd = out.filter((x) => x.startsWith('F ')).map((x) => x.slice(2)).sort();
      const back = out.filter((x) => x.startsWith('B ')).map((x) => x.slice(2)).sort();
      expect(fwd.length).toBeGreaterThan(0);
      expect(back).toEqual(fwd);
      const ctx = { params: {}, buffers: {} };
      const grads = out.filter((x) => x.startsWith('G ')).map((x) => Number(x.slice(2)));
      samples.forEach((x, i) => {
        const want = callFunction(bwd.scoreModGrad, { s: x.s, b: 0, l: L - 1, h: x.h, q: x.q, k: x.k }, ctx).value as number;
        expect(Math.abs(grads[i]! - want), `score_mod_grad at ${JSON.stringify(x)}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want)));
      });
    }, 120_000);
  }
});
