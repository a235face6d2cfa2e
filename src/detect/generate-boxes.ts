/**
 * facenet-pytorch's generateBoundingBox for one image and one pyramid level: every P-Net cell whose
 * face probability is >= threshold becomes the 12x12 window it looks at, mapped back to the image:
 * [floor((2x + 1) / scale), floor((2y + 1) / scale), floor((2x + 12) / scale), floor((2y + 12) / scale)],
 * followed by the score and the cell's four regression values. Cells are visited row by row, the
 * order of torch.nonzero. Arithmetic in float32 as the reference (the scale is a float32 operand).
 */
import type { BoxRows } from '../math/boxes.js';

const STRIDE = 2;
const CELL = 12;

/**
 * prob: face probability [h, w]; reg: regression [4, h, w] (both row-major float32).
 * Returns rows [x1, y1, x2, y2, score, dx1, dy1, dx2, dy2].
 */
export function generateBoxes(
  prob: Float32Array,
  reg: Float32Array,
  h: number,
  w: number,
  scale: number,
  threshold: number,
): BoxRows<Float32Array> {
  const plane = h * w;
  const s = Math.fround(scale);
  const thr = Math.fround(threshold);
  let n = 0;
  for (let i = 0; i < plane; i++) if (prob[i]! >= thr) n++;
  const out = new Float32Array(n * 9);
  let o = 0;
  for (let i = 0; i < plane; i++) {
    const p = prob[i]!;
    if (!(p >= thr)) continue;
    const y = Math.floor(i / w);
    const x = i - y * w;
    out[o] = Math.floor(Math.fround((STRIDE * x + 1) / s));
    out[o + 1] = Math.floor(Math.fround((STRIDE * y + 1) / s));
    out[o + 2] = Math.floor(Math.fround((STRIDE * x + CELL) / s));
    out[o + 3] = Math.floor(Math.fround((STRIDE * y + CELL) / s));
    out[o + 4] = p;
    out[o + 5] = reg[i]!;
    out[o + 6] = reg[plane + i]!;
    out[o + 7] = reg[2 * plane + i]!;
    out[o + 8] = reg[3 * plane + i]!;
    o += 9;
  }
  return { data: out, cols: 9 };
}
