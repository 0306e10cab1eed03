// The example picker's contents: every file of patterns/, bundled as text when the page is built.
const files = import.meta.glob('../../../patterns/*.attn', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

export interface Example {
  /** `streaming_llm` */
  name: string;
  /** `patterns/streaming_llm.attn`, the path the compiler sees. */
  path: string;
  source: string;
  /** The first comment line after the file name, e.g. "attention sinks plus a window". */
  summary: string;
}

/** The first sentence of the file's leading comment, after `name.attn:`. */
function summaryOf(source: string): string {
  const comment: string[] = [];
  for (const line of source.split('\n')) {
    if (!line.startsWith('#')) break;
    comment.push(line.replace(/^#\s?/, ''));
  }
  const text = comment.join(' ').replace(/^[\w.]+\.attn:\s*/, '');
  const sentence = /^(.*?\.)(\s|$)/.exec(text)?.[1] ?? text;
  return sentence.replace(/\.$/, '').trim();
}

export const EXAMPLES: Example[] = Object.entries(files)
  .map(([key, source]) => {
    const name = key.replace(/^.*\//, '').replace(/\.attn$/, '');
    return { name, path: `patterns/${name}.attn`, source, summary: summaryOf(source) };
  })
  .sort((a, b) => a.name.localeCompare(b.name));

/** The page's first example when the URL names none. */
export const DEFAULT_EXAMPLE = EXAMPLES.find((e) => e.name === 'streaming_llm') ?? EXAMPLES[0];
