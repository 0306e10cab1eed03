// The worker's front half: source → IR through the public API (same diagnostics as the CLI,
// formatted by the same formatDiagnostic), then a mask evaluator with example runtime inputs,
// and the analysis. Imports resolve against the patterns/ folder bundled into the page.
import { compileToIr, formatDiagnostic, formatSource } from '../../../../src/api.ts';
import type { Diagnostic } from '../../../../src/diagnostics/index.ts';
import type { IrProgram, Sizes } from '../../../../src/ir/schema.ts';
import { evalMask, exampleInputs, randomQkv, type MaskEvaluator, type QkData, type RuntimeInputs } from '../../../../src/reference/index.ts';
import type { AnalysisView, ControlSpec, DiagnosticView, Override, PatternSummary, RuleView, ToWorker } from '../protocol.ts';
import type { CompileOptions, Target } from '../../../../codegen/index.ts';
import { analyzePattern, type TileClasses } from './analysis.ts';

const SIZE_KEYS = ['Nq', 'Nk', 'H', 'Hkv', 'L'] as const;
/** Head dimension of the random Q and K that `lsh` inputs and `topk_blocks` are drawn from. */
const EXAMPLE_HEAD_DIM = 16;
/** Bytes of example Q/K beyond which the mask view refuses (tens of MB per tab is plenty). */
const MAX_QK_ELEMENTS = 16 * 1024 * 1024;

// Every file under patterns/, so `import "..."` and `json("...")` resolve as on disk.
const PATTERN_FILES: Record<string, string> = Object.fromEntries(
  Object.entries(
    import.meta.glob(['../../../../patterns/**/*.attn', '../../../../patterns/**/*.json'], {
      query: '?raw',
      import: 'default',
      eager: true,
    }) as Record<string, string>,
  ).map(([key, text]) => [key.replace(/^(\.\.\/)+/, ''), text]),
);

