// Dispatch on (l, h): which rule (for `mask`) or which schedule class (for the schedule hooks)
// applies to a layer/head pair. Few distinct groups become a switch over l * H + h when the
// pairs are few, otherwise a small static table indexed by l * H + h.
import { add, clampInt, mul } from './build.ts';
import { int, ref, type LBuffer, type LExpr, type LStmt } from './ir.ts';

export interface Dispatch {
  /** Statements that compute the group index into `name` (empty when there is one group). */
  stmts: LStmt[];
  /** The group index expression (a literal when there is one group). */
  index: LExpr;
  /** A static table buffer to write beside the kernel, when a table is used. */
  table: LBuffer | null;
}

const SWITCH_LIMIT = 64;

/**
 * `groupOf[l * H + h]` is the group of each pair. Produces code that computes it from the hook
 * arguments `l` and `h`.
 */
export function lowerDispatch(groupOf: number[], H: number, tableName: string, resultName: string): Dispatch {
  const groups = [...new Set(groupOf)];
  if (groups.length <= 1) return { stmts: [], index: int(groups[0] ?? 0), table: null };
  const pair = add(mul(clampInt(ref('l', 'int'), 0, groupOf.length / H - 1), int(H)), clampInt(ref('h', 'int'), 0, H - 1));
  if (groupOf.length <= SWITCH_LIMIT) {
    return { stmts: [{ kind: 'let', name: resultName, type: 'int', value: pair }], index: ref(resultName, 'int'), table: null };
  }
  const table: LBuffer = {
    name: tableName, elem: 'int', length: groupOf.length, shape: [groupOf.length],
    source: { kind: 'table', userName: tableName, data: groupOf }, batched: false,
  };
  return {
    stmts: [{ kind: 'let', name: resultName, type: 'int', value: { kind: 'load', type: 'int', buffer: tableName, index: pair } }],
    index: ref(resultName, 'int'),
    table,
  };
}

/**
 * A switch over the dispatch: each group's body; with the switch form the cases list the
 * pair indices (l * H + h) of the group; with the table form they list the group number.
 */
export function dispatchSwitch(d: Dispatch, groupOf: number[], bodies: Map<number, LStmt[]>): LStmt[] {
  const groups = [...bodies.keys()];
  if (groups.length === 1) return [...d.stmts, ...bodies.get(groups[0])!];
  const useTable = d.table !== null;
  const last = groups[groups.length - 1];
  const cases = groups.slice(0, -1).map((g) => ({
    values: useTable ? [g] : groupOf.flatMap((x, i) => (x === g ? [i] : [])),
    body: bodies.get(g)!,
  }));
  return [...d.stmts, { kind: 'switch', on: d.index, cases, otherwise: bodies.get(last)! }];
}
