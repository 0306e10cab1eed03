// The one-call library path: source -> front end -> analysis -> emitted kernels.
import { describe, expect, it } from 'vitest';
import { compilePattern, formatDiagnostic } from '../../src/api.ts';

describe('compilePattern', () => {
  it('emits CUDA with an analysed schedule and statistics', () => {
    const { result, diagnostics } = compilePattern('sizes Nq = 4096\nmask = causal and window(1000)\n', { target: 'cuda', file: 'win.attn' });
    expect(diagnostics).toEqual([]);
    expect(result).not.toBeNull();
    const paths = result!.files.map((f) => f.path).sort();
    expect(paths).toEqual(['metadata.json', 'win.cu', 'win.cuh', 'win.py', 'win_bwd.cu']);
    const st = result!.metadata.statistics!;
    // a window of 1000 keys over 4096 queries: far fewer visited tiles than the causal half
    expect(st.tiles.full + st.tiles.partial).toBeLessThan(st.tiles.total / 3);
    expect(st.tiles.empty).toBeGreaterThan(0);
    const header = result!.files.find((f) => f.path === 'win.cuh')!.contents;
    expect(header).toMatch(/num_key_tiles/);
    expect(header).not.toMatch(/sched_csr/); // affine: closed form, no table
    // backward hooks: the transposed schedule is closed form too (no sched_t_csr table)
    expect(header).toMatch(/num_query_tiles/);
    expect(header).not.toMatch(/sched_t_csr/);
  });

  it('returns located diagnostics and no result for bad source', () => {
    const source = 'mask = causal and windw(4)\n';
    const { result, diagnostics } = compilePattern(source, { target: 'wgsl', file: 'bad.attn' });
    expect(result).toBeNull();
    expect(diagnostics.some((d) => d.severity === 'error')).toBe(true);
    expect(formatDiagnostic(diagnostics[0]!, source, 'bad.attn')).toMatch(/^bad\.attn:1:19: error E109/);
  });
});