function readFile(path: string): string {
  const normal = path.replace(/^\.\//, '').replace(/^\/+/, '');
  const text = PATTERN_FILES[normal];
  if (text === undefined) throw new Error(`no such file in the playground: ${path} (only patterns/ is available here)`);
  return text;
}

export interface CompiledPattern {
  generation: number;
  source: string;
  fileName: string;
  ir: IrProgram;
  sizes: Sizes;
  tile: { m: number; n: number };
  evaluator: MaskEvaluator;
  inputs: RuntimeInputs;
  qk: QkData | undefined;
  summary: PatternSummary;
  analysisView: AnalysisView | { unavailable: string };
  /** Tile classes of (l, h) from the analysis, when it is available. */
  tileClasses: ((l: number, h: number) => TileClasses | undefined) | undefined;
  /** Schedule and statistics from the analysis for codegen (dense schedule without them). */
  codegenOptions: (target: Target) => Partial<CompileOptions>;
  /** Sub-expression predicates for hover explanations, by rule:node:l:h. */
  explainCache: Map<string, (q: number, k: number) => boolean>;
}

type CompileRequest = Extract<ToWorker, { kind: 'compile' }>;

type FrontEndResult = ReturnType<typeof compileToIr>;
/** The compile without overrides, once per source: each control's value in the source. */
let sourceOnly: { key: string; result: FrontEndResult } | undefined;

/**
 * Source → IR → evaluator and analysis. `early` receives the front end's diagnostics as soon as
 * they exist, so the editor's squiggles do not wait for the analysis.
 */
export function compilePattern(
  request: CompileRequest,
  early: (diagnostics: DiagnosticView[]) => void = () => undefined,
): { diagnostics: DiagnosticView[]; compiled?: CompiledPattern } {
  const { source, fileName, overrides } = request;
  const key = `${fileName}\u0000${source}`;
  if (sourceOnly?.key !== key) sourceOnly = { key, result: compileToIr(source, { file: fileName, readFile }) };
  const plain = sourceOnly.result;
  if (Object.keys(overrides).length === 0) return finish(request, plain.ir ?? undefined, plain.diagnostics, plain.ir ?? undefined, plain.sources, early);
  const sizes: Partial<Sizes> = {};
  const set: Record<string, number | boolean> = {};
  for (const [name, value] of Object.entries(overrides)) {
    if ((SIZE_KEYS as readonly string[]).includes(name)) sizes[name as keyof Sizes] = Number(value);
    else set[name] = value;
  }
  const result = compileToIr(source, { file: fileName, sizes, set, readFile });
  return finish(request, result.ir ?? undefined, result.diagnostics, plain.ir ?? undefined, result.sources, early);
}

function finish(
  request: CompileRequest,
  ir: IrProgram | undefined,
  diagnostics: readonly Diagnostic[],
  plainIr: IrProgram | undefined,
  sources: Record<string, string>,
  early: (diagnostics: DiagnosticView[]) => void,
): { diagnostics: DiagnosticView[]; compiled?: CompiledPattern } {
  const views = diagnostics.map((d) => diagnosticView(d, request.source, request.fileName, sources));
  early(views);
  if (!ir || views.some((d) => d.severity === 'error')) return { diagnostics: views };

  const sizes = ir.sizes;
  const needsQk = ir.inputs.some((i) => i.source.kind === 'lsh') || ir.nodes.some((n) => n.kind === 'topk_blocks');
  const qkElements = (sizes.H * sizes.Nq + sizes.Hkv * sizes.Nk) * EXAMPLE_HEAD_DIM;
  if (needsQk && qkElements > MAX_QK_ELEMENTS) {
    views.push(playgroundNote(request, `the mask view draws Q and K for this pattern's runtime inputs; at these sizes that is ${Math.round((qkElements * 8) / 2 ** 20)} MB, too much for a browser tab: lower Nq, Nk or H with the sliders`));
    return { diagnostics: views };
  }
  const inputs = exampleInputs(ir, sizes, 1);
  const qk = needsQk ? { ...randomQkv(sizes, EXAMPLE_HEAD_DIM, 1, 1), D: EXAMPLE_HEAD_DIM, B: 1 } : undefined;
  const evaluator = evalMask(ir, { inputs, qk });
  const analysis = analyzePattern(ir, request.tile);
  // The coverage / reachability findings (E9xx) have no source span: listed like the CLI's.
  for (const d of analysis.diagnostics) {
    views.push(diagnosticView({ ...d, id: d.id as Diagnostic['id'], span: null, notes: d.notes }, request.source, request.fileName, sources));
  }

  const compiled: CompiledPattern = {
    generation: request.generation,
    source: request.source,
    fileName: request.fileName,
    ir,
    sizes,
    tile: request.tile,
    evaluator,
    inputs,
    qk,
    summary: summarize(ir, plainIr ?? ir, request.overrides),
    analysisView: analysis.view,
    tileClasses: analysis.tileClasses,
    codegenOptions: analysis.codegenOptions,
    explainCache: new Map(),
  };
  return { diagnostics: views, compiled };
}

export function diagnosticView(d: Diagnostic, source: string, fileName: string, sources: Record<string, string>): DiagnosticView {
  const here = d.file === undefined || d.file === fileName;
  const span = here ? d.span : null;
  return {
    code: d.code,
    severity: d.severity === 'error' ? 'error' : 'warning',
    message: d.message,
    line: span?.line ?? 1,
    col: span?.col ?? 1,
    from: span?.offset ?? 0,
    to: span?.end ?? 0,
    formatted: formatDiagnostic(d, source, fileName, { sources }),
  };
}

/** A message of the playground itself (not the compiler's): shown like a diagnostic. */
function playgroundNote(request: CompileRequest, message: string): DiagnosticView {
  return {
    code: 'playground',
    severity: 'info',
    message,
    line: 1,
    col: 1,
    from: 0,
    to: 0,
    formatted: `${request.fileName}: note: ${message}`,
  };
}

function summarize(ir: IrProgram, plain: IrProgram, overrides: Record<string, Override>): PatternSummary {
  const controls: ControlSpec[] = [];
  for (const name of SIZE_KEYS) {
    controls.push({ name, kind: 'size', type: 'int', sourceValue: plain.sizes[name], value: ir.sizes[name] });
  }
  for (const param of ir.params) {
    const inSource = plain.params.find((p) => p.name === param.name)?.value ?? param.value;
    controls.push({ name: param.name, kind: 'param', type: param.type, sourceValue: inSource, value: overrides[param.name] ?? param.value });
  }
  return {
    name: ir.name,
    sizes: { ...ir.sizes },
    controls,
    rules: ir.rules.map((rule) => ruleView(ir, rule)),
    hasScore: ir.score !== null,
    hasRuntimeInputs: ir.inputs.length > 0,
  };
}

function ruleView(ir: IrProgram, rule: IrProgram['rules'][number]): RuleView {
  const all = (list: number[], n: number) => list.length === n;
  const ranges = (list: number[]) => {
    const out: string[] = [];
    for (let i = 0; i < list.length; ) {
      let j = i;
      while (j + 1 < list.length && list[j + 1] === list[j]! + 1) j++;
      out.push(j === i ? String(list[i]) : `${list[i]}..${list[j]}`);
      i = j + 1;
    }
    return out.join(', ');
  };
  const parts: string[] = [];
  if (!all(rule.layers, ir.sizes.L)) parts.push(`layers ${ranges(rule.layers)}`);
  if (!all(rule.heads, ir.sizes.H)) parts.push(`heads ${ranges(rule.heads)}`);
  return { selector: parts.length ? parts.join(' ') : 'mask (every layer and head)', line: rule.span?.line };
}

export function formatPattern(source: string): { text?: string; error?: string } {
  const result = formatSource(source);
  if (typeof result === 'string') return { text: result };
  if (result && typeof result === 'object' && 'text' in result && typeof result.text === 'string') return { text: result.text };
  return { error: 'Cannot format a file with syntax errors: fix them first' };
}
