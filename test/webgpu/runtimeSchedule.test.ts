// Runtime schedules on lavapipe (codegen/lower/runtime.ts): for every pattern with runtime
// inputs, the helper passes' tile summaries and sorted lists equal their references, the
// device-built schedule equals the rows the lowered builder gives on the host for the same
// buffers (inputs as given, lsh buckets and top-k selections as the device computed them), and
// attention through it matches the float64 reference: odd lengths, batch 2 with per-batch
// inputs, broadcast inputs, rows with no allowed key (O = 0, LSE = -inf).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduleFromAnalysis } from '../../codegen/lower/fromAnalysis.ts';
import { lowerPattern } from '../../codegen/lower/pattern.ts';
import { summaryReference } from '../../codegen/lower/runtimeSummaries.ts';
import { chooseVariant, defaultBlockN } from '../../codegen/wgsl/runtime/attention_fwd.ts';
import { loadAttentionSkeleton, loadPatternHelpers } from '../../codegen/wgsl/runtime/load.ts';
import { compileToIr } from '../../src/api.ts';
import type { IrProgram } from '../../src/ir/schema.ts';
import { nodeReadFile } from '../../src/node.ts';
import { exampleInputs, randomQkv } from '../../src/reference/inputs.ts';
import type { GpuSession } from '../../src/webgpu/device.ts';
import { openNodeGpu } from '../../src/webgpu/node.ts';
import { buildPatternPlan, decodePatternOutputs } from '../../src/webgpu/pattern.ts';
import { runPlan } from '../../src/webgpu/run.ts';
import { compileForRun, runPattern } from '../../src/webgpu/runPattern.ts';
import { buildRows, staticBuffers, type Buffers } from '../../codegen/lower/runtimeHost.ts';
import { armFileWatchdog, freshSeed, testAdapter } from './helpers/harness.ts';

armFileWatchdog('runtimeSchedule.test.ts', 20 * 60_000);

const ROOT = resolve(import.meta.dirname, '../..');
const sources = { attention: loadAttentionSkeleton(), helpers: loadPatternHelpers() };
const CASES: { pattern: string; N: number; set?: Record<string, number> }[] = [
  { pattern: 'packed_documents', N: 151 },
  { pattern: 'document_causal_sliding', N: 133, set: { window_size: 40 } },
  { pattern: 'sparsek', N: 201, set: { kept_blocks: 1, window_size: 24 } },
  { pattern: 'seer_attention', N: 199, set: { budget_blocks: 2 } },
  { pattern: 'minference_vertical_slash', N: 117, set: { vertical: 9, slash: 7 } },
  { pattern: 'scfa_qk_drop', N: 97 },
  { pattern: 'scfa_hash', N: 89 },
];
const LSH_SEED = 20_251_123; // see patterns.test.ts: f32 near-ties may flip a bucket

function irOf(pattern: string, N: number, set: Record<string, number> = {}): IrProgram {
  const file = join(ROOT, 'patterns', `${pattern}.attn`);
  const { ir, diagnostics } = compileToIr(readFileSync(file, 'utf8'), { file, readFile: nodeReadFile, set, sizes: { Nq: N, Nk: N, H: 2, Hkv: 2 } });
  if (!ir) throw new Error(diagnostics.map((d) => d.message).join('; '));
  return ir;
}

