// Node loader of the WGSL attention skeleton sources and runtime helper shaders beside this file.
import { readFileSync } from 'node:fs';
import type { AttentionSkeletonSources } from './attention_fwd.ts';

function read(name: string): string {
  return readFileSync(new URL(`./${name}`, import.meta.url), 'utf8');
}

export function loadAttentionSkeleton(): AttentionSkeletonSources {
  return {
    body: read('attention_fwd.wgsl'),
    rowReduceSubgroup: read('row_reduce_subgroup.wgsl'),
    rowReduceWorkgroup: read('row_reduce_workgroup.wgsl'),
  };
}

/** The runtime helper shaders in helpers/ (lsh buckets, top-k key blocks, runtime schedules). */
export function loadPatternHelpers(): { lshBuckets: string; topkBlocks: string; tileMinmax: string; sortedList: string; scheduleBuild: string; rowPermute: string; rowGather: string; rowTensors: string } {
  return {
    lshBuckets: read('helpers/lsh_buckets.wgsl'), topkBlocks: read('helpers/topk_blocks.wgsl'),
    tileMinmax: read('helpers/tile_minmax.wgsl'), sortedList: read('helpers/sorted_list.wgsl'), scheduleBuild: read('helpers/schedule_build.wgsl'),
    rowPermute: read('helpers/row_permute.wgsl'), rowGather: read('helpers/row_gather.wgsl'), rowTensors: read('helpers/row_tensors.wgsl'),
  };
}
