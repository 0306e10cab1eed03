// The tile map of one (layer, head), from the analysis.
import type { TileMapView } from '../protocol.ts';
import type { CompiledPattern } from './compile.ts';

export function tileMap(compiled: CompiledPattern, l: number, h: number): { tiles?: TileMapView; unavailable?: string } {
  const classes = compiled.tileClasses?.(l, h);
  if (!classes) {
    return { unavailable: 'analysisView' in compiled && 'unavailable' in compiled.analysisView ? compiled.analysisView.unavailable : 'no tile classes for this head' };
  }
  return { tiles: { l, h, tilesQ: classes.tilesQ, tilesK: classes.tilesK, tile: compiled.tile, classes: classes.classes.slice() } };
}
