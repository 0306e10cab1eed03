// Runs one semantic rule (or all) on a source and returns compact diagnostics, in the manner
// of graphql-js's validation harness: assert code, message and position.
import { checkSource, ALL_RULES, type ValidationRule } from '../../src/semantics/validate.ts';
import type { CheckOptions } from '../../src/semantics/context.ts';

export interface Compact {
  code: string;
  line?: number;
  col?: number;
  message: string;
}

export function diagnose(source: string, rules: readonly ValidationRule[] = ALL_RULES, opts: CheckOptions & { file?: string } = {}): Compact[] {
  const { diagnostics } = checkSource(source, opts, rules);
  return diagnostics.map((d) => ({
    code: d.code,
    ...(d.span ? { line: d.span.line, col: d.span.col } : {}),
    message: d.message,
  }));
}

export const codes = (source: string, rules: readonly ValidationRule[] = ALL_RULES, opts: CheckOptions & { file?: string } = {}) =>
  diagnose(source, rules, opts).map((d) => d.code);

/** An in-memory file system for imports and JSON tables. */
export function memoryFiles(files: Record<string, string>): (path: string) => string {
  return (path) => {
    if (!Object.hasOwn(files, path)) throw new Error(`ENOENT: ${path}`);
    return files[path]!;
  };
}
