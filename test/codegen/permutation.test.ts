// The row permutation (codegen/lower/permutation.ts) on the host: the permuted program run by the
// float64 reference over gathered Q/K/V, with O and LSE scattered back, equals the original
// program; the lowered tile classifier over sorted rows visits far fewer tiles than the
// unpermuted schedule; patterns that do not qualify are left alone.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scheduleFromAnalysis } from '../../codegen/lower/fromAnalysis.ts';
import { lowerPattern } from '../../codegen/lower/pattern.ts';
import { permuteRows } from '../../codegen/lower/permutation.ts';
import { permuteProblem, scatterRows } from '../../codegen/lower/permutationHost.ts';
import { buildRows, staticBuffers, withSummaries } from '../../codegen/lower/runtimeHost.ts';
import { compileToIr } from '../../src/api.ts';
import type { IrProgram, Sizes } from '../../src/ir/schema.ts';
import { nodeReadFile } from '../../src/node.ts';
import { attentionReference } from '../../src/reference/attention.ts';
import { exampleInputs, randomQkv } from '../../src/reference/inputs.ts';

const ROOT = resolve(import.meta.dirname, '../..');

function irOf(source: string, sizes: Partial<Sizes>, file = 'inline.attn'): IrProgram {
  const { ir, diagnostics } = compileToIr(source, { file, readFile: nodeReadFile, sizes });
  if (!ir) throw new Error(diagnostics.map((d) => d.message).join('; '));
  return ir;
}
const pattern = (name: string, sizes: Partial<Sizes>) => irOf(readFileSync(join(ROOT, 'patterns', `${name}.attn`), 'utf8'), sizes, join(ROOT, 'patterns', `${name}.attn`));

function checkAgainstReference(ir: IrProgram, B: number, D: number, seed: number): { emptyRows: number } {
  const perm = permuteRows(ir);
  expect(perm).not.toBeNull();
  const { H, Hkv, Nq, Nk } = ir.sizes;
  const qkv = randomQkv(ir.sizes, D, B, seed);
  const given = exampleInputs(ir, ir.sizes, seed + 1, B);
  const want = attentionReference({ ...qkv, B, H, Hkv, Nq, Nk, D, ir, inputs: given, layer: 0 });
  const run = permuteProblem(ir, perm!.permutation, given, qkv, B, D);
  const p = perm!.ir;
  const got = attentionReference({ q: run.q, k: run.k, v: run.v, B, H, Hkv: p.sizes.Hkv, Nq, Nk, D, ir: p, inputs: run.inputs, layer: 0 });
  const out = scatterRows(got.out, run.posQ, run.posQBatches, B, H, Nq, D);
  const lse = scatterRows(got.lse, run.posQ, run.posQBatches, B, H, Nq, 1);
  let emptyRows = 0;
  for (let i = 0; i < want.lse.length; i++) {
    if (want.lse[i] === -Infinity) { emptyRows++; expect(lse[i]).toBe(-Infinity); continue; }
    expect(Math.abs(lse[i]! - want.lse[i]!)).toBeLessThan(1e-9);
  }
  for (let i = 0; i < want.out.length; i++) expect(Math.abs(out[i]! - want.out[i]!)).toBeLessThan(1e-9);
  return { emptyRows };
}

