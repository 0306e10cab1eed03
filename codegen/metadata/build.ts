// The pattern-level parts of the launch metadata, shared by the CUDA and WGSL backends:
// table files, runtime inputs, constants, and the helper steps that run before attention.
import type { IrProgram } from '../../src/ir/schema.ts';
import { tableBytes, type EmittedFile } from '../files.ts';
import type { LoweredPattern } from '../lower/pattern.ts';
import { PERMUTED_PREFIX, type RowSort } from '../lower/permutation.ts';
import type { LaunchMetadata, LaunchStep, PermutationInfo, RuntimeInput, Table } from './schema.ts';

/** Names of the row-sorted tensors (launch steps, loaders). */
export const SORTED_TENSORS = { q: 'q_sorted', k: 'k_sorted', v: 'v_sorted', out: 'out_sorted', lse: 'lse_sorted' } as const;

export interface PatternMetadataParts {
  tableFiles: EmittedFile[];
  tables: Table[];
  inputs: RuntimeInput[];
  constants: Record<string, number | boolean | string>;
  helperSteps: LaunchStep[];
  /** Steps after attention (the scatter of a row permutation). */
  afterSteps: LaunchStep[];
  helpers: LaunchMetadata['helpers'];
  permutation?: PermutationInfo;
}

export function patternMetadataParts(ir: IrProgram, p: LoweredPattern): PatternMetadataParts {
  const tableFiles: EmittedFile[] = [];
  const tables: Table[] = [];
  const inputs: RuntimeInput[] = [];
  const helperSteps: LaunchStep[] = [];
  const helpers: LaunchMetadata['helpers'] = [];
  for (const b of p.buffers) {
    const dtype = b.elem === 'float' ? 'f32' : 'i32';
    switch (b.source.kind) {
      case 'table': case 'random_blocks': {
        const file = `tables/${b.name}.bin`;
        tableFiles.push({ path: file, contents: tableBytes(b.source.data, b.elem) });
        const role = b.source.kind === 'random_blocks' ? 'random_blocks'
          : b.name === 'sched_csr' ? 'schedule' : b.name.endsWith('_of_pair') ? 'dispatch' : 'pattern_table';
        tables.push({ name: b.name, file, dtype, shape: b.shape, role, ...(b.source.kind === 'table' && role === 'pattern_table' ? { userName: b.source.userName } : {}) });
        break;
      }
      case 'input': {
        const decl = ir.inputs[b.source.inputIndex];
        const lsh = decl.source.kind === 'lsh' ? { of: decl.source.of, buckets: decl.source.buckets, seed: decl.source.seed } : undefined;
        const helper = decl.name.startsWith(PERMUTED_PREFIX); // a row_sort / row_gather output
        inputs.push({ name: decl.name, buffer: b.name, dtype, shape: b.shape, source: lsh ? 'lsh' : helper ? 'helper' : 'given', ...(lsh ? { lsh } : {}) });
        if (lsh) helperSteps.push({ kernel: 'lsh_buckets', reads: [lsh.of === 'Q' ? 'q' : 'k'], writes: [b.name] });
        break;
      }
      case 'topk_blocks': {
        helpers.push({ kind: 'topk_blocks', buffer: b.name, shape: b.shape, k: b.source.k, block: b.source.block, causal: b.source.causal });
        helperSteps.push({ kernel: 'topk_blocks', reads: ['q', 'k'], writes: [b.name] });
        break;
      }
    }
  }
  // row permutation (codegen/lower/permutation.ts): sort, gather, ..., attention, scatter
  const afterSteps: LaunchStep[] = [];
  let permutation: PermutationInfo | undefined;
  if (p.permutation) {
    const bufferOf = (input: string) => {
      const index = ir.inputs.findIndex((i) => i.name === input);
      const b = p.buffers.find((x) => x.source.kind === 'input' && x.source.inputIndex === index);
      if (!b) throw new Error(`${p.name}: no buffer for input ${input}`);
      return b.name;
    };
    const info = (s: RowSort): PermutationInfo['query'] => ({
      keyInput: s.keyInput, keyBuffer: bufferOf(s.keyInput), keyKind: s.keyKind, buckets: s.buckets,
      rowsDim: s.rowsDim, rows: s.rows, n: s.n, positions: bufferOf(s.positions),
      gathered: s.gathered.map((g) => ({ from: bufferOf(g.from), to: bufferOf(g.to) })),
    });
    const query = info(p.permutation.query), key = info(p.permutation.key);
    const t = SORTED_TENSORS;
    permutation = { query, key, kvHeads: p.permutation.kvHeads, sourceKvHeads: p.permutation.sourceKvHeads, tensors: { ...t } };
    for (const s of [query, key]) {
      helpers.push({ kind: 'row_sort', buffer: s.positions, shape: [s.rows, s.n], of: s.keyBuffer, rows: s.rows, n: s.n, keyKind: s.keyKind, buckets: s.buckets });
      helperSteps.push({ kernel: 'row_sort', reads: [s.keyBuffer], writes: [s.positions] });
    }
    helperSteps.push({ kernel: 'row_gather', reads: ['q', query.positions], writes: [t.q] });
    helperSteps.push({ kernel: 'row_gather', reads: ['k', key.positions], writes: [t.k] });
    helperSteps.push({ kernel: 'row_gather', reads: ['v', key.positions], writes: [t.v] });
    for (const s of [query, key]) {
      for (const g of s.gathered) {
        helpers.push({ kind: 'row_gather', buffer: g.to, shape: [s.rows, s.n], of: g.from, rows: s.rows, n: s.n, positions: s.positions });
        helperSteps.push({ kernel: 'row_gather', reads: [g.from, s.positions], writes: [g.to] });
      }
    }
    afterSteps.push({ kernel: 'row_scatter', reads: [t.out, t.lse, query.positions], writes: ['out', 'lse'] });
  }
  // runtime schedules: summaries of the runtime buffers, then the builder (codegen/lower/runtime.ts)
  const rt = p.runtime;
  if (rt) {
    for (const s of rt.summaries) {
      helpers.push({ kind: s.kind, buffer: s.buffer.name, shape: s.buffer.shape, of: s.of.name, rows: s.rows, n: s.n, ...(s.kind === 'tile_minmax' ? { tile: s.tile } : {}) });
      helperSteps.push({ kernel: s.kind, reads: [s.of.name], writes: [s.buffer.name] });
    }
    helpers.push({ kind: 'schedule_build', buffer: rt.schedule.name, shape: rt.schedule.shape, maxTiles: rt.maxTiles });
    helperSteps.push({ kernel: 'schedule_build', reads: p.buffers.filter((b) => b.name !== rt.schedule.name).map((b) => b.name), writes: [rt.schedule.name] });
  }
  const { Nq, Nk, H, Hkv, L } = p.sizes;
  const constants = {
    Nq, Nk, H, Hkv, L, BLOCK_M: p.tile.blockM, BLOCK_N: p.tile.blockN,
    NUM_Q_TILES: p.numQueryTiles, NUM_K_TILES: p.numKeyTiles, HAS_SCORE_MOD: p.hasScoreMod,
  };
  return { tableFiles, tables, inputs, constants, helperSteps, afterSteps, helpers, permutation };
}
