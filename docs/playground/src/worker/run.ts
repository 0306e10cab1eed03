/// <reference types="@webgpu/types" />
// Runs the emitted WGSL kernel on WebGPU from the worker (navigator.gpu exists in dedicated
// workers where the page has it), checks it against the float64 reference and reports the time.
import type { RunReport, RunSettings } from '../protocol.ts';
import type { CompiledPattern } from './compile.ts';

export async function runOnWebGpu(_compiled: CompiledPattern, _layer: number, _settings: RunSettings): Promise<RunReport> {
  const gpu = (self.navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return { ok: false, message: 'WebGPU isn’t available in this browser, so the kernel can’t run here.', rows: [] };
  return { ok: false, message: 'Running kernels from the page is waiting for the WebGPU runner (src/webgpu) to land.', rows: [] };
}
