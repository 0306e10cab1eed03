// docs/analysis.schema.json is the current JSON Schema of the analysis report.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { analysisJsonSchema } from '../../docs/gen-analysis-schema.ts';

describe('docs/analysis.schema.json', () => {
  it('is up to date (npx tsx docs/gen-analysis-schema.ts)', () => {
    const onDisk = JSON.parse(readFileSync(new URL('../../docs/analysis.schema.json', import.meta.url), 'utf8'));
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(analysisJsonSchema())));
  });
});
