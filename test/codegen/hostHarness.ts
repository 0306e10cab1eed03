// Builds and runs host C++ programs that execute generated hook code with g++, so that the
// emitted C++ (the same text the CUDA header contains) is checked by execution.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { LBuffer, LFunction } from '../../codegen/lower/ir.ts';
import { printFunction } from '../../codegen/lower/print/printer.ts';
import { cppFloat, cppSyntax } from '../../codegen/lower/print/cpp.ts';

export const HELPERS_DIR = resolve(import.meta.dirname, '../../codegen/cuda/runtime/helpers');

export function hasCompiler(cmd: string): boolean {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Buffer declarations and data as a host PatternParams instance named P. */
function paramsBlock(buffers: LBuffer[], data: Record<string, ArrayLike<number>>, bstrides: Record<string, number>): string {
  const fields: string[] = [];
  const arrays: string[] = [];
  const init: string[] = [];
  for (const b of buffers) {
    const t = b.elem === 'float' ? 'float' : 'int';
    const values = Array.from(data[b.name] ?? (b.source.kind === 'table' || b.source.kind === 'random_blocks' ? b.source.data : []));
    if (values.length === 0) values.push(0);
    arrays.push(`static const ${t} ${b.name}_data[] = {${values.map((v) => (t === 'float' ? cppFloat(v) : String(v | 0))).join(',')}};`);
    fields.push(`  const ${t}* ${b.name};`);
    init.push(`  P.${b.name} = ${b.name}_data;`);
    if (b.batched) {
      fields.push(`  int ${b.name}_bstride;`);
      init.push(`  P.${b.name}_bstride = ${bstrides[b.name] ?? 0};`);
    }
  }
  return [
    'struct PatternParams {', ...fields, '  int unused_;', '};', ...arrays,
    'static PatternParams make_params() {', '  PatternParams P{};', ...init, '  return P;', '}',
  ].join('\n');
}

export function hostSource(fns: LFunction[], buffers: LBuffer[], main: string, data: Record<string, ArrayLike<number>> = {}, bstrides: Record<string, number> = {}): string {
  const syn = cppSyntax({ paramsVar: 'P', qualifiers: 'static inline', paramsDecl: 'const PatternParams& P' });
  return [
    '#include <cstdio>', '#include "attnc_expr.cuh"',
    paramsBlock(buffers, data, bstrides),
    ...fns.map((f) => printFunction(f, syn)),
    main,
  ].join('\n\n');
}

/** Compile and run a host program; returns its stdout. */
export function runHost(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'attnc-host-'));
  const src = join(dir, 'main.cpp');
  const exe = join(dir, 'main');
  writeFileSync(src, source);
  execFileSync('g++', ['-std=c++17', '-O1', '-w', '-fmax-errors=5', `-I${HELPERS_DIR}`, src, '-o', exe], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 24 });
  return execFileSync(exe, { maxBuffer: 1 << 28 }).toString();
}
