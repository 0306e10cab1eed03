// The public API of the attnc front end: source -> IR with diagnostics, the formatter, and the
// diagnostic formatter. Browser-safe: file access (imports, JSON tables) comes in through
// `readFile`; src/node.ts supplies one for Node.
import { checkSource } from './semantics/validate.ts';
import { lowerProgram } from './ir/lower.ts';
import { parseSource } from './syntax/parse.ts';
import { printFile } from './syntax/printer.ts';
import { diagnostic, hasErrors, sortDiagnostics, type Diagnostic } from './diagnostics/diagnostic.ts';
import { formatDiagnostic as formatOne, formatDiagnostics as formatMany, type FormatOptions } from './diagnostics/format.ts';
import type { IrProgram, Sizes } from './ir/schema.ts';
import { compile as emit, type Target as EmitTarget, type CompileResult as EmitResult } from '../codegen/index.ts';
import { analysedCompileOptions as chooseOptions } from '../codegen/tileChoice.ts';
import type { Tile } from '../codegen/lower/pattern.ts';

export type { IrProgram, Sizes, Diagnostic };
export type { FileAst } from './syntax/ast.ts';
export { DIAGNOSTIC_KINDS, DIAGNOSTIC_IDS, type DiagnosticId } from './diagnostics/codes.ts';
export { irDependsOnRuntime, splitRuntime, staticEnvelopes, runtimeFlags } from './ir/runtime.ts';
export { formatIr, formatIrExpr } from './ir/print.ts';
export { IrBuilder } from './ir/builder.ts';
export { KEYWORDS, BUILTIN_FUNCTIONS, BUILTIN_MASKS } from '../grammar/tokens.ts';
export type { RunPatternOptions, RunPatternReport } from './webgpu/runPattern.ts';
export const runPattern: typeof import('./webgpu/runPattern.ts').runPattern = async (...a) => (await import('./webgpu/runPattern.ts')).runPattern(...a);

export interface CompileOptions {
  /** Path of the source (diagnostics, import resolution, the IR's name). */
  file?: string;
  sizes?: Partial<Sizes>;
  /**
   * Param (or size) overrides, e.g. { window: 512 }; namespaced params as 'ns.window'.
   * String values ("512", "0.5", "true") are parsed like `--set name=value`.
   */
  set?: Record<string, number | boolean | string>;
  /** Reads an imported .attn file or a JSON table; paths are already resolved. */
  readFile?: (path: string) => string;
}

export interface CompileResult {
  ir: IrProgram | null;
  diagnostics: Diagnostic[];
  /** Texts of imported files, by resolved path (for formatting their diagnostics). */
  sources: Record<string, string>;
}

function internalError(e: unknown): Diagnostic {
  const d = diagnostic('internal-error', `internal compiler error: ${e instanceof Error ? e.message : String(e)}`, null, {
    notes: [{ message: 'this is a bug in attnc; please report it with the input that caused it' }],
  });
  (d as Diagnostic & { detail?: string }).detail = e instanceof Error ? e.stack : undefined;
  return d;
}

function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const key = `${d.file ?? ''}|${d.code}|${d.span?.offset}|${d.span?.end}|${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `set` values given as text ("512", "true") become numbers and booleans. */
function normaliseOptions(opts: CompileOptions): CompileOptions & { set?: Record<string, number | boolean> } {
  if (!opts.set) return opts as CompileOptions & { set?: Record<string, number | boolean> };
  const set: Record<string, number | boolean> = {};
  for (const [k, v] of Object.entries(opts.set)) {
    if (typeof v !== 'string') set[k] = v;
    else if (v.trim() === 'true' || v.trim() === 'false') set[k] = v.trim() === 'true';
    else set[k] = v.trim() === '' ? NaN : Number(v.replace(/_/g, ''));
  }
  return { ...opts, set };
}

/** Check only (no lowering): all diagnostics of a source. */
export function checkProgram(source: string, opts: CompileOptions = {}): { diagnostics: Diagnostic[]; sources: Record<string, string> } {
  try {
    const { ctx, diagnostics } = checkSource(source, normaliseOptions(opts));
    return { diagnostics: sortDiagnostics(dedupe(diagnostics)), sources: ctx.graph.sources };
  } catch (e) {
    return { diagnostics: [internalError(e)], sources: {} };
  }
}

/** Parse, check and lower to the IR. `ir` is null when there is any error diagnostic. */
export function compileToIr(source: string, opts: CompileOptions = {}): CompileResult {
  let sources: Record<string, string> = {};
  try {
    const { ctx, diagnostics } = checkSource(source, normaliseOptions(opts));
    sources = ctx.graph.sources;
    const ds = sortDiagnostics(dedupe(diagnostics));
    if (hasErrors(ds)) return { ir: null, diagnostics: ds, sources };
    return { ir: lowerProgram(ctx), diagnostics: ds, sources };
  } catch (e) {
    return { ir: null, diagnostics: [internalError(e)], sources };
  }
}

/** Canonical formatting. `text` is null when the source has syntax errors. */
export function formatSource(source: string, _opts: { file?: string } = {}): { text: string | null; diagnostics: Diagnostic[] } {
  try {
    const { ast, diagnostics } = parseSource(source);
    if (hasErrors(diagnostics)) return { text: null, diagnostics: sortDiagnostics(diagnostics) };
    return { text: printFile(ast, source), diagnostics };
  } catch (e) {
    return { text: null, diagnostics: [internalError(e)] };
  }
}

/** `file:line:col: error E101[unknown-name]: message`, a code frame, then notes and help. */
export function formatDiagnostic(d: Diagnostic, source: string, file?: string, opts?: FormatOptions): string {
  return formatOne(d, source, file, opts);
}

/** Several diagnostics plus a summary line ("2 errors, 1 warning"). */
export function formatDiagnostics(ds: readonly Diagnostic[], source: string, file?: string, opts?: FormatOptions): string {
  return formatMany(ds, source, file, opts);
}

export { parseSource, printFile };

// --- the rest of the pipeline, for library users (the API sits on top of every stage) ---
export { analyze, type Analysis, type AnalyzeOptions } from './analysis/index.ts';
export { compile, type Target, type CompileResult as CodegenResult } from '../codegen/index.ts';
export { analysedCompileOptions, chooseCudaTile } from '../codegen/tileChoice.ts';
export { evalMask, attentionReference, attentionBackwardReference } from './reference/index.ts';


export interface CompilePatternOptions extends CompileOptions {
  target: EmitTarget;
  /** Tile shape; by default the analysis chooses (CUDA: 128x64 or 128x128). */
  tile?: Tile;
  dtypes?: Array<'bf16' | 'fp16'>;
  headDims?: number[];
}

/**
 * Source to kernels in one call (what `attnc compile` does, minus writing files): front end,
 * analysis (tile choice and schedules), then emission. `result` is null when the source has
 * errors; `diagnostics` always holds what the front end reported.
 */
export function compilePattern(source: string, opts: CompilePatternOptions): { result: EmitResult | null; diagnostics: Diagnostic[]; sources: Record<string, string> } {
  const { ir, diagnostics, sources } = compileToIr(source, opts);
  if (!ir) return { result: null, diagnostics, sources };
  const chosen = chooseOptions(ir, opts.target, { tile: opts.tile });
  const result = emit(ir, {
    target: opts.target, tile: chosen.tile, dtypes: opts.dtypes, headDims: opts.headDims,
    schedule: chosen.analysed?.schedule, statistics: chosen.analysed?.statistics,
  });
  return { result, diagnostics, sources };
}
