// Analysis stage, step 6b: the `require coverage` / `require reachability` verdicts as diagnostics
// (E901, E902). The analysis works on the IR, which has no source positions; the report's
// diagnostics name the failing requirement (and layer), and locateCheckDiagnostics turns them
// into located diagnostics (the `require` item, a note on the mask or rule of the layer), printed
// with a code frame like every front-end diagnostic.
import type { IrProgram } from '../ir/schema.ts';
import { parseSource } from '../syntax/parse.ts';
import type { Expr, Range, Span, Stmt } from '../syntax/ast.ts';
import { DIAGNOSTIC_KINDS } from '../diagnostics/codes.ts';
import { diagnostic, type Diagnostic, type DiagnosticNote } from '../diagnostics/diagnostic.ts';
import type { AnalysisDiagnostic, CoverageReport, ReachabilityReport } from './schema.ts';

export function checkDiagnostics(ir: IrProgram, coverage: CoverageReport, reach: ReachabilityReport): AnalysisDiagnostic[] {
  const out: AnalysisDiagnostic[] = [];
  const wants = (r: 'coverage' | 'reachability') => ir.requires.includes(r);
  const kind = (id: 'coverage-failed' | 'reachability-failed') => ({ code: DIAGNOSTIC_KINDS[id].code, id, severity: DIAGNOSTIC_KINDS[id].severity });
  for (const l of coverage.layers) {
    if (l.ok || !wants('coverage')) continue;
    out.push({
      ...kind('coverage-failed'),
      requirement: 'coverage',
      layer: l.l,
      message: l.uncovered
        ? `layer ${l.l}: no head attends query ${l.uncovered.q} to key ${l.uncovered.k} (require coverage: the heads of a layer must together cover every causal pair)`
        : `layer ${l.l}: coverage of the causal pairs could not be proven (undecided tiles)`,
      notes: [],
    });
  }
  if (wants('reachability') && reach.checked && !(reach.verdict === 'reachable' && reach.withinLayers)) {
    out.push({
      ...kind('reachability-failed'),
      requirement: 'reachability',
      message: reach.verdict === 'never'
        ? `information from key ${reach.example!.k} never reaches query ${reach.example!.q}, whatever the depth`
        : reach.verdict === 'reachable' && (reach.lowerBound ?? 0) > reach.layers
          ? `every query needs at least ${reach.lowerBound} layers to see every earlier key (${reach.layersNeeded} suffice), more than the ${reach.layers} layer(s) of the pattern`
          : reach.verdict === 'reachable'
            ? `every query sees every earlier key after ${reach.layersNeeded} layers, but within the pattern's ${reach.layers} layer(s) it could not be proven (at least ${reach.lowerBound ?? 1} needed)`
            : `reachability could not be decided: ${reach.note}`,
      notes: [{ message: reach.note }],
    });
  }
  return out;
}

/**
 * The report's check diagnostics located in the pattern's source: the span of the failing item
 * of its `require` statement, and for coverage a note on the mask (or the rules) of the layer.
 */
export function locateCheckDiagnostics(ds: readonly AnalysisDiagnostic[], source: string): Diagnostic[] {
  if (ds.length === 0) return [];
  const { ast } = parseSource(source);
  const statements: Stmt[] = ast?.statements ?? [];
  const req = statements.find((s): s is Extract<Stmt, { kind: 'Require' }> => s.kind === 'Require');
  return ds.map((d) => {
    const item = req?.items.find((i) => i.name === d.requirement);
    const notes: DiagnosticNote[] = d.notes.map((n) => ({ message: n.message }));
    if (d.layer !== undefined) {
      const span = maskSpanOf(statements, d.layer);
      if (span) notes.unshift({ message: `the heads of layer ${d.layer} get their masks here`, span });
    }
    return diagnostic(d.id as 'coverage-failed' | 'reachability-failed', d.message, item?.span ?? req?.span ?? null, { notes });
  });
}

/** The mask statement, or the rule of a mask block that gives layer l its masks (the whole block when several do). */
function maskSpanOf(statements: Stmt[], l: number): Span | null {
  for (const s of statements) {
    if (s.kind === 'Mask') return s.span;
    if (s.kind !== 'MaskBlock') continue;
    const selected = s.rules.filter((r) => r.selector.kind === 'Select' && (r.selector.layers === null || r.selector.layers.some((g) => mayHold(g, l))));
    const fallback = s.rules.filter((r) => r.selector.kind === 'Otherwise');
    const rules = selected.length ? selected : fallback;
    return rules.length === 1 ? rules[0]!.span : s.span;
  }
  return null;
}

/** Whether a layer range `a`, `a..b`, `a..` (with `by step`) may hold l (non-literal bounds: maybe). */
function mayHold(g: Range, l: number): boolean {
  const a = literal(g.start);
  const step = g.step === null ? 1 : literal(g.step);
  if (a === null || step === null) return true;
  if (g.end === null) return a === l;
  const b = g.end === 'open' ? Infinity : literal(g.end);
  if (b === null) return true;
  return a <= l && l <= b && (l - a) % step === 0;
}

function literal(e: Expr): number | null {
  return e.kind === 'Int' ? e.value : null;
}
