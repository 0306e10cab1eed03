// Names and colours of the tile codes of src/analysis/tilemap.ts (EMPTY, FULL, PARTIAL,
// PARTIAL_UNDECIDED, PARTIAL_RUNTIME): the analysis's own palette, as in `attnc analyze` pictures.
import { TILE_COLORS } from '../../../src/analysis/render.ts';

export const TILE_COLOURS = TILE_COLORS.map(([r, g, b]) => `rgb(${r}, ${g}, ${b})`);
export const TILE_RGB = TILE_COLORS;
export const TILE_NAMES = ['empty', 'full', 'partial', 'partial (not decided statically)', 'partial (decided at run time)'] as const;