describe('runtime schedules on lavapipe', () => {
  let session: GpuSession | undefined;
  beforeAll(async () => { session = await openNodeGpu({ adapter: testAdapter() }); });
  afterAll(() => { session?.device.destroy(); session = undefined; });

  it('runtime and static rules mixed over layers and heads (the builder runs per layer)', async () => {
    const source = [
      'sizes Nq = 101, Nk = Nq, H = 3, Hkv = 3, L = 2',
      'input doc: int[Nk]',
      'input cols: int[H, 5]',
      'mask {',
      '  layers 1 heads 0: causal and window(20)',
      '  layers 0: causal and doc[q] == doc[k]',
      '  otherwise: causal and (k in cols[h] or window(8))',
      '}',
    ].join('\n');
    const seed = freshSeed();
    const ir = compileToIr(source, { file: 'mixed.attn' }).ir!;
    const compiled = compileForRun(ir, 64).wgsl;
    expect(compiled.metadata.statistics!.scheduleKinds).toContain('runtime');
    const r = await runPattern(session!, ir, { sources, check: true, seed, batch: 2, inputs: exampleInputs(ir, ir.sizes, seed + 1, 2) });
    expect(r.layers).toEqual([0, 1]);
    const bad = r.check!.layers.map((l) => `layer ${l.layer}: bad ${l.bad} ${l.firstBad.join(' | ')}`).join('; ');
    expect(r.check!.pass, `seed ${seed}: ${bad}`).toBe(true);
  }, 300_000);

  it('packed_documents at D=128 (tile 16x8): one input summarised per query tile and per key tile', async () => {
    const seed = freshSeed();
    const ir = irOf('packed_documents', 77);
    const r = await runPattern(session!, ir, { sources, check: true, dim: 128, seed, batch: 2, inputs: exampleInputs(ir, ir.sizes, seed + 1, 2) });
    expect(r.tile).toEqual({ blockM: 16, blockN: 8 });
    expect(r.helpers.filter((x) => x.startsWith('tile_minmax'))).toHaveLength(2);
    expect(r.check!.pass, `seed ${seed}: ${r.check!.layers.map((l) => l.firstBad.join(' | ')).join('; ')}`).toBe(true);
  }, 300_000);

  for (const c of CASES) {
    it(`${c.pattern}: device summaries and schedule equal the host's; attention matches the reference (N=${c.N}, B=2)`, async () => {
      const seed = c.pattern === 'scfa_hash' && !process.env.ATTNC_TEST_SEED ? LSH_SEED : freshSeed();
      const ir = irOf(c.pattern, c.N, c.set);
      const D = 64, B = 2;
      const tile = { blockM: 16, blockN: defaultBlockN(16, D) };
      const compiled = compileForRun(ir, D).wgsl;
      const helpers = compiled.metadata.launchOrder.map((s) => s.kernel);
      expect(helpers, 'summaries and builder before attention').toContain('schedule_build');
      expect(helpers[helpers.indexOf('schedule_build') + 1], 'attention right after the builder').toBe('attention_fwd');
      const qkv = randomQkv(ir.sizes, D, B, seed);
      const q = Float32Array.from(qkv.q), k = Float32Array.from(qkv.k), v = Float32Array.from(qkv.v);
      // per-batch inputs, except that scfa_qk_drop's are broadcast (one entry for the batch)
      const broadcast = c.pattern === 'scfa_qk_drop';
      const inputs = exampleInputs(ir, ir.sizes, seed + 1, broadcast ? 1 : B);
      // scfa_qk_drop: head 0 drops its first 20 queries, so query tile 0 has no key tile at all
      if (c.pattern === 'scfa_qk_drop') (inputs.keep_q as Int32Array | Uint8Array).fill(0, 0, 20);
      const variant = chooseVariant(session!.capabilities, 'f32');
      const built = buildPatternPlan(sources, { compiled, headDim: D, batch: B, layer: 0, variant, q, k, v, inputs, readRuntime: true });
      const out = decodePatternOutputs((await runPlan(session!, built.plan)).outputs, built);

      // host side: the same lowering, buffers as the device had them before the summaries
      const p = lowerPattern(ir, { tile, schedule: scheduleFromAnalysis(ir, ir.sizes, tile)!.schedule });
      const data: Buffers = staticBuffers(p);
      const bstride: Record<string, number> = {};
      for (const r of built.runtime) {
        const b = p.buffers.find((x) => x.name === r.buffer)!;
        bstride[r.buffer] = r.batchStride;
        if (b.source.kind === 'input' && b.source.userName in inputs) data[r.buffer] = inputs[b.source.userName]!;
        else if (b.source.kind === 'input' || b.source.kind === 'topk_blocks') data[r.buffer] = out.runtime[r.buffer]!;
      }
      for (const s of p.runtime!.summaries) {
        const want = summaryReference(s, data[s.of.name]!, bstride[s.of.name] === 0 ? 1 : B);
        expect(Array.from(out.runtime[s.buffer.name]!), `${s.kind} of ${s.of.name}, seed ${seed}`).toEqual(Array.from(want));
        data[s.buffer.name] = want;
      }
      const rows = buildRows(p, data, bstride, B, 0);
      const sched = out.runtime[p.runtime!.schedule.name]!;
      const stride = 1 + p.runtime!.maxTiles;
      let visited = 0;
      for (let b = 0; b < B; b++) for (let h = 0; h < p.sizes.H; h++) for (let qt = 0; qt < p.numQueryTiles; qt++) {
        const base = b * p.runtime!.schedule.length + (h * p.numQueryTiles + qt) * stride;
        const want = rows[b]![h]![qt]!.map((e) => e.kt * 2 + (e.full ? 1 : 0));
        expect(Array.from(sched.slice(base, base + 1 + want.length)), `row b ${b} h ${h} qt ${qt}, seed ${seed}`).toEqual([want.length, ...want]);
        visited += want.length;
      }
      expect(visited).toBeGreaterThan(0);
      // scfa_qk_drop runs over sorted rows (kept queries first): its last query tile, all dropped, is empty
      if (c.pattern === 'scfa_qk_drop') expect(sched[(p.numQueryTiles - 1) * stride], 'b 0 h 0, last query tile: an empty row').toBe(0);

      // attention through the built schedule vs the float64 reference (fresh run, same seed)
      const r = await runPattern(session!, ir, { sources, check: true, seed, batch: B, inputs });
      const bad = r.check!.layers.map((l) => `bad ${l.bad} ${l.firstBad.join(' | ')}`).join('; ');
      expect(r.check!.pass, `${c.pattern} seed ${seed}: ${bad}`).toBe(true);
      if (c.pattern === 'scfa_qk_drop') expect(r.check!.layers[0]!.emptyRows, 'dropped queries give empty rows').toBeGreaterThan(0);
    }, 300_000);
  }
});
