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

/** The runtime helper shaders (lsh buckets, top-k key blocks) in helpers/. */
export function loadPatternHelpers(): { lshBuckets: string; topkBlocks: string } {
  return { lshBuckets: read('helpers/lsh_buckets.wgsl'), topkBlocks: read('helpers/topk_blocks.wgsl') };
}
