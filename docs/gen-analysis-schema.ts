// Writes docs/analysis.schema.json: the JSON Schema of `attnc analyze --json` (AnalysisReport),
// exported from the zod schema. Run: npx tsx docs/gen-analysis-schema.ts
// (test/analysis/schemaDoc.test.ts checks it is current).
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { AnalysisReport } from '../src/analysis/schema.ts';

export function analysisJsonSchema(): unknown {
  return z.toJSONSchema(AnalysisReport, { target: 'draft-2020-12' });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = fileURLToPath(new URL('./analysis.schema.json', import.meta.url));
  writeFileSync(out, `${JSON.stringify(analysisJsonSchema(), null, 2)}\n`);
  process.stdout.write(`wrote ${out}\n`);
}
