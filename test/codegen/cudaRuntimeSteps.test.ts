// The CUDA launch metadata of runtime patterns: every step before attention that runs on the
// device has its kernel (per dtype) in kernels[], steps are ordered so that each reads only
// what an earlier step (or the caller) wrote, a top-k selection writes its own sorted list, and
// the grids the metadata gives are the grids attnc_runtime_helpers.py launches.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../codegen/index.ts';
import { analysedCompileOptions } from '../../codegen/tileChoice.ts';
import { evalFormula } from '../../codegen/metadata/formula.ts';
import type { LaunchMetadata } from '../../codegen/metadata/schema.ts';
import { compileToIr } from '../../src/api.ts';
import { nodeReadFile } from '../../src/node.ts';

const PATTERNS = resolve(import.meta.dirname, '../../patterns');
const runtimePatterns = readdirSync(PATTERNS).filter((f) => f.endsWith('.attn'))
  .filter((f) => /\binput\b|topk_blocks/.test(readFileSync(join(PATTERNS, f), 'utf8'))).sort();
/** Steps the loader runs with torch (no kernel entry): long sorted lists, the row permutation's sorts and gathers. */
const TORCH_STEPS = new Set(['sorted_list', 'row_sort', 'row_gather', 'row_scatter']);

function cudaMetadata(f: string, sizes: { Nq: number; H: number; Hkv: number }): LaunchMetadata {
  const file = join(PATTERNS, f);
  const { ir, diagnostics } = compileToIr(readFileSync(file, 'utf8'), { file, readFile: nodeReadFile, sizes });
  if (!ir) throw new Error(diagnostics.map((d) => d.message).join('; '));
  // the schedule `attnc compile` uses (runtime classes need the analysis' envelope)
  const { tile, analysed } = analysedCompileOptions(ir, 'cuda');
  return compile(ir, { target: 'cuda', tile, schedule: analysed?.schedule, statistics: analysed?.statistics }).metadata;
}

/** The CTAs attnc_runtime_helpers.py launches for a runtime_summaries step (every source batched). */
function loaderSummaryGrid(meta: LaunchMetadata, writes: string[], B: number): number {
  let blocks = 0;
  for (const buffer of writes) {
    const h = meta.helpers.find((x) => x.buffer === buffer)!;
    const rows = B * h.rows!;
    blocks += h.kind === 'tile_minmax' ? Math.ceil((rows * Math.ceil(h.n! / h.tile!)) / 8) : rows;
  }
  return blocks;
}

describe('CUDA runtime steps in the launch metadata', () => {
  it('covers the runtime patterns', () => {
    expect(runtimePatterns).toEqual(expect.arrayContaining(['packed_documents.attn', 'sparsek.attn', 'minference_vertical_slash.attn', 'scfa_hash.attn']));
  });

  for (const f of runtimePatterns) {
    it(f, () => {
      const meta = cudaMetadata(f, { Nq: 1000, H: 4, Hkv: 2 });
      // a row-permuted pattern scatters O and LSE back after attention
      const order = meta.launchOrder.map((s) => s.kernel).filter((k) => k !== 'row_scatter');
      expect(order[order.length - 1]).toBe('attention');
      expect(order[order.length - 2]).toBe('schedule_build');
      if (meta.permutation) expect(meta.launchOrder[meta.launchOrder.length - 1]!.kernel).toBe('row_scatter');
      // each step reads the caller's data (q, k, tables, given inputs), the loader's lsh
      // projections, or an earlier step's writes
      const available = new Set(['q', 'k', 'v', ...meta.tables.map((t) => t.name), ...meta.inputs.filter((x) => x.source === 'given').map((x) => x.buffer),
        ...meta.inputs.filter((x) => x.source === 'lsh').map((x) => `${x.buffer}_rotation`)]);
      for (const step of meta.launchOrder) {
        if (step.kernel === 'row_scatter') continue; // reads attention's sorted outputs
        for (const r of step.reads) expect(available.has(r), `${step.kernel} reads ${r} before it is written`).toBe(true);
        step.writes.forEach((w) => available.add(w));
      }
      // every summary, selection and lsh input is written by exactly one step
      const written = meta.launchOrder.flatMap((s) => s.writes);
      for (const h of meta.helpers) expect(written.filter((w) => w === h.buffer), h.buffer).toHaveLength(1);
      for (const x of meta.inputs.filter((i) => i.source === 'lsh')) expect(written.filter((w) => w === x.buffer), x.buffer).toHaveLength(1);
      // device steps have their kernels, one per dtype for the dtype-specific ones
      for (const step of meta.launchOrder.filter((s) => s.kernel !== 'attention' && !TORCH_STEPS.has(s.kernel))) {
        const kernels = meta.kernels.filter((k) => k.variant.step === step.kernel);
        expect(kernels.length, step.kernel).toBeGreaterThan(0);
        for (const k of kernels) {
          expect(k.role).toBe(step.kernel === 'schedule_build' ? 'schedule' : 'helper');
          expect(k.name.startsWith('attnc_')).toBe(true);
          const grid = evalFormula(k.grid[0], { B: 3, H: 4, Hkv: 2, Nq: 1000, Nk: meta.sizes.Nk, D: 128 });
          expect(grid).toBeGreaterThan(0);
          if (step.kernel === 'runtime_summaries' && k.variant.buffers === step.writes.join(',')) {
            expect(grid, 'summaries grid').toBe(loaderSummaryGrid(meta, step.writes, 3));
          }
        }
      }
      // a top-k selection writes the sorted list the classifier reads (no separate summary step)
      for (const h of meta.helpers.filter((x) => x.kind === 'topk_blocks')) {
        const select = meta.launchOrder.find((s) => s.kernel === 'topk_select' && s.writes[0] === h.buffer)!;
        const sorted = meta.helpers.find((x) => x.kind === 'sorted_list' && x.of === h.buffer);
        expect(select.writes).toEqual(sorted ? [h.buffer, sorted.buffer] : [h.buffer]);
        const kBlocks = Math.ceil(meta.sizes.Nk / h.block!), qBlocks = Math.ceil(meta.sizes.Nq / h.block!);
        const kernel = meta.kernels.find((k) => k.variant.step === 'topk_select')!;
        const rows = Number(kernel.variant.rowsPerCta);
        expect(rows).toBeGreaterThanOrEqual(1);
        expect(rows).toBeLessThanOrEqual(4);
        expect(kernel.dynamicSmemBytes).toBe(rows * (8 * 2 ** Math.ceil(Math.log2(kBlocks)) + 4 * 2 ** Math.ceil(Math.log2(h.k!))));
        expect(evalFormula(kernel.grid[0], { B: 3, H: 4 })).toBe(3 * 4 * Math.ceil(qBlocks / rows));
      }
    });
  }

  it('static patterns have no runtime steps and no helper kernels', () => {
    const meta = cudaMetadata('sliding_window.attn', { Nq: 1000, H: 4, Hkv: 2 });
    expect(meta.launchOrder.map((s) => s.kernel)).toEqual(['attention']);
    expect(meta.kernels.filter((k) => k.role === 'helper' || k.role === 'schedule')).toEqual([]);
  });
});
