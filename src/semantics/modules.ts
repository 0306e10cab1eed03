// Loads the file being compiled and, through `readFile`, every file it imports (transitively),
// parsing each once. Reports unreadable imports at the import's span and import cycles.
// File access is injected so this stays browser-safe.
import type { FileAst, StmtOf } from '../syntax/ast.ts';
import { parseSource } from '../syntax/parse.ts';
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.ts';
import { resolvePath } from './paths.ts';

export interface ImportEdge {
  stmt: StmtOf<'Import'>;
  /** Null when the file could not be read or the import closes a cycle. */
  module: Module | null;
  alias: string | null;
}

export interface Module {
  /** Path as resolved (root: the `file` option, or undefined). */
  file: string | undefined;
  source: string;
  ast: FileAst;
  imports: ImportEdge[];
  isRoot: boolean;
}

export interface ModuleGraph {
  root: Module;
  /** Every module, root first. */
  modules: Module[];
  /** Source text per imported file, for code frames. */
  sources: Record<string, string>;
}

/** Diagnostics of a non-root module carry its file name. */
export function inModule(d: Diagnostic, m: Module): Diagnostic {
  if (!m.isRoot && m.file !== undefined) d.file = m.file;
  return d;
}

export function loadModules(
  source: string,
  file: string | undefined,
  readFile: ((path: string) => string) | undefined,
  diagnostics: Diagnostic[],
): ModuleGraph {
  const byPath = new Map<string, Module>();
  const sources: Record<string, string> = {};
  const modules: Module[] = [];
  const stack: Module[] = [];

  const parseModule = (text: string, path: string | undefined, isRoot: boolean): Module => {
    const parsed = parseSource(text);
    const m: Module = { file: path, source: text, ast: parsed.ast, imports: [], isRoot };
    for (const d of parsed.diagnostics) diagnostics.push(inModule(d, m));
    modules.push(m);
    return m;
  };

  const visit = (m: Module): void => {
    stack.push(m);
    for (const stmt of m.ast.statements) {
      if (stmt.kind !== 'Import') continue;
      const path = resolvePath(m.file, stmt.path.value);
      const edge: ImportEdge = { stmt, module: null, alias: stmt.alias?.name ?? null };
      m.imports.push(edge);
      const onStack = stack.find((s) => s.file !== undefined && resolvePath(undefined, s.file) === path);
      if (onStack) {
        const chain = [...stack.slice(stack.indexOf(onStack)).map((s) => s.file ?? '<input>'), path];
        diagnostics.push(inModule(diagnostic('import-cycle', `import cycle: ${chain.join(' -> ')}`, stmt.path.span, {
          notes: [{ message: 'files may not import each other, directly or through other files' }],
        }), m));
        continue;
      }
      let target = byPath.get(path);
      if (!target) {
        let text: string;
        try {
          if (!readFile) throw new Error('no file access in this environment');
          text = readFile(path);
        } catch (e) {
          const reason = e instanceof Error ? e.message.split('\n')[0]! : String(e);
          diagnostics.push(inModule(diagnostic('import-not-found', `cannot read imported file '${stmt.path.value}'`, stmt.path.span, {
            notes: [{ message: `looked for '${path}': ${reason}` }],
          }), m));
          continue;
        }
        sources[path] = text;
        target = parseModule(text, path, false);
        byPath.set(path, target);
        visit(target);
      }
      edge.module = target;
    }
    stack.pop();
  };

  const root = parseModule(source, file, true);
  if (file !== undefined) byPath.set(resolvePath(undefined, file), root);
  visit(root);
  return { root, modules, sources };
}
