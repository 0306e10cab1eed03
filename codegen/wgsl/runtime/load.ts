// Node loader of the WGSL attention skeleton sources that sit beside this file.
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
