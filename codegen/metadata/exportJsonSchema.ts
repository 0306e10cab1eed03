// Writes docs/metadata.schema.json from the zod schema (run: npx tsx codegen/metadata/exportJsonSchema.ts).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { LaunchMetadata } from './schema.ts';

export function metadataJsonSchema(): unknown {
  return z.toJSONSchema(LaunchMetadata, { io: 'input' });
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const out = resolve(import.meta.dirname, '../../docs/metadata.schema.json');
  writeFileSync(out, JSON.stringify(metadataJsonSchema(), null, 2) + '\n');
  console.log(`wrote ${out}`);
}
