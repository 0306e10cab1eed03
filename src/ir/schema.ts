// The IR: what the front end produces and every later stage (reference evaluator, analysis,
// codegen) consumes. A pattern is a hash-consed expression DAG (`nodes`, referenced by index)
// plus declarations. Params are substituted by their values; sizes stay symbolic (`size` nodes)
// and are bound by `IrProgram.sizes` or by an override at evaluation time.
import { z } from 'zod';

export const SIZE_NAMES = ['Nq', 'Nk', 'H', 'Hkv', 'L'] as const;
export const SizeName = z.enum(SIZE_NAMES);
export type SizeName = z.infer<typeof SizeName>;

export const Sizes = z.object({
  Nq: z.number().int().positive(),
  Nk: z.number().int().positive(),
  H: z.number().int().positive(),
  Hkv: z.number().int().positive(),
  L: z.number().int().positive(),
});
export type Sizes = z.infer<typeof Sizes>;

export const ScalarType = z.enum(['int', 'float', 'bool']);
export type ScalarType = z.infer<typeof ScalarType>;

/** Position variables. `s` (scaled logit) appears only in score expressions. */
export const VarName = z.enum(['q', 'k', 'h', 'l', 's']);
export type VarName = z.infer<typeof VarName>;

export const OP_NAMES = [
  // arithmetic (int x int -> int, or float when either side is float; `div` is always float)
  'add', 'sub', 'mul', 'div', 'floordiv', 'mod', 'min', 'max', 'neg', 'abs',
  // float -> int
  'floor', 'ceil', 'round',
  // int -> float
  'tofloat',
  // float -> float
  'tanh', 'exp', 'log', 'sqrt',
  // comparisons -> bool
  'eq', 'ne', 'lt', 'le', 'gt', 'ge',
  // bool
  'and', 'or', 'not',
  // select(c, a, b)
  'select',
] as const;
export const OpName = z.enum(OP_NAMES);
export type OpName = z.infer<typeof OpName>;

const NodeId = z.number().int().nonnegative();

export const IrNode = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('int'), value: z.number().int() }),
  z.object({ kind: z.literal('float'), value: z.number() }),
  z.object({ kind: z.literal('bool'), value: z.boolean() }),
  z.object({ kind: z.literal('var'), name: VarName }),
  z.object({ kind: z.literal('size'), name: SizeName }),
  z.object({ kind: z.literal('op'), op: OpName, args: z.array(NodeId), type: ScalarType }),
  /** Static table lookup `name[args...]` (indices clamped to the shape). */
  z.object({ kind: z.literal('table'), name: z.string(), args: z.array(NodeId), type: ScalarType }),
  /** Runtime input lookup `name[args...]` (implicit batch index b). */
  z.object({ kind: z.literal('input'), name: z.string(), args: z.array(NodeId), type: ScalarType }),
  /** `value in name[args..., :]` over a runtime input (negative entries never match). */
  z.object({ kind: z.literal('member'), name: z.string(), value: NodeId, args: z.array(NodeId) }),
  /** BigBird random key blocks (static; grammar/SPEC.md gives the exact algorithm). */
  z.object({
    kind: z.literal('random_blocks'),
    r: z.number().int().nonnegative(),
    block: z.number().int().positive(),
    seed: NodeId, // int expression over h, l, sizes only
    causal: z.boolean(),
  }),
  /** Runtime top-k key-block selection from pooled q.k scores. */
  z.object({
    kind: z.literal('topk_blocks'),
    k: z.number().int().positive(),
    block: z.number().int().positive(),
    causal: z.boolean(),
  }),
]);
export type IrNode = z.infer<typeof IrNode>;

export const TableDecl = z.object({
  name: z.string(),
  type: ScalarType,
  shape: z.array(z.number().int().positive()),
  /** Row-major values. */
  data: z.array(z.number()),
});
export type TableDecl = z.infer<typeof TableDecl>;

/** A dimension of a runtime input: a size name or a constant. */
export const Dim = z.union([SizeName, z.number().int().positive()]);
export type Dim = z.infer<typeof Dim>;

export const InputSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('given') }),
  z.object({
    kind: z.literal('lsh'),
    of: z.enum(['Q', 'K']),
    buckets: z.number().int().positive(),
    seed: z.number().int(),
  }),
]);
export type InputSource = z.infer<typeof InputSource>;

export const InputDecl = z.object({
  name: z.string(),
  type: ScalarType,
  shape: z.array(Dim),
  source: InputSource,
});
export type InputDecl = z.infer<typeof InputDecl>;

/** Which (layer, head) pairs a rule covers, already resolved to explicit lists. */
export const Rule = z.object({
  layers: z.array(z.number().int().nonnegative()),
  heads: z.array(z.number().int().nonnegative()),
  mask: NodeId,
  /** Source text span of the rule, for diagnostics from later stages. */
  span: z.object({ line: z.number().int(), col: z.number().int() }).optional(),
});
export type Rule = z.infer<typeof Rule>;

export const ParamValue = z.object({
  name: z.string(),
  type: ScalarType,
  value: z.union([z.number(), z.boolean()]),
});
export type ParamValue = z.infer<typeof ParamValue>;

export const IrProgram = z.object({
  version: z.literal(1),
  /** Pattern name: the file's base name without `.attn`, sanitised to [A-Za-z0-9_]. */
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
  sizes: Sizes,
  params: z.array(ParamValue),
  tables: z.array(TableDecl),
  inputs: z.array(InputDecl),
  nodes: z.array(IrNode),
  /** Every (l, h) is covered by exactly one rule (checked by the front end). */
  rules: z.array(Rule),
  /** Score modifier over `s`; null when the pattern has none. */
  score: NodeId.nullable(),
  requires: z.array(z.enum(['coverage', 'reachability'])),
});
export type IrProgram = z.infer<typeof IrProgram>;
