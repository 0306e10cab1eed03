// Build-time source of `virtual:attn-grammar` (see vite.config.ts): the highlighting classes
// of grammar/highlight.ts (generated from grammar/tokens.ts), built-in signatures from
// src/semantics/builtins.ts, and one-line docs taken from the formulas of grammar/SPEC.md. Runs in Node when the page is built; nothing
// here is written by hand, so the editor follows the grammar and the spec.
import { readFileSync } from 'node:fs';
import { HIGHLIGHT } from '../../../grammar/highlight.ts';
import * as tokens from '../../../grammar/tokens.ts';
import { BUILTINS, signatureText } from '../../../src/semantics/builtins.ts';

export interface BuiltinDoc {
  name: string;
  signature: string;
  doc: string;
  kind: 'mask' | 'function' | 'initialiser';
}

/** `| \`window(left, right = 0)\` | \`q - left <= k ...\` |` rows and `` `name(args) = formula` `` items of the spec. */
function specFormulas(spec: string): Map<string, string> {
  const formulas = new Map<string, string>();
  const strip = (s: string) => s.replace(/`/g, '').replace(/\s+/g, ' ').trim();
  for (const row of spec.matchAll(/^\| `([a-z_]+)(?:\([^`]*\))?` \| (.+?) \|\s*$/gm)) {
    formulas.set(row[1]!, strip(row[2]!));
  }
  const section = /## Built-in functions \(numeric\)\n([\s\S]*?)\n\n/.exec(spec)?.[1] ?? '';
  for (const item of section.replace(/\n/g, ' ').matchAll(/`([a-z_]+)\(([^`]*?)\)(?: = ([^`]+))?`((?:\s*\([^)]*\))*)/g)) {
    const [, name, , formula, notes] = item;
    const noteList = [...(notes ?? '').matchAll(/\(([^)]*)\)/g)].map((m) => strip(m[1]!));
    const text = [formula ? `= ${formula.trim()}` : '', ...noteList].filter(Boolean).join(' · ');
    if (text) formulas.set(name!, text);
  }
  const topk = /^`topk_blocks\([^`]*\)`: ([\s\S]*?);/m.exec(spec);
  if (topk) formulas.set('topk_blocks:runtime', strip(topk[1]!));
  const chosen = /the chosen set is\s+([\s\S]*?)\s+of the candidate list/.exec(spec);
  if (chosen) formulas.set('random_blocks:runtime', `key blocks per query block: ${strip(chosen[1]!)} of the candidates, seeded`);
  const lsh = /^- `lsh\(([^`]*)\)`: (.*)$/m.exec(spec);
  if (lsh) formulas.set('lsh', strip(lsh[2]!).replace(/[,;]?$/, ''));
  return formulas;
}

/** `allows (q, k) when FORMULA`, with `let`-style prefixes (`r = q - k; ...`) read as `with`. */
function maskDoc(name: string, formula: string | undefined, formulas: Map<string, string>): string {
  if (!formula) return 'built-in mask';
  const note = /\(([^)]*)\)\s*$/.exec(formula)?.[1];
  if (/see below/.test(formula)) {
    const runtime = formulas.get(`${name}:runtime`);
    return [note, runtime ?? 'see grammar/SPEC.md'].filter(Boolean).join(': ');
  }
  const body = note ? formula.slice(0, formula.lastIndexOf('(')).trim() : formula;
  const semi = body.lastIndexOf(';');
  const when = semi < 0 ? `allows (q, k) when ${body}` : `with ${body.slice(0, semi)}: allows (q, k) when ${body.slice(semi + 1).trim()}`;
  return note ? `${when} (${note})` : when;
}

function typeLine(name: string): string {
  const sig = BUILTINS[name];
  if (!sig) return '';
  const params = sig.params.map((p) => `${p.name}: ${p.type === 'num' ? 'int | float' : p.type}`).join(', ');
  const result = sig.result === 'join' ? 'int | float' : sig.result;
  return `(${params}) → ${result}`;
}

export function grammarData(specPath: string) {
  const spec = readFileSync(specPath, 'utf8');
  const formulas = specFormulas(spec);
  const builtinDocs: BuiltinDoc[] = [];
  for (const name of [...tokens.BUILTIN_MASKS, ...tokens.BUILTIN_FUNCTIONS]) {
    const sig = BUILTINS[name];
    const kind = sig?.kind === 'mask' ? 'mask' : 'function';
    const formula = formulas.get(name);
    const doc = kind === 'mask' ? maskDoc(name, formula, formulas) : [formula, typeLine(name)].filter(Boolean).join(' · ');
    const signature = sig ? (sig.bare ? name : signatureText(sig)) : `${name}()`;
    builtinDocs.push({ name, signature, doc, kind });
  }
  for (const name of tokens.INPUT_INITIALISERS) {
    builtinDocs.push({
      name,
      signature: name === 'lsh' ? 'lsh(Q|K, buckets = n, seed = s)' : `${name}()`,
      doc: formulas.get(name) ?? 'runtime input computed on the device',
      kind: 'initialiser',
    });
  }
  return {
    highlight: {
      keywords: [...HIGHLIGHT.keywords],
      operatorWords: [...HIGHLIGHT.operatorWords],
      constants: [...HIGHLIGHT.constants],
      types: [...HIGHLIGHT.types],
      builtinFunctions: [...HIGHLIGHT.builtinFunctions],
      builtinMasks: [...HIGHLIGHT.builtinMasks],
      variables: [...HIGHLIGHT.variables],
      sizes: [...HIGHLIGHT.sizes],
      requirements: [...HIGHLIGHT.requirements],
      patterns: { ...HIGHLIGHT.patterns },
    },
    keywords: [...tokens.KEYWORDS],
    builtinMasks: [...tokens.BUILTIN_MASKS],
    builtinFunctions: [...tokens.BUILTIN_FUNCTIONS, ...tokens.INPUT_INITIALISERS],
    positionVariables: [...tokens.POSITION_VARIABLES],
    sizeNames: [...tokens.SIZE_NAMES],
    requirements: [...tokens.REQUIREMENTS],
    builtinDocs,
  };
}
