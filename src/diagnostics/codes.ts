// The table of every diagnostic the front end (and the analysis' `require` checks) can report: a
// stable code (E = error, W = warning), a stable kebab-case id, and a one-line summary. docs/errors.md documents each
// entry with an example; test/fixtures/bad/ holds one failing input per code.

export type Severity = 'error' | 'warning';

export interface DiagnosticKind {
  code: string;
  severity: Severity;
  summary: string;
}

export const DIAGNOSTIC_KINDS = {
  // --- lexical and syntax (E0xx)
  'invalid-character': { code: 'E001', severity: 'error', summary: 'a character that cannot start any token' },
  'unterminated-string': { code: 'E002', severity: 'error', summary: 'a string literal without its closing quote' },
  'unexpected-token': { code: 'E003', severity: 'error', summary: 'the parser found a token it did not expect' },
  'invalid-number': { code: 'E004', severity: 'error', summary: 'a malformed or out-of-range number literal' },
  'invalid-string': { code: 'E005', severity: 'error', summary: 'a string with an escape other than \\" and \\\\' },
  'nesting-too-deep': { code: 'E006', severity: 'error', summary: 'an expression nested deeper than the compiler supports' },
  // --- declarations and names (E1xx)
  'unknown-name': { code: 'E101', severity: 'error', summary: 'a name that is not declared' },
  'duplicate-declaration': { code: 'E102', severity: 'error', summary: 'a name declared twice' },
  'duplicate-statement': { code: 'E103', severity: 'error', summary: 'a statement that may appear once appears again' },
  'missing-mask': { code: 'E104', severity: 'error', summary: 'a compiled file has no mask statement' },
  'unknown-size': { code: 'E105', severity: 'error', summary: 'a sizes entry that is not Nq, Nk, H, Hkv or L' },
  'reserved-name': { code: 'E106', severity: 'error', summary: 'a declaration named like a size or a position variable' },
  'score-variable-outside-score': { code: 'E107', severity: 'error', summary: '`s` used outside the score statement' },
  'block-variable-without-block': { code: 'E108', severity: 'error', summary: '`qb` or `kb` used without a block statement' },
  'unknown-function': { code: 'E109', severity: 'error', summary: 'a call of something that is not a built-in function' },
  'not-callable': { code: 'E110', severity: 'error', summary: 'a call of a name that is not a function' },
  'not-indexable': { code: 'E111', severity: 'error', summary: 'indexing a name that is neither a table nor a runtime input' },
  'wrong-index-count': { code: 'E112', severity: 'error', summary: 'a table or input indexed with the wrong number of indices' },
  'missing-index': { code: 'E113', severity: 'error', summary: 'a table or input used without indices' },
  'cyclic-definition': { code: 'E114', severity: 'error', summary: 'a let or param defined in terms of itself' },
  'unknown-requirement': { code: 'E115', severity: 'error', summary: 'require with something other than coverage or reachability' },
  'function-not-called': { code: 'E117', severity: 'error', summary: 'a built-in function or mask used without calling it' },
  // --- types (E2xx)
  'type-mismatch': { code: 'E201', severity: 'error', summary: 'an operand or argument of the wrong type' },
  'mask-not-bool': { code: 'E202', severity: 'error', summary: 'a mask or rule expression that is not bool' },
  'score-not-numeric': { code: 'E203', severity: 'error', summary: 'a score expression that is not float or int' },
  'branch-type-mismatch': { code: 'E204', severity: 'error', summary: 'if-then-else branches of different types' },
  'param-type-mismatch': { code: 'E205', severity: 'error', summary: "a param's value does not match its declared type" },
  'score-not-differentiable': { code: 'W201', severity: 'warning', summary: 'a step function of s (floor, ceil, round, //, %, an index) in the score: no backward kernels' },
  // --- built-in arguments (E3xx)
  'wrong-argument-count': { code: 'E301', severity: 'error', summary: 'a built-in called with too many or too few arguments' },
  'unknown-argument': { code: 'E302', severity: 'error', summary: 'a named argument the built-in does not have' },
  'duplicate-argument': { code: 'E303', severity: 'error', summary: 'an argument given twice' },
  'argument-not-constant': { code: 'E304', severity: 'error', summary: 'an argument that must be a compile-time constant is not' },
  'argument-out-of-range': { code: 'E305', severity: 'error', summary: 'a constant argument outside its allowed range' },
  'positional-after-named': { code: 'E306', severity: 'error', summary: 'a positional argument after a named one' },
  // --- constants and sizes (E4xx)
  'size-not-positive': { code: 'E401', severity: 'error', summary: 'a size that is zero or negative' },
  'kv-heads-not-divisor': { code: 'E402', severity: 'error', summary: 'Hkv does not divide H' },
  'division-by-zero': { code: 'E403', severity: 'error', summary: 'division or modulo by a constant zero' },
  'not-constant': { code: 'E404', severity: 'error', summary: 'an expression that must be a compile-time constant is not' },
  'size-too-large': { code: 'E405', severity: 'error', summary: 'a size above its limit: 2^30 for Nq and Nk, 4096 for H, Hkv and L' },
  'invalid-override': { code: 'E406', severity: 'error', summary: 'a --set or size override that names nothing or has the wrong type' },
  'constant-out-of-range': { code: 'E407', severity: 'error', summary: 'a constant outside its allowed range (block size, step, dimension)' },
  // --- mask rules (E5xx)
  'rule-overlap': { code: 'E501', severity: 'error', summary: 'a (layer, head) pair covered by two rules' },
  'rule-uncovered': { code: 'E502', severity: 'error', summary: 'a (layer, head) pair covered by no rule' },
  'selector-out-of-range': { code: 'E503', severity: 'error', summary: 'a layer or head index outside 0 .. L-1 / 0 .. H-1' },
  'duplicate-otherwise': { code: 'E504', severity: 'error', summary: 'more than one otherwise rule' },
  'rule-covers-nothing': { code: 'W501', severity: 'warning', summary: 'a rule whose selector covers no (layer, head) pair' },
  'unreachable-otherwise': { code: 'W502', severity: 'warning', summary: 'an otherwise rule when the other rules already cover everything' },
  // --- imports (E6xx)
  'import-not-found': { code: 'E601', severity: 'error', summary: 'an imported file that cannot be read' },
  'import-cycle': { code: 'E602', severity: 'error', summary: 'files that import each other' },
  'unknown-namespace': { code: 'E603', severity: 'error', summary: 'ns.name where ns is not an import alias' },
  'imported-statement-ignored': { code: 'W601', severity: 'warning', summary: "an imported file's mask, sizes, score, block or require is ignored" },
  // --- tables (E7xx)
  'table-file-not-found': { code: 'E701', severity: 'error', summary: 'the JSON file of a table cannot be read' },
  'table-invalid-json': { code: 'E702', severity: 'error', summary: 'the JSON file of a table does not parse' },
  'table-key-missing': { code: 'E703', severity: 'error', summary: 'the JSON file has no such key' },
  'table-shape-mismatch': { code: 'E704', severity: 'error', summary: "a table's data does not have its declared shape" },
  'table-value-type': { code: 'E705', severity: 'error', summary: "a table entry that is not a constant of the table's type" },
  // --- runtime inputs (E8xx)
  'invalid-input-dimension': { code: 'E801', severity: 'error', summary: 'an input dimension that is not a size, param or positive constant' },
  'lsh-shape-mismatch': { code: 'E802', severity: 'error', summary: 'an lsh input whose shape is not int[H, Nq] (Q) or int[Hkv, Nk] (K)' },
  'invalid-input-initialiser': { code: 'E803', severity: 'error', summary: 'an input initialiser other than lsh(Q|K, buckets = n, seed = s)' },
  'membership-target': { code: 'E804', severity: 'error', summary: '`x in a[...]` where a is not a runtime input or has the wrong rank' },
  // --- analysis checks (E9xx): `require` statements, decided by `attnc analyze`
  'coverage-failed': { code: 'E901', severity: 'error', summary: '`require coverage` fails: some causal pair is attended by no head of a layer' },
  'reachability-failed': { code: 'E902', severity: 'error', summary: "`require reachability` fails: some key does not reach some later query within the pattern's layers" },
  // --- hygiene warnings (W9xx)
  'unused-param': { code: 'W901', severity: 'warning', summary: 'a param that nothing uses' },
  'unused-let': { code: 'W902', severity: 'warning', summary: 'a let that nothing uses' },
  // --- internal
  'internal-error': { code: 'E999', severity: 'error', summary: 'a bug in attnc' },
} as const satisfies Record<string, DiagnosticKind>;

export type DiagnosticId = keyof typeof DIAGNOSTIC_KINDS;

export const DIAGNOSTIC_IDS = Object.keys(DIAGNOSTIC_KINDS) as DiagnosticId[];
