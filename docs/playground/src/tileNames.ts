// Names and colours of the tile codes of src/analysis/tilemap.ts (EMPTY, FULL, PARTIAL,
// PARTIAL_UNDECIDED, PARTIAL_RUNTIME), shared by the page and the worker.
export const TILE_COLOURS = ['#eef1f5', '#2f5fbf', '#f2a93b', '#f7cf8e', '#b07cc6'] as const;
export const TILE_NAMES = ['empty', 'full', 'partial', 'partial (not decided statically)', 'partial (decided at run time)'] as const;
