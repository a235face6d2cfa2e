/**
 * Where P-Net's pyramid levels come from: the image resampled with 'area' interpolation to
 * hs x ws and standardised, (v - 127.5) * 0.0078125, as a [1, 3, hs, ws] tensor. Two ways to the
 * same values (tested bit-exact against libtorch's interpolate):
 *
 * - summedAreaSource: exact integer window sums from a summed-area table built once per image, in
 *   typed arrays; ~3x cheaper than resampling the full image once per level. For images up to
 *   SUMMED_AREA_MAX_PIXELS.
 * - tensorSource: facenet-pytorch's own route, interpolate(mode='area') on a float copy of the
 *   image; for larger images, where the table would not fit an Int32Array's exact range.
 */
import { interpolate, tensor, tidy, type Tensor } from '../tensor/index.js';
import type { RgbImage } from '../io/image.js';
import type { SummedAreaTable } from '../math/area-resize.js';
import { standardizedLevel } from './pyramid-level.js';

export interface PyramidSource {
  readonly height: number;
  readonly width: number;
  /** The standardised level [1, 3, hs, ws]; the caller disposes it. */
  level(hs: number, ws: number): Tensor;
  dispose(): void;
}

export function summedAreaSource(img: RgbImage, table: SummedAreaTable): PyramidSource {
  return {
    height: img.height,
    width: img.width,
    level: (hs, ws) => tensor(standardizedLevel(img, table, hs, ws), [1, 3, hs, ws]),
    dispose() {},
  };
}

export function tensorSource(img: RgbImage): PyramidSource {
  // [1, 3, H, W] float32 with channels_last strides, as facenet-pytorch's permuted batch; the uint8 copy is freed at once.
  const image = tidy(() => tensor(img.data, [1, img.height, img.width, 3]).permute(0, 3, 1, 2).float());
  return {
    height: img.height,
    width: img.width,
    level: (hs, ws) => tidy(() => interpolate(image, [hs, ws], 'area').sub(127.5).mul(0.0078125)),
    dispose: () => image.dispose(),
  };
}
