/// <reference types="@webgpu/types" />
// Runs the emitted WGSL kernel on WebGPU from the worker (navigator.gpu exists in dedicated
// workers where the page has it), checks it against the float64 reference and reports the time.
// The runner is src/webgpu/ (browser-safe); the WGSL sources are bundled as text.
import attentionBody from '../../../../codegen/wgsl/runtime/attention_fwd.wgsl?raw';
import rowReduceSubgroup from '../../../../codegen/wgsl/runtime/row_reduce_subgroup.wgsl?raw';
import rowReduceWorkgroup from '../../../../codegen/wgsl/runtime/row_reduce_workgroup.wgsl?raw';
import lshBuckets from '../../../../codegen/wgsl/runtime/helpers/lsh_buckets.wgsl?raw';
import topkBlocks from '../../../../codegen/wgsl/runtime/helpers/topk_blocks.wgsl?raw';
import tileMinmax from '../../../../codegen/wgsl/runtime/helpers/tile_minmax.wgsl?raw';
import sortedList from '../../../../codegen/wgsl/runtime/helpers/sorted_list.wgsl?raw';
import scheduleBuild from '../../../../codegen/wgsl/runtime/helpers/schedule_build.wgsl?raw';
import rowPermute from '../../../../codegen/wgsl/runtime/helpers/row_permute.wgsl?raw';
import rowGather from '../../../../codegen/wgsl/runtime/helpers/row_gather.wgsl?raw';
import rowTensors from '../../../../codegen/wgsl/runtime/helpers/row_tensors.wgsl?raw';
import type { RunReport, RunSettings } from '../protocol.ts';
import type { CompiledPattern } from './compile.ts';

/** Runs stay small: the float64 reference runs in this worker too (H x 512 x 512 x D). */
const MAX_RUN_SEQ = 512;

export async function runOnWebGpu(compiled: CompiledPattern, layer: number, settings: RunSettings): Promise<RunReport> {
  const gpu = (self.navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return { ok: false, message: 'WebGPU isn’t available in this browser, so the kernel can’t run here.', rows: [] };
  const [{ withGpu }, { runPattern }] = await Promise.all([import('../../../../src/webgpu/device.ts'), import('../../../../src/webgpu/runPattern.ts')]);
  const { Nq, Nk } = compiled.sizes;
  const seq = Math.max(1, Math.min(settings.seq, Nq, MAX_RUN_SEQ));
  const sizes = { Nq: seq, Nk: Nk === Nq ? seq : Math.max(1, Math.min(Nk, MAX_RUN_SEQ)) };
  const sources = { attention: { body: attentionBody, rowReduceSubgroup, rowReduceWorkgroup }, helpers: { lshBuckets, topkBlocks, tileMinmax, sortedList, scheduleBuild, rowPermute, rowGather, rowTensors } };
  return withGpu(gpu, {}, async (session) => {
    const r = await runPattern(session, compiled.ir, {
      sources, sizes, dim: settings.D, seed: settings.seed, layers: [layer], check: true, timedRuns: 5,
    });
    const c = r.check!;
    const l = c.layers[0]!;
    const s = r.sizes;
    const rows = [
      { label: 'adapter', value: `${r.adapterName} (${r.adapterKind})` },
      { label: 'problem', value: `Nq=${s.Nq} Nk=${s.Nk} H=${s.H} Hkv=${s.Hkv} D=${r.dim}, layer ${layer}` },
      { label: 'kernel', value: `${r.variant.elem}, ${r.variant.subgroups ? 'subgroup' : 'workgroup'} row reduction, tile ${r.tile.blockM}×${r.tile.blockN}` },
      ...(r.helpers.length ? [{ label: 'helpers', value: r.helpers.join('; ') }] : []),
      ...(r.timing ? [{ label: 'time', value: `${r.timing.medianMs.toFixed(3)} ms (median of ${r.timing.runsMs.length}, ${r.timing.method})` }] : []),
      { label: 'max |ΔO|', value: l.maxAbsO.toExponential(2) },
      { label: 'max |ΔLSE|', value: l.maxAbsLse.toExponential(2) },
      { label: 'empty rows', value: String(l.emptyRows) },
    ];
    return c.pass
      ? { ok: true, message: `Ran on ${r.adapterName}: matches the float64 reference.`, rows }
      : { ok: false, message: `Ran on ${r.adapterName}: ${l.bad} element(s) differ from the float64 reference.`, rows: [...rows, ...l.firstBad.map((b) => ({ label: 'mismatch', value: b }))] };
  });
}
