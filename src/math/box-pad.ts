/**
 * Turning detected boxes into integer crop windows: detect_face.pad (facenet and facenet-pytorch
 * versions) and the margin crops that facenet's align_dataset_mtcnn.py / compare.py and
 * facenet-pytorch's extract_face apply to a final detection. Float-to-int conversion truncates
 * toward zero, as numpy's astype(np.int32), torch's .trunc().int() and Python's int() do.
 */
import { FacenetError } from '../errors.js';
import { rowCount, type BoxRows } from './boxes.js';

function checkSize(w: number, h: number, who: string): void {
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1) {
    throw new FacenetError('BAD_ARGUMENT', `${who}: image size must be positive integers, got ${w}x${h}`);
  }
}

/**
 * facenet-pytorch's pad(boxes, w, h): truncate, then clip x, y to >= 1 and ex, ey to <= w, h.
 * The crop is image[y-1 : ey, x-1 : ex] (0-based, end exclusive) and it is resized directly, with no
 * zero padding, so this deliberately differs from facenet's pad for boxes that leave the image.
 */
export function padFacenetPytorch(
  b: BoxRows,
  w: number,
  h: number,
): { y: Int32Array; ey: Int32Array; x: Int32Array; ex: Int32Array } {
  checkSize(w, h, 'padFacenetPytorch');
  const n = rowCount(b);
  const out = { y: new Int32Array(n), ey: new Int32Array(n), x: new Int32Array(n), ex: new Int32Array(n) };
  for (let i = 0; i < n; i++) {
    const o = i * b.cols;
    out.x[i] = Math.max(1, Math.trunc(b.data[o]!));
    out.y[i] = Math.max(1, Math.trunc(b.data[o + 1]!));
    out.ex[i] = Math.min(w, Math.trunc(b.data[o + 2]!));
    out.ey[i] = Math.min(h, Math.trunc(b.data[o + 3]!));
  }
  return out;
}

/**
 * facenet's crop window for a detection (align_dataset_mtcnn.py, compare.py): widen by margin/2 on
 * every side, clip to [0, w] x [0, h], truncate to int32. Returns [x1, y1, x2, y2] for
 * image[y1:y2, x1:x2].
 */
export function marginCropBox(box: ArrayLike<number>, margin: number, w: number, h: number): Int32Array {
  checkSize(w, h, 'marginCropBox');
  const bb = new Int32Array(4);
  bb[0] = Math.trunc(Math.max(box[0]! - margin / 2, 0));
  bb[1] = Math.trunc(Math.max(box[1]! - margin / 2, 0));
  bb[2] = Math.trunc(Math.min(box[2]! + margin / 2, w));
  bb[3] = Math.trunc(Math.min(box[3]! + margin / 2, h));
  return bb;
}
