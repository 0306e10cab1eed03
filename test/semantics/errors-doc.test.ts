// docs/errors.md is generated from the codes table and the golden fixtures: keep it current.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderErrorsDoc } from '../../docs/gen-errors.ts';
import { DIAGNOSTIC_KINDS } from '../../src/diagnostics/codes.ts';

describe('docs/errors.md', () => {
  it('is up to date (run: npx tsx docs/gen-errors.ts)', () => {
    const committed = readFileSync(fileURLToPath(new URL('../../docs/errors.md', import.meta.url)), 'utf8');
    expect(committed).toBe(renderErrorsDoc());
  });

  it('codes and ids are unique and well formed', () => {
    const codes = Object.values(DIAGNOSTIC_KINDS).map((k) => k.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const [id, k] of Object.entries(DIAGNOSTIC_KINDS)) {
      expect(id).toMatch(/^[a-z]+(-[a-z0-9]+)*$/);
      expect(k.code).toMatch(k.severity === 'error' ? /^E\d{3}$/ : /^W\d{3}$/);
    }
  });
});
