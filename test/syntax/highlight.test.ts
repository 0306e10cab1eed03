// The highlighting data comes from the lexer's word lists, and the committed TextMate grammar
// is what grammar/gen-highlight.ts would write now.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { textMateGrammarJson, classifyWord, HIGHLIGHT } from '../../grammar/highlight.ts';
import { KEYWORDS, BUILTIN_FUNCTIONS, BUILTIN_MASKS } from '../../grammar/tokens.ts';
import { BUILTINS } from '../../src/semantics/builtins.ts';

describe('highlighting', () => {
  it('grammar/attn.tmLanguage.json is up to date (run: npx tsx grammar/gen-highlight.ts)', () => {
    const committed = readFileSync(fileURLToPath(new URL('../../grammar/attn.tmLanguage.json', import.meta.url)), 'utf8');
    expect(committed).toBe(textMateGrammarJson());
  });

  it('classifies every keyword and built-in', () => {
    for (const k of KEYWORDS) expect(classifyWord(k)).not.toBeNull();
    for (const f of BUILTIN_FUNCTIONS) expect(classifyWord(f)).toBe('builtinFunctions');
    for (const m of BUILTIN_MASKS) expect(classifyWord(m)).toBe('builtinMasks');
    expect(classifyWord('my_name')).toBeNull();
  });

  it('lists exactly the built-ins that have signatures', () => {
    expect([...BUILTIN_FUNCTIONS, ...BUILTIN_MASKS].sort()).toEqual(Object.keys(BUILTINS).sort());
    expect(HIGHLIGHT.builtinMasks.length).toBe(BUILTIN_MASKS.length);
  });

  it('TextMate patterns are valid regular expressions', () => {
    const g = JSON.parse(textMateGrammarJson()) as { patterns: Array<{ match: string }> };
    for (const p of g.patterns) expect(() => new RegExp(p.match)).not.toThrow();
  });
});
