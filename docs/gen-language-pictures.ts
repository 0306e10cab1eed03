// Regenerates the mask pictures in docs/language.md from the compiler itself, so the
// documentation cannot drift from the semantics. Each picture sits between
// `<!-- picture:NAME -->` and `<!-- /picture -->`; the source and sizes are in PICTURES below.
// Usage: npx tsx docs/gen-language-pictures.ts [--check]   (--check: exit 1 if out of date)
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileToIr } from '../src/api.ts';
import { renderMask } from '../src/cli/maskRender.ts';

export interface Picture {
  /** The .attn source drawn (shown in the document above the picture). */
  source: string;
  /** Extra `attnc mask` flags, shown in the document. */
  flags?: string;
  head?: number;
}

export const PICTURES: Record<string, Picture> = {
  causal: { source: 'sizes Nq = 12, Nk = 12, H = 1\nmask = causal' },
  causal_bottom_right: { source: 'sizes Nq = 6, Nk = 12, H = 1\nmask = causal_bottom_right' },
  window: { source: 'sizes Nq = 12, Nk = 12, H = 1\nmask = window(3, right = 1)' },
  dilated: { source: 'sizes Nq = 12, Nk = 12, H = 1\nmask = dilated(8, 2)' },
  sinks: { source: 'sizes Nq = 12, Nk = 12, H = 1\nmask = causal and (sinks(2) or window(2))' },
  global_queries: { source: 'sizes Nq = 12, Nk = 12, H = 1\nmask = global_queries(2) or window(1, right = 1)' },
  local_blocks: { source: 'sizes Nq = 16, Nk = 16, H = 1\nmask = causal and local_blocks(2, block = 4)' },
  vstride: { source: 'sizes Nq = 16, Nk = 16, H = 2\nmask = causal and vstride(2, block = 4, offset = h)' },
  shard: { source: 'sizes Nq = 16, Nk = 16, H = 2\nmask = shard(2, block = 4)' },
  prefix_lm: { source: 'sizes Nq = 12, Nk = 12, H = 1\nmask = prefix_lm(4)' },
  random_blocks: { source: 'sizes Nq = 16, Nk = 16, H = 1\nmask = random_blocks(1, block = 4, seed = 7)' },
  moa: { source: 'sizes Nq = 12, Nk = 12, H = 1\nmask = moa(2.0, 0.25)' },
  topk_blocks: { source: 'sizes Nq = 16, Nk = 16, H = 1\nmask = topk_blocks(2, block = 4)', flags: '--seed 1' },
  member: {
    source: 'sizes Nq = 12, Nk = 12, H = 1\ninput cols: int[H, 2]\ninput diags: int[H, 2]\nmask = causal and (k in cols[h] or (q - k) in diags[h])',
    flags: '--seed 3',
  },
  documents: { source: 'sizes Nq = 16, Nk = 16, H = 1\ninput doc: int[Nk]\nmask = causal and doc[q] == doc[k]', flags: '--seed 2' },
};

const DOC = fileURLToPath(new URL('./language.md', import.meta.url));

export function renderPicture(name: string, pic: Picture): string {
  const { ir, diagnostics } = compileToIr(pic.source + '\n', { file: `${name}.attn` });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (!ir || errors.length) throw new Error(`picture ${name}: ${errors.map((d) => d.message).join('; ')}`);
  const seed = /--seed (\d+)/.exec(pic.flags ?? '')?.[1];
  const { content } = renderMask(ir, { format: 'txt', seed, head: pic.head?.toString() });
  const body = (content as string).split('\n').slice(1).join('\n').replace(/^\n/, '').trimEnd(); // drop the title line
  return [
    '```attn',
    pic.source,
    '```',
    `\`attnc mask ${name}.attn${pic.flags ? ' ' + pic.flags : ''}\`:`,
    '```text',
    body,
    '```',
  ].join('\n');
}

export function regenerate(doc: string): string {
  return doc.replace(/<!-- picture:(\w+) -->\n[\s\S]*?<!-- \/picture -->/g, (_all, name: string) => {
    const pic = PICTURES[name];
    if (!pic) throw new Error(`docs/language.md names an unknown picture '${name}'`);
    return `<!-- picture:${name} -->\n${renderPicture(name, pic)}\n<!-- /picture -->`;
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const before = readFileSync(DOC, 'utf8');
  const after = regenerate(before);
  if (process.argv.includes('--check')) {
    if (before !== after) {
      process.stderr.write('docs/language.md pictures are out of date: run npx tsx docs/gen-language-pictures.ts\n');
      process.exit(1);
    }
  } else if (before !== after) {
    writeFileSync(DOC, after);
    process.stdout.write('docs/language.md: pictures regenerated\n');
  }
}
