// Writes grammar/attn.tmLanguage.json from grammar/highlight.ts.
// Run: npx tsx grammar/gen-highlight.ts   (test/syntax/highlight.test.ts checks it is current)
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { textMateGrammarJson } from './highlight.ts';

const out = fileURLToPath(new URL('./attn.tmLanguage.json', import.meta.url));
writeFileSync(out, textMateGrammarJson());
console.log(`wrote ${out}`);
