// A diagnostic is plain data (code, severity, message, span, notes, suggestion); it is
// formatted separately (format.ts) so the CLI and the playground print it the same way.
import type { Span } from '../syntax/ast.ts';
import { DIAGNOSTIC_KINDS, type DiagnosticId, type Severity } from './codes.ts';

export type { Span };

export interface DiagnosticNote {
  message: string;
  span?: Span;
  /** File of `span` when it is not the diagnostic's own file. */
  file?: string;
}

export interface Suggestion {
  message: string;
  /** Text that would replace `span` (or the diagnostic's span). */
  replacement?: string;
  span?: Span;
}

export interface Diagnostic {
  /** Stable code, e.g. "E101". */
  code: string;
  /** Stable kebab-case id, e.g. "unknown-name". */
  id: DiagnosticId;
  severity: Severity;
  message: string;
  /** Null for diagnostics about the command line (e.g. an unknown --set name). */
  span: Span | null;
  /** File the span refers to; absent means the file being compiled. */
  file?: string;
  notes: DiagnosticNote[];
  suggestion?: Suggestion;
}

export function diagnostic(
  id: DiagnosticId,
  message: string,
  span: Span | null,
  extra: { notes?: DiagnosticNote[]; suggestion?: Suggestion; file?: string } = {},
): Diagnostic {
  const kind = DIAGNOSTIC_KINDS[id];
  const d: Diagnostic = { code: kind.code, id, severity: kind.severity, message, span, notes: extra.notes ?? [] };
  if (extra.suggestion) d.suggestion = extra.suggestion;
  if (extra.file !== undefined) d.file = extra.file;
  return d;
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === 'error');
}

/** Source order (file, then offset); diagnostics without a span come first. */
export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => {
    const fa = a.file ?? '', fb = b.file ?? '';
    if (fa !== fb) return fa < fb ? -1 : 1;
    return (a.span?.offset ?? -1) - (b.span?.offset ?? -1);
  });
}
