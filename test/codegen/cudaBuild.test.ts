// Every shipped pattern compiles to CUDA (at the tile chooseCudaTile picks) and the emitted
// translation unit builds with nvcc for sm_90a: every entry (the wgmma path, the mma.sync
// fallback, the schedule builder) with no register spills and no stack frame (parsed from the
// ptxas report). The backward translation unit (<pattern>_bwd.cu: pre, dK/dV, dQ entries)
// builds too, with no spills and no stack frame (also with the dK/dV CTA size the emitter did
// not pick); its registers are printed. No entry has its wgmma serialized by ptxas (warnings
// C7512, C7515).
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { compile } from '../../codegen/index.ts';
import { analysedCompileOptions } from '../../codegen/tileChoice.ts';
import { compileToIr } from '../../src/api.ts';
import { nodeReadFile } from '../../src/node.ts';
import { writeCompileResult } from '../../src/cli/commands/compile.ts';
import { hasCompiler } from './hostHarness.ts';

const PATTERNS = resolve(import.meta.dirname, '../../patterns');
const files = readdirSync(PATTERNS).filter((f) => f.endsWith('.attn')).sort();
const haveNvcc = hasCompiler('nvcc');
if (!haveNvcc) console.warn('test/codegen/cudaBuild: nvcc is not on PATH; skipping the CUDA build checks');

export interface PtxasEntry { name: string; stack: number; spillStores: number; spillLoads: number; registers?: number }

/** Per entry function: stack frame and spill bytes from `ptxas -v` output. */
export function parsePtxas(report: string): PtxasEntry[] {
  const out: PtxasEntry[] = [];
  let current: string | null = null;
  for (const line of report.split('\n')) {
    const entry = /Compiling entry function '([^']+)'/.exec(line);
    if (entry) current = entry[1];
    const m = /(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads/.exec(line);
    if (m && current && !(out.length && out[out.length - 1]!.name === current)) {
      out.push({ name: current, stack: Number(m[1]), spillStores: Number(m[2]), spillLoads: Number(m[3]) });
    }
    const r = /Used (\d+) registers/.exec(line);
    if (r && current && out.length && out[out.length - 1]!.name === current) {
      out[out.length - 1]!.registers = Number(r[1]);
      current = null;
    }
  }
  return out;
}

const tileOf = new Map<string, string>();
const isSm80 = (entry: string) => /_sm80_/.test(entry);
const isBwd = (entry: string) => entry.startsWith('attnc_bwd_');
/** ptxas warnings that an entry's wgmmas were serialized (C7512, C7515) or a wait was injected before a non-wgmma read of their registers (C7517). */
const serialized = (report: string) => report.split('\n').filter((l) => /C7515|C7517|wgmma.mma_async instructions are serialized/.test(l));

function emit(file: string, dir: string): string {
  const source = readFileSync(join(PATTERNS, file), 'utf8');
  const { ir, diagnostics } = compileToIr(source, { file: join(PATTERNS, file), readFile: nodeReadFile });
  if (!ir) throw new Error(`${file}: ${diagnostics.map((d) => d.message).join('; ')}`);
  const { tile, analysed } = analysedCompileOptions(ir, 'cuda');
  const result = compile(ir, { target: 'cuda', tile, schedule: analysed?.schedule, statistics: analysed?.statistics });
  writeCompileResult(result, dir);
  tileOf.set(file, `${tile.blockM}x${tile.blockN}`);
  return ir.name;
}


const run = promisify(execFile);

