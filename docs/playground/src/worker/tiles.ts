// The tile map of one (layer, head): the analysis's picture of its class's tile map.
import type { TileMapView } from '../protocol.ts';
import { tilePicture } from './analysis.ts';
import type { CompiledPattern } from './compile.ts';

export function tileMap(compiled: CompiledPattern, l: number, h: number): { tiles?: TileMapView; unavailable?: string } {
  const classes = compiled.tileClasses?.(l, h);
  if (!classes) return { unavailable: 'no tile classes for this head' };
  const picture = tilePicture(classes);
  return {
    tiles: {
      l, h,
      tilesQ: classes.tilesQ,
      tilesK: classes.tilesK,
      tile: compiled.tile,
      width: picture.width,
      height: picture.height,
      classes: picture.codes,
    },
  };
}
