// The pattern-level parts of the launch metadata, shared by the CUDA and WGSL backends:
// table files, runtime inputs, constants, and the helper steps that run before attention.
import type { IrProgram } from '../../src/ir/schema.ts';
import { tableBytes, type EmittedFile } from '../files.ts';
import type { LoweredPattern } from '../lower/pattern.ts';
import type { LaunchMetadata, LaunchStep, RuntimeInput, Table } from './schema.ts';

export interface PatternMetadataParts {
  tableFiles: EmittedFile[];
  tables: Table[];
  inputs: RuntimeInput[];
  constants: Record<string, number | boolean | string>;
  helperSteps: LaunchStep[];
  helpers: LaunchMetadata['helpers'];
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
        inputs.push({ name: decl.name, buffer: b.name, dtype, shape: b.shape, source: lsh ? 'lsh' : 'given', ...(lsh ? { lsh } : {}) });
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
  return { tableFiles, tables, inputs, constants, helperSteps, helpers };
}
