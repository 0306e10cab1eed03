// Runs the semantic rules over a module graph. Each rule is a function of the shared
// CheckContext that reports diagnostics; `rules` lets tests run one rule in isolation.
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { CheckContext, type CheckOptions } from './context.ts';
import { loadModules } from './modules.ts';
import { declarationsRule } from './rules/declarations.ts';
import { sizesRule } from './rules/sizes.ts';
import { paramsRule } from './rules/params.ts';
import { namesRule } from './rules/names.ts';
import { cyclesRule } from './rules/cycles.ts';
import { callsRule } from './rules/calls.ts';
import { typesRule } from './rules/types.ts';
import { indexingRule } from './rules/indexing.ts';
import { divisionRule } from './rules/division.ts';
import { differentiableRule } from './rules/differentiable.ts';
import { tablesRule } from './rules/tables.ts';
import { inputsRule } from './rules/inputs.ts';
import { coverageRule } from './rules/coverage.ts';
import { requireRule } from './rules/require.ts';
import { unusedRule } from './rules/unused.ts';

export type ValidationRule = (ctx: CheckContext) => void;

export const ALL_RULES: readonly ValidationRule[] = [
  declarationsRule,
  cyclesRule,
  sizesRule,
  paramsRule,
  namesRule,
  callsRule,
  typesRule,
  indexingRule,
  divisionRule,
  differentiableRule,
  tablesRule,
  inputsRule,
  coverageRule,
  requireRule,
  unusedRule,
];

export interface CheckResult {
  ctx: CheckContext;
  diagnostics: Diagnostic[];
}

export function checkSource(
  source: string,
  opts: CheckOptions & { file?: string } = {},
  rules: readonly ValidationRule[] = ALL_RULES,
): CheckResult {
  const diagnostics: Diagnostic[] = [];
  const graph = loadModules(source, opts.file, opts.readFile, diagnostics);
  const ctx = new CheckContext(graph, opts, diagnostics);
  for (const rule of rules) rule(ctx);
  return { ctx, diagnostics };
}
