// Reading source files and printing diagnostics for the commands.
import { readFileSync } from 'node:fs';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { formatDiagnostics } from '../diagnostics/format.ts';
import { UsageError } from './exit.ts';

export function readSource(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new UsageError(code === 'ENOENT' ? `cannot read '${file}': no such file` : code === 'EISDIR' ? `cannot read '${file}': is a directory` : `cannot read '${file}'`);
  }
}

export function printDiagnostics(ds: Diagnostic[], source: string, file: string, sources: Record<string, string> = {}): void {
  if (ds.length === 0) return;
  process.stderr.write(formatDiagnostics(ds, source, file, { sources }));
  if (process.env.ATTNC_DEBUG === '1') {
    for (const d of ds) {
      const detail = (d as Diagnostic & { detail?: string }).detail;
      if (detail) process.stderr.write(`${detail}\n`);
    }
  }
}

/** An internal-error diagnostic means a bug: exit 3 rather than 1. */
export function isInternal(ds: Diagnostic[]): boolean {
  return ds.some((d) => d.id === 'internal-error');
}
