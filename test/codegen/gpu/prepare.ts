// Prepares an on-GPU check of emitted CUDA: compiles patterns at small sizes with the CLI's
// pipeline, writes random Q/K/V, runtime inputs and the float64 reference (O, LSE) as float32
// files, and a manifest for check.py. Usage: npx tsx test/codegen/gpu/prepare.ts OUT_DIR
// then on the GPU machine: python3 test/codegen/gpu/check.py OUT_DIR
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compile } from '../../../codegen/index.ts';
import { scheduleFromAnalysis } from '../../../codegen/lower/fromAnalysis.ts';
import { writeCompileResult } from '../../../src/cli/commands/compile.ts';
import { compileToIr } from '../../../src/api.ts';
import { nodeReadFile } from '../../../src/node.ts';
import { attentionReference } from '../../../src/reference/attention.ts';
import { exampleInputs, randomQkv } from '../../../src/reference/inputs.ts';

const out = resolve(process.argv[2] ?? 'gpu_work');
const PATTERNS = resolve(import.meta.dirname, '../../../patterns');
const CASES: { name: string; set?: Record<string, number>; blockN?: number }[] = [
  { name: 'causal' }, { name: 'streaming_llm', set: { recent: 300 } }, { name: 's2_attention', blockN: 64 }, { name: 'bigbird' },
  { name: 'dilated', set: { w: 100 } }, { name: 'moa' }, { name: 'alibi_softcap' }, { name: 'packed_documents' },
  { name: 'minference_vertical_slash', set: { vertical: 40, slash: 40 } }, { name: 'gqa', set: { window_size: 200 } },
  { name: 'longformer', set: { one_side: 100, globals: 64 } }, { name: 'scfa_qk_drop' }, { name: 'sparsek' },
];
const f32 = (a: ArrayLike<number>) => Buffer.from(new Float32Array(Array.from(a)).buffer);
const i32 = (a: ArrayLike<number>) => Buffer.from(new Int32Array(Array.from(a)).buffer);
const manifest: unknown[] = [];
for (const c of CASES) {
  const file = join(PATTERNS, `${c.name}.attn`);
  const base = compileToIr(readFileSync(file, 'utf8'), { file, readFile: nodeReadFile, set: c.set ?? {} }).ir!;
  const Hkv = base.sizes.Hkv === base.sizes.H ? 4 : 2;
  const sizes = { Nq: 520, Nk: 520, H: 4, Hkv, L: base.sizes.L > 1 ? Math.min(base.sizes.L, 8) : 1 };
  const { ir, diagnostics } = compileToIr(readFileSync(file, 'utf8'), { file, readFile: nodeReadFile, sizes, set: c.set ?? {} });
  if (!ir) throw new Error(`${c.name}: ${diagnostics.map((d) => d.message).join('; ')}`);
  const tile = { blockM: 128, blockN: c.blockN ?? 64 };
  const analysed = scheduleFromAnalysis(ir, ir.sizes, tile);
  const dir = join(out, c.name);
  writeCompileResult(compile(ir, { target: 'cuda', tile, dtypes: ['bf16'], headDims: [64], schedule: analysed?.schedule, statistics: analysed?.statistics }), dir);
  const B = 2, D = 64, layer = ir.sizes.L - 1;
  const { q, k, v } = randomQkv(ir.sizes, D, B, 7);
  const inputs = exampleInputs(ir, ir.sizes, 11, 1);
  const ref = attentionReference({ q, k, v, B, H: ir.sizes.H, Hkv: ir.sizes.Hkv, Nq: ir.sizes.Nq, Nk: ir.sizes.Nk, D, ir, inputs, layer });
  mkdirSync(join(dir, 'data'), { recursive: true });
  for (const [n, a] of Object.entries({ q, k, v, out: ref.out, lse: ref.lse })) writeFileSync(join(dir, 'data', `${n}.f32`), f32(a));
  for (const [n, a] of Object.entries(inputs)) writeFileSync(join(dir, 'data', `in_${n}.i32`), i32(a));
  manifest.push({ name: ir.name, dir: c.name, B, D, layer, sizes: ir.sizes, inputs: Object.keys(inputs), topk: ir.nodes.some((n) => n.kind === 'topk_blocks') });
  console.log(`${c.name}: ${analysed?.statistics.tiles.full} full + ${analysed?.statistics.tiles.partial} partial`);
}
writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2));
