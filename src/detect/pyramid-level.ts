/**
 * One P-Net pyramid level in plain typed arrays: the image resampled to hs x ws with 'area'
 * interpolation and standardised, (v - 127.5) * 0.0078125, as [3, hs, ws] row-major float32.
 * From the image's summed-area table when there is one (exact integer window sums, ~3x cheaper),
 * else by direct window averaging; both give libtorch's interpolate(mode='area') values.
 */
import { areaResizeWindow, type SummedAreaTable } from '../math/area-resize.js';
import type { RgbImage } from '../io/image.js';

export function standardizedLevel(img: RgbImage, table: SummedAreaTable | null, hs: number, ws: number): Float32Array {
  const data = new Float32Array(3 * hs * ws);
  const whole = { x0: 0, y0: 0, x1: img.width, y1: img.height };
  if (table) table.resizeWindow(whole, hs, ws, data);
  else areaResizeWindow(img.data, img.width, img.height, 3, whole, hs, ws, data);
  for (let i = 0; i < data.length; i++) data[i] = (data[i]! - 127.5) * 0.0078125;
  return data;
}
