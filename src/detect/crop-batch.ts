/**
 * The input batch of R-Net / O-Net: each candidate box is truncated and clipped to the image with
 * facenet-pytorch's pad() (x = max(1, trunc(x1)), ex = min(w, trunc(x2)), …), the window
 * image[y-1 : ey, x-1 : ex] is area-resampled to size x size (imresample) and standardised as
 * (v - 127.5) * 0.0078125. Done on the 8-bit pixels in typed arrays (see math/area-resize.ts),
 * which gives the reference's values exactly without one tensor slice per box.
 *
 * Deliberate difference: a box whose clipped window is empty (it lies wholly outside the image) is
 * left out and reported in `dropped`; the reference skips its crop but keeps the box, which
 * misaligns boxes and network outputs and then fails.
 */
import { areaResizeWindow, type SummedAreaTable } from '../math/area-resize.js';
import { padFacenetPytorch } from '../math/box-pad.js';
import { rowCount, type BoxRows } from '../math/boxes.js';
import type { RgbImage } from '../io/image.js';

export interface CropBatch {
  /** [n, 3, size, size] standardised, row-major. */
  data: Float32Array;
  /** Row indices (into the boxes) of the n crops, in order. */
  rows: Int32Array;
}

/** `table`, when given, is the image's summed-area table (same values, faster). */
export function cropBatch(img: RgbImage, boxes: BoxRows, size: number, table: SummedAreaTable | null = null): CropBatch {
  const n = rowCount(boxes);
  const { y, ey, x, ex } = padFacenetPytorch(boxes, img.width, img.height);
  const rows: number[] = [];
  for (let i = 0; i < n; i++) if (ey[i]! > y[i]! - 1 && ex[i]! > x[i]! - 1) rows.push(i);
  const per = 3 * size * size;
  const data = new Float32Array(rows.length * per);
  rows.forEach((i, k) => {
    const win = { x0: x[i]! - 1, y0: y[i]! - 1, x1: ex[i]!, y1: ey[i]! };
    if (table) table.resizeWindow(win, size, size, data, k * per);
    else areaResizeWindow(img.data, img.width, img.height, 3, win, size, size, data, k * per);
  });
  for (let k = 0; k < data.length; k++) data[k] = (data[k]! - 127.5) * 0.0078125;
  return { data, rows: Int32Array.from(rows) };
}