describe('row permutation', () => {
  it('scfa_hash: sorted by (bucket, position), exact against the reference (GQA, batch 2, odd N)', () => {
    const ir = pattern('scfa_hash', { Nq: 53, Nk: 53, H: 4, Hkv: 2 });
    const perm = permuteRows(ir)!;
    expect(perm.permutation.query).toMatchObject({ keyInput: 'q_bucket', keyKind: 'bucket', buckets: 16, rowsDim: 'H' });
    expect(perm.permutation.key).toMatchObject({ keyInput: 'k_bucket', rowsDim: 'Hkv' });
    expect(perm.permutation.kvHeads).toBe(2);
    checkAgainstReference(ir, 2, 8, 5);
  });

  it('scfa_qk_drop: kept rows first, GQA keys expanded per query head, dropped queries give empty rows', () => {
    const ir = pattern('scfa_qk_drop', { Nq: 61, Nk: 61, H: 4, Hkv: 2 });
    const perm = permuteRows(ir)!;
    expect(perm.permutation.query).toMatchObject({ keyInput: 'keep_q', keyKind: 'keep', buckets: 2, rowsDim: 'H' });
    expect(perm.permutation.kvHeads).toBe(4);
    expect(perm.ir.sizes.Hkv).toBe(4);
    const { emptyRows } = checkAgainstReference(ir, 2, 8, 9);
    expect(emptyRows).toBeGreaterThan(0);
  });

  it('a score modifier over q - k reads original positions', () => {
    const ir = irOf('sizes Nq = 40, Nk = Nq, H = 2, Hkv = 1, L = 1\ninput keep_q: bool[H, Nq]\ninput keep_k: bool[H, Nk]\n'
      + 'mask = causal and keep_q[h, q] and keep_k[h, k]\nscore = s - 0.1 * (q - k)\n', {});
    expect(permuteRows(ir)).not.toBeNull();
    checkAgainstReference(ir, 2, 4, 3);
  });

  it('for all sizes, head groupings, batches and sort inputs: the permuted program equals the original', () => {
    const shapes = [
      (n: number, H: number, Hkv: number, b: number) => `sizes Nq = ${n}, Nk = Nq, H = ${H}, Hkv = ${Hkv}, L = 1\ninput qbucket: int[H, Nq] = lsh(Q, buckets = ${b}, seed = 3)\n`
        + `input kbucket: int[Hkv, Nk] = lsh(K, buckets = ${b}, seed = 3)\nmask = causal and qbucket[h, q] == kbucket[hkv, k]\n`,
      (n: number, H: number, Hkv: number) => `sizes Nq = ${n}, Nk = Nq, H = ${H}, Hkv = ${Hkv}, L = 1\ninput kq: bool[H, Nq]\ninput kk: bool[H, Nk]\n`
        + 'mask = (k <= q and kq[h, q] and kk[h, k]) or k == 0\nscore = s + 0.01 * (q - k)\n',
      (n: number, H: number, Hkv: number) => `sizes Nq = ${n}, Nk = Nq, H = ${H}, Hkv = ${Hkv}, L = 1\ninput kq: bool[H, Nq]\ninput kk: bool[Hkv, Nk]\n`
        + 'mask = q - k < 9 and k <= q and kq[h, q] and kk[hkv, k]\n',
    ];
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 40 }), fc.constantFrom([1, 1], [2, 1], [4, 2], [3, 3]), fc.integer({ min: 1, max: 2 }),
      fc.constantFrom(2, 4, 8), fc.integer({ min: 0, max: 1000 }),
      (shape, n, [H, Hkv], B, buckets, seed) => {
        checkAgainstReference(irOf(shapes[shape]!(n, H!, Hkv!, buckets), {}), B, 4, seed);
      },
    ), { numRuns: 40 });
  });

  it('patterns without per-row sort inputs are not permuted', () => {
    for (const name of ['packed_documents', 'sparsek', 'seer_attention']) expect(permuteRows(pattern(name, { Nq: 64, Nk: 64 }))).toBeNull();
    expect(permuteRows(irOf('sizes Nq = 32, Nk = Nq, H = 2, Hkv = 2, L = 1\nmask = causal\n', {}))).toBeNull();
    // a rule without the sort inputs keeps its static schedule: no permutation
    expect(permuteRows(irOf('sizes Nq = 32, Nk = Nq, H = 2, Hkv = 2, L = 1\ninput kq: bool[H, Nq]\ninput kk: bool[H, Nk]\n'
      + 'mask {\n  heads 0: causal and kq[h, q] and kk[h, k]\n  otherwise: causal\n}\n', {}))).toBeNull();
    // two sort inputs on one side: no permutation
    expect(permuteRows(irOf('sizes Nq = 32, Nk = Nq, H = 2, Hkv = 2, L = 1\ninput a: bool[H, Nq]\ninput b: bool[H, Nq]\ninput kk: bool[H, Nk]\n'
      + 'mask = causal and a[h, q] and b[h, q] and kk[h, k]\n', {}))).toBeNull();
  });

  it('the schedule over sorted rows visits a fraction of the unpermuted tiles', () => {
    const tile = { blockM: 16, blockN: 16 };
    for (const [name, bound] of [['scfa_hash', 0.25], ['scfa_qk_drop', 0.75]] as const) {
      const ir = pattern(name, { Nq: 1024, Nk: 1024, H: 2, Hkv: 2 });
      const B = 1, D = 16;
      const p = lowerPattern(ir, { tile, schedule: scheduleFromAnalysis(ir, ir.sizes, tile)!.schedule });
      expect(p.permutation).toBeDefined();
      const qkv = randomQkv(ir.sizes, D, B, 7);
      const given = exampleInputs(ir, ir.sizes, 8, B);
      const run = permuteProblem(ir, p.permutation!, given, qkv, B, D);
      const data = { ...staticBuffers(p) } as Record<string, ArrayLike<number>>;
      const bstride: Record<string, number> = {};
      for (const buf of p.buffers) {
        if (buf.source.kind !== 'input') continue;
        const x = run.inputs[p.ir.inputs[buf.source.inputIndex]!.name];
        if (!x) continue; // an lsh source: only the helpers read it
        data[buf.name] = x;
        bstride[buf.name] = x.length === buf.length ? 0 : buf.length;
      }
      const s = withSummaries(p, data, bstride, B);
      const rows = buildRows(p, s.data, s.bstride, B, 0);
      const visited = rows.flat(3).length;
      const nt = Math.ceil(1024 / 16);
      const causal = 2 * (nt * (nt + 1)) / 2;
      expect(visited / causal).toBeLessThan(bound);
    }
  });
});
