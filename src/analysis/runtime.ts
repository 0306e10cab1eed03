// Analysis stage, step 5c: what a runtime pattern needs built on the device before the kernel
// runs (top-k block selection, document tile ranges, bucket sorts, keep lists), read off the
// runtime atoms of the folded mask, with size and work estimates per batch element and head.
import type { AnalysisContext } from './context.ts';
import type { IrProgram } from '../ir/schema.ts';
import type { RuntimeBuild } from './schema.ts';
import { ceilDiv } from '../reference/int.ts';

export function runtimeBuilds(ctx: AnalysisContext, ir: IrProgram, root: number): RuntimeBuild[] {
  const { pool, Nq, Nk, nqt, nkt } = ctx;
  const builds = new Map<string, RuntimeBuild>();
  const seen = new Set<number>();
  const inputNames = (id: number, acc: Set<string>) => {
    const n = pool.nodes[id]!;
    if (n.kind === 'input' || n.kind === 'member') acc.add(n.name);
    if (n.kind === 'op' || n.kind === 'input' || n.kind === 'table') n.args.forEach((a) => inputNames(a, acc));
    if (n.kind === 'member') { inputNames(n.value, acc); n.args.forEach((a) => inputNames(a, acc)); }
    return acc;
  };
  const decl = (name: string) => ir.inputs.find((i) => i.name === name);
  const visit = (id: number) => {
    if (seen.has(id)) return;
    seen.add(id);
    const n = pool.nodes[id]!;
    if (n.kind === 'topk') {
      const nqb = ceilDiv(Nq, n.block), nkb = ceilDiv(Nk, n.block);
      const cand = n.causal ? (nqb * (nqb + 1)) / 2 : nqb * nkb;
      builds.set(`topk${n.k},${n.block},${n.causal}`, {
        kind: 'topk_selection', inputs: ['Q', 'K'],
        description: `topk_blocks(${n.k}, block = ${n.block}): pool Q and K per ${n.block}-block (means), score ${n.causal ? 'the causal' : 'all'} block pairs, keep the ${n.k} best key blocks per query block; the kernel visits the kept blocks (int32 list per query block)`,
        bytes: 4 * nqb * n.k,
        work: cand + (Nq + Nk),
      });
      return;
    }
    if (n.kind === 'member') {
      const d = decl(n.name);
      const last = d ? d.shape[d.shape.length - 1] : undefined;
      const len = typeof last === 'number' ? last : last ? sizeOf(ctx, ir, last) : 0;
      builds.set(`member${n.name}`, {
        kind: 'keep_list_compaction', inputs: [n.name],
        description: `\`x in ${n.name}[...]\`: compact the non-negative entries of ${n.name} per leading index and map them to key tiles, so that only tiles holding a listed key (or diagonal) are visited`,
        bytes: 4 * (len + nqt),
        work: len * nqt,
      });
    }
    if (n.kind === 'op' && (n.op === 'eq' || n.op === 'ne') && pool.runtime[id]) {
      const names = [...inputNames(id, new Set())];
      const lsh = names.filter((x) => decl(x)?.source.kind === 'lsh');
      if (lsh.length) {
        builds.set(`lsh${lsh.join()}`, {
          kind: 'bucket_sort', inputs: lsh,
          description: `LSH buckets (${lsh.join(', ')}): hash Q/K rows, sort positions by bucket and record per-tile bucket ranges; tiles whose query and key bucket ranges are disjoint are skipped`,
          bytes: 4 * (Nq + Nk) + 8 * (nqt + nkt),
          work: (Nq + Nk) * Math.ceil(Math.log2(Math.max(2, Nq + Nk))),
        });
      } else {
        builds.set(`doc${names.join()}`, {
          kind: 'doc_tile_ranges', inputs: names,
          description: `${names.join(', ')} compared across q and k (document ids): per query tile and key tile the min / max id; a tile is skipped when the ranges are disjoint and FULL when both are one equal id`,
          bytes: 8 * (nqt + nkt),
          work: Nq + Nk,
        });
      }
      return;
    }
    if (n.kind === 'input') {
      builds.set(`input${n.name}`, {
        kind: 'input_tile_summary', inputs: [n.name],
        description: `runtime input ${n.name}: read element-wise on partial tiles (no tile skipping derived from it)`,
        bytes: 0, work: 0,
      });
    }
    if (n.kind === 'op' || n.kind === 'input' || n.kind === 'table') n.args.forEach(visit);
    if (n.kind === 'member') { visit(n.value); n.args.forEach(visit); }
  };
  visit(root);
  return [...builds.values()];
}

function sizeOf(ctx: AnalysisContext, ir: IrProgram, name: string): number {
  if (name === 'Nq') return ctx.Nq;
  if (name === 'Nk') return ctx.Nk;
  return (ir.sizes as Record<string, number>)[name] ?? 0;
}
