// Every shipped pattern compiles to all three targets; the launch metadata validates against
// its zod schema and matches docs/metadata.schema.json; the flex module is valid Python
// (py_compile; torch is not needed for that); generated comments quote no comment terminators.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, type Target } from '../../codegen/index.ts';
import { metadataJsonSchema } from '../../codegen/metadata/exportJsonSchema.ts';
import { evalFormula } from '../../codegen/metadata/formula.ts';
import { LaunchMetadata } from '../../codegen/metadata/schema.ts';
import { compileToIr } from '../../src/api.ts';
import { nodeReadFile } from '../../src/node.ts';
import { hasCompiler } from './hostHarness.ts';

const PATTERNS = resolve(import.meta.dirname, '../../patterns');
const files = readdirSync(PATTERNS).filter((f) => f.endsWith('.attn')).sort();
const havePython = hasCompiler('python3');

describe('emitting every pattern', () => {
  it('docs/metadata.schema.json is up to date', () => {
    const onDisk = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../docs/metadata.schema.json'), 'utf8'));
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(metadataJsonSchema())));
  });

  it('formulas evaluate', () => {
    expect(evalFormula('ceil(Nq / 128)', { Nq: 1000 })).toBe(8);
    expect(evalFormula('B * H + max(1, Nk // 64) - 7 % 3', { B: 2, H: 3, Nk: 100 })).toBe(6);
    expect(() => evalFormula('process.exit()', {})).toThrow();
  });

  for (const f of files) {
    it(f, () => {
      const file = join(PATTERNS, f);
      const source = readFileSync(file, 'utf8');
      const { ir, diagnostics } = compileToIr(source, { file, readFile: nodeReadFile, sizes: { Nq: 2048, Nk: 2048 } });
      if (!ir) throw new Error(diagnostics.map((d) => d.message).join('; '));
      const dir = mkdtempSync(join(tmpdir(), 'attnc-emit-'));
      for (const target of ['cuda', 'wgsl', 'flex'] as Target[]) {
        const r = compile(ir, { target, sourceSummary: ['mask = a */ b', 'x\ny'] });
        LaunchMetadata.parse(r.metadata);
        for (const file of r.files) {
          if (typeof file.contents !== 'string') continue;
          if (file.path.endsWith('.cuh') || file.path.endsWith('.wgsl')) {
            expect(file.contents.includes('a */ b'), file.path).toBe(false);
          }
        }
        if (target === 'flex' && havePython) {
          const py = r.files.find((x) => x.path.endsWith('.py'))!;
          writeFileSync(join(dir, py.path), py.contents);
          execFileSync('python3', ['-m', 'py_compile', join(dir, py.path)]);
        }
      }
    });
  }
});
