// Every shipped pattern in patterns/: cites its method, compiles without errors at its
// default sizes, evaluates at small sizes (with generated runtime inputs), and formats to a
// fixed point whose IR equals the original's.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileToIr, formatSource } from '../../src/api.ts';
import type { IrProgram, Sizes } from '../../src/ir/schema.ts';
import { evalMask } from '../../src/reference/mask.ts';
import { exampleInputs, randomQkv } from '../../src/reference/inputs.ts';

const PATTERNS = join(dirname(fileURLToPath(import.meta.url)), '../../patterns');
const files = readdirSync(PATTERNS).filter((f) => f.endsWith('.attn')).sort();
const readFile = (path: string) => readFileSync(path, 'utf8');

/** Param overrides that keep runtime-input shapes small at test sizes. */
const SMALL_SETS: Record<string, Record<string, string>> = {
  'minference_vertical_slash.attn': { vertical: '16', slash: '32' },
};

function compile(source: string, file: string, sizes: Partial<Sizes> = {}, set: Record<string, string> = {}): IrProgram {
  const { ir, diagnostics } = compileToIr(source, { file, sizes, set, readFile });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  expect(errors.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  expect(ir).toBeTruthy();
  return ir!;
}

/** The IR without source positions (formatting may move lines). */
function withoutSpans(ir: IrProgram): unknown {
  return { ...ir, rules: ir.rules.map(({ span: _span, ...rest }) => rest) };
}

/** Small sizes of the same shape: Nq != Nk and GQA are kept when the file has them. */
function smallSizes(ir: IrProgram): Partial<Sizes> {
  const { Nq, Nk, H, Hkv } = ir.sizes;
  const nq = Nq === Nk ? 300 : Nq < Nk ? 64 : 300;
  const nk = Nq === Nk ? 300 : Nq < Nk ? 300 : 64;
  return { Nq: nq, Nk: nk, H: 4, Hkv: Hkv === H ? 4 : 2 };
}

describe('patterns/', () => {
  it('has at least 18 patterns', () => {
    expect(files.length).toBeGreaterThanOrEqual(18);
  });

  for (const name of files) {
    describe(name, () => {
      const file = join(PATTERNS, name);
      const source = readFileSync(file, 'utf8');

      it('cites its method in the header comment', () => {
        const header = source.split('\n').filter((line) => line.startsWith('#')).slice(0, 12).join('\n');
        expect(header).toMatch(/Method: /);
        expect(header).toMatch(/\b(19|20)\d\d\b/);
        expect(header).toMatch(/Setting: /);
      });

      it('compiles at its default sizes', () => {
        compile(source, file);
      });

      it('evaluates at small sizes', () => {
        const ir0 = compile(source, file);
        const sizes = smallSizes(ir0);
        const ir = compile(source, file, sizes, SMALL_SETS[name]);
        const inputs = exampleInputs(ir, ir.sizes, 1, 2);
        const { q, k } = randomQkv(ir.sizes, 8, 2, 1);
        const m = evalMask(ir, { inputs, qk: { q, k, D: 8, B: 2 } });
        const layers = [...new Set([0, 1, ir.sizes.L - 1].filter((l) => l < ir.sizes.L))];
        let allowed = 0, total = 0;
        for (const l of layers) for (let h = 0; h < ir.sizes.H; h++) for (const b of [0, 1]) {
          const dense = m.dense(l, h, b);
          for (const x of dense) allowed += x;
          total += dense.length;
        }
        expect(allowed).toBeGreaterThan(0);
        expect(allowed).toBeLessThanOrEqual(total);
      });

      it('formats to a fixed point with the same IR', () => {
        const once = formatSource(source, { file }).text;
        expect(once).not.toBeNull();
        expect(formatSource(once!, { file }).text).toBe(once);
        expect(once, 'shipped patterns are canonically formatted (attnc fmt --write)').toBe(source);
        expect(withoutSpans(compile(once!, file))).toEqual(withoutSpans(compile(source, file)));
      });
    });
  }
});
