// Static/runtime split of mask expressions for the analysis and codegen: which nodes depend
// on runtime inputs (inputs, `in`, topk_blocks), a mask split into its static and runtime
// conjuncts, and a static envelope (a runtime-free superset of the mask).
import { IrBuilder } from './builder.ts';
import type { IrProgram } from './schema.ts';

const runtimeMemo = new WeakMap<IrProgram, boolean[]>();

/** Per node: depends on something only known at run time. Nodes are in topological order. */
export function runtimeFlags(ir: IrProgram): boolean[] {
  const cached = runtimeMemo.get(ir);
  if (cached) return cached;
  const flags: boolean[] = [];
  for (const n of ir.nodes) {
    switch (n.kind) {
      case 'input': case 'member': case 'topk_blocks': flags.push(true); break;
      case 'op': case 'table': flags.push(n.args.some((a) => flags[a])); break;
      case 'random_blocks': flags.push(flags[n.seed]!); break;
      default: flags.push(false);
    }
  }
  runtimeMemo.set(ir, flags);
  return flags;
}

export function irDependsOnRuntime(ir: IrProgram, nodeId: number): boolean {
  return runtimeFlags(ir)[nodeId] ?? false;
}

export interface RuntimeSplit {
  /** The program with any nodes the split needed appended (ids of existing nodes unchanged). */
  ir: IrProgram;
  /** Conjunction of the mask's static top-level conjuncts (`true` node when there are none). */
  staticPart: number;
  /** Conjunction of the conjuncts that depend on runtime data, or null. mask = static and runtime. */
  runtimePart: number | null;
  /** A static superset of the mask: where it is false, the mask is false for every input. */
  envelope: number;
}

/** Split a (bool) mask node into static and runtime conjuncts, and compute its static envelope. */
export function splitRuntime(ir: IrProgram, maskId: number): RuntimeSplit {
  const flags = runtimeFlags(ir);
  const b = IrBuilder.from(ir.nodes);
  const conjuncts: number[] = [];
  const stack = [maskId];
  while (stack.length > 0) {
    const id = stack.pop()!;
    const n = ir.nodes[id]!;
    if (n.kind === 'op' && n.op === 'and') stack.push(...n.args);
    else conjuncts.push(id);
  }
  const staticIds = conjuncts.filter((c) => !flags[c]).sort((x, y) => x - y);
  const runtimeIds = conjuncts.filter((c) => flags[c]).sort((x, y) => x - y);
  const conj = (ids: number[]) => ids.reduce((acc, id) => b.op('and', [acc, id]), b.bool(true));
  const staticPart = conj(staticIds);
  const runtimePart = runtimeIds.length > 0 ? conj(runtimeIds) : null;

  // envelope(n, +) over-approximates n, envelope(n, -) under-approximates it.
  const memo = new Map<string, number>();
  const envelope = (id: number, positive: boolean): number => {
    if (!flags[id]) return id;
    const key = `${id}:${positive}`;
    const cached = memo.get(key);
    if (cached !== undefined) return cached;
    const n = ir.nodes[id]!;
    let out: number;
    if (n.kind === 'op' && (n.op === 'and' || n.op === 'or')) {
      out = b.op(n.op, n.args.map((a) => envelope(a, positive)));
    } else if (n.kind === 'op' && n.op === 'not') {
      out = b.op('not', [envelope(n.args[0]!, !positive)]);
    } else if (n.kind === 'op' && n.op === 'select' && n.type === 'bool' && !flags[n.args[0]!]) {
      out = b.op('select', [n.args[0]!, envelope(n.args[1]!, positive), envelope(n.args[2]!, positive)]);
    } else if (n.kind === 'op' && n.op === 'select' && n.type === 'bool') {
      const x = envelope(n.args[1]!, positive), y = envelope(n.args[2]!, positive);
      out = b.op(positive ? 'or' : 'and', [x, y]);
    } else {
      // A runtime atom (member, topk_blocks, comparison of runtime values): unknown.
      out = b.bool(positive);
    }
    memo.set(key, out);
    return out;
  };
  const env = envelope(maskId, true);
  return { ir: { ...ir, nodes: b.nodes }, staticPart, runtimePart, envelope: env };
}

/** The static envelope of every rule's mask (see splitRuntime). */
export function staticEnvelopes(ir: IrProgram): { ir: IrProgram; envelopes: number[] } {
  let cur = ir;
  const envelopes: number[] = [];
  for (const rule of ir.rules) {
    const s = splitRuntime(cur, rule.mask);
    cur = s.ir;
    envelopes.push(s.envelope);
  }
  return { ir: cur, envelopes };
}
