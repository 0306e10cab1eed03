// Golden diagnostics: each test/fixtures/bad/*.attn compiles to the formatted diagnostics in
// its .expected.txt. Lines `# set: name=value` at the top pass --set overrides.
// Regenerate with UPDATE_GOLDEN=1 npx vitest run test/semantics/golden.test.ts
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { analyze, compileToIr, formatDiagnostics } from '../../src/api.ts';
import { locateCheckDiagnostics } from '../../src/analysis/index.ts';
import type { IrProgram } from '../../src/ir/schema.ts';
import { nodeReadFile } from '../../src/node.ts';
import { DIAGNOSTIC_KINDS } from '../../src/diagnostics/codes.ts';

const dir = fileURLToPath(new URL('../fixtures/bad/', import.meta.url));
const cases = readdirSync(dir).filter((f) => f.endsWith('.attn')).sort();

function overrides(source: string): Record<string, number | boolean> {
  const set: Record<string, number | boolean> = {};
  for (const m of source.matchAll(/^# set: ([\w.]+)=(\S+)$/gm)) {
    set[m[1]!] = m[2] === 'true' ? true : m[2] === 'false' ? false : Number(m[2]);
  }
  return set;
}

export function renderCase(file: string): string {
  const path = `test/fixtures/bad/${file}`;
  const source = readFileSync(dir + file, 'utf8');
  const readFile = (p: string) => nodeReadFile(p);
  const { ir, diagnostics, sources } = compileToIr(source, { file: path, readFile, set: overrides(source) });
  // `require` checks (E9xx) are decided by the analysis, as `attnc analyze` does (tile from `# tile: BQxBK`)
  const checks = ir && ir.requires.length ? checkDiagnostics(ir, source) : [];
  return formatDiagnostics([...diagnostics, ...checks], source, path, { sources });
}

function checkDiagnostics(ir: IrProgram, source: string) {
  const [bq, bk] = (/^# tile: (\d+)x(\d+)$/m.exec(source) ?? ['', '64', '64']).slice(1).map(Number);
  return locateCheckDiagnostics(analyze(ir, { tile: { bq: bq!, bk: bk! } }).report.diagnostics, source);
}

describe('golden diagnostics (test/fixtures/bad)', () => {
  it('has at least 25 cases', () => expect(cases.length).toBeGreaterThanOrEqual(25));

  for (const file of cases) {
    it(file, () => {
      const actual = renderCase(file);
      const expectedPath = dir + file.replace(/\.attn$/, '.expected.txt');
      if (process.env.UPDATE_GOLDEN === '1' || !existsSync(expectedPath)) writeFileSync(expectedPath, actual);
      expect(actual).toBe(readFileSync(expectedPath, 'utf8'));
      expect(actual).not.toContain('E999');
      // A file named after a code must produce that code.
      const code = /^([EW]\d{3})-/.exec(file)?.[1];
      if (code) expect(actual).toContain(` ${code}[`);
    });
  }

  it('covers every diagnostic code except the internal error', () => {
    const all = cases.map(renderCase).join('\n');
    const missing = Object.values(DIAGNOSTIC_KINDS).map((k) => k.code).filter((c) => c !== 'E999' && !all.includes(` ${c}[`));
    expect(missing).toEqual([]);
  });
});
