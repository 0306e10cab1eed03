// Renders a Diagnostic as text: `file:line:col: error E101[unknown-name]: message`, a code
// frame with a gutter and a caret underline, then notes and help. Used by the CLI and the
// playground alike (no terminal colours here; callers may add them).
import type { Diagnostic } from './diagnostic.ts';
import type { Span } from '../syntax/ast.ts';

const MAX_FRAME_WIDTH = 120;

function lineStarts(source: string): number[] {
  const starts = [0];
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13) {
      if (source.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  return starts;
}

/** Line and column (1-based) of an offset, recomputed from the text. */
export function positionOf(source: string, offset: number, starts = lineStarts(source)): { line: number; col: number } {
  let lo = 0, hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, col: offset - starts[lo]! + 1 };
}

/** Printable rendering of one source character for the frame (one column wide). */
function visible(ch: string): string {
  const c = ch.charCodeAt(0);
  if (ch === '\t') return ' ';
  if (c < 32 || c === 127 || (c >= 0xd800 && c <= 0xdfff) || c === 0xfeff) return '\u00b7';
  return ch;
}

function codeFrame(source: string, span: Span): string[] {
  const starts = lineStarts(source);
  const offset = Math.min(Math.max(span.offset, 0), source.length);
  const { line, col } = positionOf(source, offset, starts);
  const lineStart = starts[line - 1]!;
  let lineEnd = line < starts.length ? starts[line]! : source.length;
  while (lineEnd > lineStart && (source[lineEnd - 1] === '\n' || source[lineEnd - 1] === '\r')) lineEnd--;
  const text = Array.from(source.slice(lineStart, lineEnd), visible).join('');
  const startCol = col - 1;
  const endCol = Math.max(startCol + 1, Math.min(span.end, lineEnd) - lineStart);
  // Long lines (minified or binary input): show a window around the caret.
  let from = 0;
  if (text.length > MAX_FRAME_WIDTH) from = Math.max(0, Math.min(startCol - 20, text.length - MAX_FRAME_WIDTH));
  const shown = (from > 0 ? '...' : '') + text.slice(from, from + MAX_FRAME_WIDTH) + (from + MAX_FRAME_WIDTH < text.length ? '...' : '');
  const pad = from > 0 ? 3 : 0;
  const caretStart = startCol - from + pad;
  const caretLen = Math.max(1, Math.min(endCol - startCol, MAX_FRAME_WIDTH - (startCol - from)));
  const gutter = String(line);
  const blank = ' '.repeat(gutter.length);
  return [
    `${blank} |`,
    `${gutter} | ${shown}`,
    `${blank} | ${' '.repeat(Math.max(0, caretStart))}${'^'.repeat(caretLen)}`,
  ];
}

export interface FormatOptions {
  /** Sources of other files (imports), for frames of diagnostics located there. */
  sources?: Record<string, string>;
}

/**
 * Format one diagnostic. `source` is the text of `file` (the file compiled); a diagnostic
 * located in another file uses `opts.sources[d.file]` when given, else prints no frame.
 */
export function formatDiagnostic(d: Diagnostic, source: string, file = '<input>', opts: FormatOptions = {}): string {
  const dFile = d.file ?? file;
  const dSource = d.file === undefined || d.file === file ? source : opts.sources?.[d.file];
  const out: string[] = [];
  let where = dFile;
  if (d.span) {
    const pos = dSource !== undefined ? positionOf(dSource, d.span.offset) : { line: d.span.line, col: d.span.col };
    where = `${dFile}:${pos.line}:${pos.col}`;
  }
  out.push(`${where}: ${d.severity} ${d.code}[${d.id}]: ${d.message}`);
  if (d.span && dSource !== undefined) out.push(...codeFrame(dSource, d.span));
  for (const note of d.notes) {
    const nFile = note.file ?? dFile;
    const nSource = nFile === file ? source : nFile === dFile ? dSource : opts.sources?.[nFile];
    if (note.span) {
      const pos = nSource !== undefined ? positionOf(nSource, note.span.offset) : { line: note.span.line, col: note.span.col };
      out.push(`  = note: ${note.message} (${nFile}:${pos.line}:${pos.col})`);
      if (nSource !== undefined) out.push(...codeFrame(nSource, note.span).map((l) => `    ${l}`));
    } else {
      out.push(`  = note: ${note.message}`);
    }
  }
  if (d.suggestion) out.push(`  = help: ${d.suggestion.message}`);
  return out.join('\n');
}

/** Format several diagnostics, blank-line separated, plus a summary line. */
export function formatDiagnostics(ds: readonly Diagnostic[], source: string, file = '<input>', opts: FormatOptions = {}): string {
  if (ds.length === 0) return '';
  const errors = ds.filter((d) => d.severity === 'error').length;
  const warnings = ds.length - errors;
  const parts = ds.map((d) => formatDiagnostic(d, source, file, opts));
  const summary = [errors ? `${errors} error${errors > 1 ? 's' : ''}` : '', warnings ? `${warnings} warning${warnings > 1 ? 's' : ''}` : '']
    .filter(Boolean)
    .join(', ');
  return `${parts.join('\n\n')}\n\n${summary}\n`;
}
