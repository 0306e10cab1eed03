// docs/language.md's mask pictures are what `attnc mask --format txt` draws today.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { regenerate } from '../../docs/gen-language-pictures.ts';

describe('docs/language.md', () => {
  it('pictures are up to date (regenerate: npx tsx docs/gen-language-pictures.ts)', () => {
    const doc = readFileSync(new URL('../../docs/language.md', import.meta.url), 'utf8');
    expect(regenerate(doc)).toBe(doc);
  });
  it('documents every built-in mask with a picture', () => {
    const doc = readFileSync(new URL('../../docs/language.md', import.meta.url), 'utf8');
    for (const name of ['causal', 'causal_bottom_right', 'window', 'dilated', 'sinks', 'global_queries', 'local_blocks', 'vstride', 'shard', 'prefix_lm', 'random_blocks', 'moa', 'topk_blocks']) {
      expect(doc).toContain(`### \`${name}`);
      expect(doc).toContain(`<!-- picture:${name} -->`);
    }
  });
});
