// Why is (q, k) allowed? Finds the rule of (layer, head), splits its mask at the top-level `or`
// (or `and`), and evaluates each operand at (q, k) with the reference evaluator, one level
// deeper for an `or` inside an `and` (`causal and (sinks(4) or window(1024))`).
import { evalMask } from '../../../../src/reference/index.ts';
import type { IrProgram } from '../../../../src/ir/schema.ts';
import { flatten, irText, opOf } from '../irText.ts';
import type { ExplainedPart, Explanation } from '../protocol.ts';
import { TILE_NAMES } from '../tileNames.ts';
import type { CompiledPattern } from './compile.ts';

/** At most this many operands are listed per level. */
const MAX_PARTS = 8;

export function explain(compiled: CompiledPattern, l: number, h: number, q: number, k: number): Explanation {
  const { ir, evaluator } = compiled;
  const rule = evaluator.rule(l, h);
  const ruleIndex = ir.rules.indexOf(rule);
  const allowed = evaluator.element(l, h)(q, k);
  const valueOf = (node: number) => nodeValue(compiled, ruleIndex, node, l, h)(q, k);
  const part = (node: number, depth: number): ExplainedPart => {
    const value = node === rule.mask ? allowed : valueOf(node);
    const kind = opOf(ir, node);
    if (!kind || depth >= 2) return { text: irText(ir, node), value };
    const operands = flatten(ir, node, kind).slice(0, MAX_PARTS);
    return { text: irText(ir, node), value, kind, children: operands.map((child) => part(child, depth + 1)) };
  };
  const tiles = compiled.tileClasses?.(l, h);
  const qt = Math.floor(q / compiled.tile.m);
  const kt = Math.floor(k / compiled.tile.n);
  const cls = tiles ? TILE_NAMES[tiles.classAt(qt, kt)] ?? 'unknown' : 'not analysed';
  return {
    l, h, q, k, allowed,
    rule: compiled.summary.rules[ruleIndex] ?? { selector: 'mask' },
    root: part(rule.mask, 0),
    tile: { qt, kt, cls },
  };
}

/**
 * The value of one sub-expression of the mask as a predicate over (q, k), through the public
 * evaluator: the same program with the rule's mask pointed at the sub-expression.
 */
function nodeValue(compiled: CompiledPattern, ruleIndex: number, node: number, l: number, h: number): (q: number, k: number) => boolean {
  const key = `${ruleIndex}:${node}:${l}:${h}`;
  let f = compiled.explainCache.get(key);
  if (!f) {
    const rules = compiled.ir.rules.map((r, i) => (i === ruleIndex ? { ...r, mask: node } : r));
    const program: IrProgram = { ...compiled.ir, rules };
    f = evalMask(program, { inputs: compiled.inputs, qk: compiled.qk }).element(l, h);
    compiled.explainCache.set(key, f);
  }
  return f;
}
