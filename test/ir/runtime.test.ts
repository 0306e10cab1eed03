// Static/runtime split and static envelopes.
import { describe, expect, it } from 'vitest';
import { compileToIr } from '../../src/api.ts';
import { irDependsOnRuntime, splitRuntime, staticEnvelopes } from '../../src/ir/runtime.ts';
import { formatIrExpr } from '../../src/ir/print.ts';
import type { IrProgram } from '../../src/ir/schema.ts';

const ir = (src: string): IrProgram => compileToIr(src).ir!;

describe('runtime split', () => {
  it('flags runtime nodes', () => {
    const p = ir('input doc: int[Nk]\nmask = causal and doc[k] == doc[q]');
    const mask = p.rules[0]!.mask;
    expect(irDependsOnRuntime(p, mask)).toBe(true);
    const causal = p.nodes.findIndex((n) => n.kind === 'op' && n.op === 'le');
    expect(irDependsOnRuntime(p, causal)).toBe(false);
  });

  it('splits top-level conjuncts', () => {
    const p = ir('input doc: int[Nk]\nmask = causal and window(64) and doc[k] == doc[q] and topk_blocks(4)');
    const s = splitRuntime(p, p.rules[0]!.mask);
    expect(formatIrExpr(s.ir, s.staticPart)).toBe('k <= q and q - 64 <= k');
    expect(formatIrExpr(s.ir, s.runtimePart!)).toBe('doc[k] == doc[q] and topk_blocks(k = 4, block = 64, causal = true)');
    expect(formatIrExpr(s.ir, s.envelope)).toBe('k <= q and q - 64 <= k');
  });

  it('over-approximates through or, not and if', () => {
    const p = ir('input vcols: int[H, 8]\nmask = causal and (k in vcols[h] or sinks(4)) and not (q - k) in vcols[h]');
    const s = splitRuntime(p, p.rules[0]!.mask);
    expect(formatIrExpr(s.ir, s.envelope)).toBe('k <= q');
    const { envelopes } = staticEnvelopes(p);
    expect(envelopes.length).toBe(1);
  });

  it('a static mask is its own envelope', () => {
    const p = ir('mask = causal or sinks(2)');
    const s = splitRuntime(p, p.rules[0]!.mask);
    expect(s.envelope).toBe(p.rules[0]!.mask);
    expect(s.runtimePart).toBeNull();
    expect(s.ir.nodes.length).toBeGreaterThanOrEqual(p.nodes.length);
  });
});