describe.skipIf(!haveNvcc)('emitted CUDA builds with nvcc (sm_90a)', () => {
  const root = mkdtempSync(join(tmpdir(), 'attnc-cuda-'));
  // one build per pattern, several at a time
  const builds = new Map<string, Promise<{ report: string; alt: string; altKeys: number }>>();
  const queue = [...files];
  const limit = Number(process.env.ATTNC_NVCC_JOBS ?? 4);
  let active = 0;
  const waiters: (() => void)[] = [];
  const slot = async () => {
    if (active >= limit) await new Promise<void>((r) => waiters.push(r));
    active++;
  };
  const release = () => { active--; waiters.shift()?.(); };
  for (const f of queue) {
    builds.set(f, (async () => {
      const dir = join(root, basename(f, '.attn'));
      const name = emit(f, dir);
      await slot();
      try {
        const nvcc = (tu: string, defines: string[] = [], out = tu) => run('nice', ['-n', '19', 'nvcc', '-cubin', '-gencode=arch=compute_90a,code=sm_90a', '-O3', '-std=c++17', '-Xptxas', '-v',
          ...defines, '-I', join(dir, 'runtime'), join(dir, `${tu}.cu`), '-o', join(dir, `${out}.cubin`)], { maxBuffer: 1 << 26 });
        const fwd = await nvcc(name);
        const bwd = await nvcc(`${name}_bwd`);
        // the dK/dV CTA size the emitter did not pick for this pattern (64 or 128 keys), built too
        const keys = Number(/#define ATTNC_BWD_CTA_KEYS (\d+)/.exec(readFileSync(join(dir, `${name}_bwd.cu`), 'utf8'))![1]);
        const altKeys = keys === 64 ? 128 : 64;
        const alt = await nvcc(`${name}_bwd`, [`-DATTNC_BWD_CTA_KEYS=${altKeys}`], `${name}_bwd_alt`);
        return { report: fwd.stderr + fwd.stdout + bwd.stderr + bwd.stdout, alt: alt.stderr + alt.stdout, altKeys };
      } finally {
        release();
      }
    })());
  }
  builds.forEach((p) => p.catch(() => undefined));

  for (const f of files) {
    it(`${f}: builds, every entry 0 spills, 0 stack`, async () => {
      const { report, alt, altKeys } = await builds.get(f)!;
      const entries = parsePtxas(report);
      // patterns with runtime inputs also build the runtime schedule builder (checked below: 0 spills)
      const meta = JSON.parse(readFileSync(join(root, basename(f, '.attn'), 'metadata.json'), 'utf8')) as { helpers: { kind: string }[] };
      if (meta.helpers.some((h) => h.kind === 'schedule_build')) expect(entries.map((e) => e.name)).toContain('attnc_schedule_build');
      expect(entries.length).toBeGreaterThanOrEqual(8);
      expect(entries.filter((e) => !isSm80(e.name) && !isBwd(e.name)).length).toBeGreaterThanOrEqual(4);
      const bwd = entries.filter((e) => isBwd(e.name));
      expect(bwd.map((e) => e.name).sort()).toEqual(['bf16', 'fp16'].flatMap((t) => [64, 128].flatMap((d) => ['dkdv', 'dq', 'pre'].map((k) => `attnc_bwd_${k}_${t}_d${d}`))).sort());
      console.log(`${f} (${tileOf.get(f)}) backward registers: ${bwd.filter((e) => e.name.includes('bf16')).map((e) => `${e.name.replace('attnc_bwd_', '').replace('_bf16', '')} ${e.registers}`).join(', ')}`);
      for (const e of entries) expect(e, e.name).toMatchObject({ stack: 0, spillStores: 0, spillLoads: 0 });
      // ptxas serializes every wgmma of an entry when it runs short of registers (C7512) or when a
      // non-wgmma instruction defines an accumulator while a product may still run (e.g. zeroing
      // one that stays in flight across a loop's back edge): a silent, large slowdown
      expect(serialized(report)).toEqual([]);
      // the same for the other dK/dV CTA size
      const altEntries = parsePtxas(alt).filter((e) => e.name.startsWith('attnc_bwd_dkdv_'));
      expect(altEntries.length, `dkdv entries built with ATTNC_BWD_CTA_KEYS=${altKeys}`).toBe(4);
      for (const e of altEntries) expect(e, `${e.name} (${altKeys} keys)`).toMatchObject({ stack: 0, spillStores: 0, spillLoads: 0 });
      expect(serialized(alt)).toEqual([]);
    }, 600_000);
  }
});
