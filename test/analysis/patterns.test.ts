// Every pattern in patterns/ analyses at 131,072 tokens (with its own heads and layers), and
// the report is consistent: it validates, tile counts add up, static patterns have no
// undecided tiles and exact densities. Not a timing test (bench/analysis.bench.ts is).
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileToIr } from '../../src/api.ts';
import { nodeReadFile } from '../../src/node.ts';
import { analyze, AnalysisReport } from '../../src/analysis/index.ts';

const dir = fileURLToPath(new URL('../../patterns/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.attn')).sort();
const N = 131_072;

describe('every pattern analyses at 131,072 tokens', () => {
  it('finds the patterns', () => { expect(files.length).toBeGreaterThan(10); });
  for (const f of files) {
    it(f, () => {
      const path = dir + f;
      const { ir, diagnostics } = compileToIr(readFileSync(path, 'utf8'), { file: path, readFile: nodeReadFile, sizes: { Nq: N, Nk: N } });
      expect(ir, diagnostics.map((d) => d.message).join('\n')).not.toBeNull();
      const { report } = analyze(ir!, { tile: { bq: 128, bk: 64 } });
      AnalysisReport.parse(report);
      const { nqt, nkt } = report.grid;
      for (const c of report.classes) {
        const t = c.tiles;
        expect(t.EMPTY + t.FULL + t.PARTIAL + t.PARTIAL_UNDECIDED + t.PARTIAL_RUNTIME).toBe(nqt * nkt);
        expect(c.schedule.nnz).toBe(nqt * nkt - t.EMPTY);
        if (!c.runtime) {
          expect(t.PARTIAL_UNDECIDED, `class ${c.id}`).toBe(0);
          expect(c.allowedExact, `class ${c.id}`).toBe(true);
        }
      }
      expect(report.classes.reduce((s, c) => s + c.members.length, 0)).toBe(ir!.sizes.H * ir!.sizes.L);
      if (ir!.requires.includes('coverage')) expect(report.coverage.ok).toBe(true);
    }, 600_000);
  }
});
