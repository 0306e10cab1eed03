// Build of the playground: a static single-page app under docs/playground/dist that runs the
// whole compiler in the browser (in a Web Worker). `npm run playground:build` builds it;
// `attnc playground` serves the result.
import { defineConfig, type Plugin } from 'vite';
import { fileURLToPath } from 'node:url';
import { grammarData } from './build/grammarData.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * `virtual:attn-grammar`: the word lists of grammar/tokens.ts and the built-ins' signatures and
 * one-line docs (build/grammarData.ts), computed when the page is built, so highlighting and
 * completion follow the grammar without shipping the lexer to the main thread.
 */
function attnGrammar(): Plugin {
  const id = 'virtual:attn-grammar';
  const resolved = '\0' + id;
  const spec = fileURLToPath(new URL('../../grammar/SPEC.md', import.meta.url));
  return {
    name: 'attn-grammar',
    resolveId: (source) => (source === id ? resolved : undefined),
    load: (loaded) => (loaded === resolved ? `export default ${JSON.stringify(grammarData(spec))};` : undefined),
  };
}

export default defineConfig({
  plugins: [attnGrammar()],
  root: here,
  // Relative asset URLs: the built folder works from any path (a docs site, a file server).
  base: './',
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2048,
    reportCompressedSize: true,
  },
  worker: { format: 'es' },
  // The app imports the compiler and patterns/ from the repository root.
  server: { fs: { allow: [repoRoot] } },
});
