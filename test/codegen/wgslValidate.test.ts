// Every shipped pattern's emitted WGSL prelude, assembled with the skeleton, compiles and makes
// a pipeline on Dawn's null backend (syntax, types, uniformity, limits).
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../codegen/index.ts';
import { scheduleFromAnalysis } from '../../codegen/lower/fromAnalysis.ts';
import { ATTENTION_ENTRY_POINT, assembleAttentionModule } from '../../codegen/wgsl/runtime/attention_fwd.ts';
import { loadAttentionSkeleton } from '../../codegen/wgsl/runtime/load.ts';
import { compileToIr } from '../../src/api.ts';
import type { GpuSession } from '../../src/webgpu/device.ts';
import { openNodeGpu } from '../../src/webgpu/node.ts';
import { nodeReadFile } from '../../src/node.ts';

const PATTERNS = resolve(import.meta.dirname, '../../patterns');
const files = readdirSync(PATTERNS).filter((f) => f.endsWith('.attn')).sort();
const sources = loadAttentionSkeleton();

describe('emitted WGSL preludes validate (null backend)', () => {
  let session: GpuSession | undefined;
  beforeAll(async () => { session = await openNodeGpu({ adapter: 'null' }); });
  afterAll(() => { session?.device.destroy(); session = undefined; });

  for (const f of files) {
    it(f, async () => {
      const file = join(PATTERNS, f);
      const { ir, diagnostics } = compileToIr(readFileSync(file, 'utf8'), { file, readFile: nodeReadFile, sizes: { Nq: 1024, Nk: 1024 } });
      if (!ir) throw new Error(diagnostics.map((d) => d.message).join('; '));
      const tile = { blockM: 16, blockN: 16 };
      const analysed = scheduleFromAnalysis(ir, ir.sizes, tile);
      const r = compile(ir, { target: 'wgsl', tile, schedule: analysed?.schedule });
      const prelude = r.files.find((x) => x.path.endsWith('.prelude.wgsl'))!.contents as string;
      const wgsl = assembleAttentionModule(sources, prelude, { elem: 'f32', subgroups: false }).code;
      const device = session!.device;
      device.pushErrorScope('validation');
      const module = device.createShaderModule({ code: wgsl });
      const info = await module.getCompilationInfo();
      const errors = info.messages.filter((m) => m.type === 'error').map((m) => `${m.lineNum}:${m.linePos} ${m.message}`);
      expect(errors, wgsl.split('\n').slice(0, 5).join('\n')).toEqual([]);
      device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: ATTENTION_ENTRY_POINT } });
      const err = await device.popErrorScope();
      expect(err?.message ?? null).toBeNull();
    }, 60_000);
  }
});
