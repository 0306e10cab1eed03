// The playground's worker modules, run in Node: every shipped pattern compiles, analyses,
// rasterises and explains; the raster is exact against the reference at small sizes; and the
// emitted files are byte for byte those of `attnc compile`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evalMask } from '../../src/reference/index.ts';
import { compilePattern } from '../../docs/playground/src/worker/compile.ts';
import { explain } from '../../docs/playground/src/worker/explain.ts';
import { emitOutputs } from '../../docs/playground/src/worker/outputs.ts';
import { rasterize } from '../../docs/playground/src/worker/raster.ts';
import { tileMap } from '../../docs/playground/src/worker/tiles.ts';

const TILE = { m: 64, n: 64 };
const patterns = readdirSync('patterns').filter((f) => f.endsWith('.attn'));

function request(name: string, overrides: Record<string, number | boolean> = {}) {
  return {
    kind: 'compile' as const,
    generation: 1,
    source: readFileSync(`patterns/${name}`, 'utf8'),
    fileName: `patterns/${name}`,
    overrides,
    tile: TILE,
  };
}

describe('playground worker', () => {
  it.each(patterns)('%s: compiles, analyses, rasterises and explains at small sizes', (name) => {
    const result = compilePattern(request(name, { Nq: 512, Nk: 512 }));
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const compiled = result.compiled!;
    expect(compiled).toBeDefined();
    const raster = rasterize(compiled, 0, 0, { q0: 0, q1: 512, k0: 0, k1: 512, rows: 128, cols: 128 });
    expect(raster.density.length).toBe(128 * 128);
    const tiles = tileMap(compiled, 0, 0).tiles!;
    expect(tiles.tilesQ).toBe(8);
    const why = explain(compiled, 0, 0, 300, 200);
    expect(why.allowed).toBe(compiled.evaluator.element(0, 0)(300, 200));
    expect(why.root.text.length).toBeGreaterThan(0);
  }, 60_000);

  it.each(['streaming_llm.attn', 's2_attention.attn', 'bigbird.attn', 'dilated.attn'])(
    '%s: a full-resolution raster equals the reference mask',
    (name) => {
      const compiled = compilePattern(request(name, { Nq: 320, Nk: 320 })).compiled!;
      const { L, H } = compiled.sizes;
      const dense = evalMask(compiled.ir, { inputs: compiled.inputs }).dense(L - 1, H - 1);
      const raster = rasterize(compiled, L - 1, H - 1, { q0: 0, q1: 320, k0: 0, k1: 320, rows: 320, cols: 320 });
      expect(raster.exact).toBe(true);
      expect(Array.from(raster.density, (d) => (d > 0 ? 1 : 0))).toEqual(Array.from(dense));
    },
  );

  it('emits exactly the files of attnc compile', () => {
    const name = 'sliding_window.attn';
    const compiled = compilePattern(request(name)).compiled!;
    const outputs = [...emitOutputs(compiled)];
    for (const target of ['cuda', 'wgsl', 'flex'] as const) {
      const dir = mkdtempSync(join(tmpdir(), `attnc-playground-${target}-`));
      try {
        execFileSync(process.execPath, ['bin/attnc.js', 'compile', `patterns/${name}`, '--target', target, '-o', dir], { stdio: 'pipe' });
        const shown = outputs.find((o) => o.target === target)!;
        expect(shown.files.length).toBeGreaterThan(0);
        const onDisk = new Map<string, string>();
        const walk = (d: string) => {
          for (const f of readdirSync(d)) {
            const p = join(d, f);
            if (statSync(p).isDirectory()) walk(p);
            else onDisk.set(relative(dir, p), readFileSync(p, 'utf8'));
          }
        };
        walk(dir);
        for (const file of shown.files) {
          const path = file.path.replace(/ {2}\(skeleton, copied\)$/, '');
          expect(onDisk.has(path), `${target}: ${path} written by the CLI`).toBe(true);
          expect(file.contents, `${target}: ${path}`).toBe(onDisk.get(path));
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }, 120_000);
});
