/**
 * Turning detected boxes into integer crop windows: detect_face.pad (facenet and facenet-pytorch
 * versions) and the margin crops that facenet's align_dataset_mtcnn.py / compare.py and
 * facenet-pytorch's extract_face apply to a final detection. Float-to-int conversion truncates
 * toward zero, as numpy's astype(np.int32), torch's .trunc().int() and Python's int() do.
 */
import { FacenetError } from '../errors.js';
import { rowCount, type BoxRows } from './boxes.js';

/** Everything facenet's detect_face.pad returns; coordinates are 1-based, as in the MATLAB original. */
export interface FacenetPad {
  /** First row / column of the crop inside the (tmph x tmpw) target patch, 1-based. */
  readonly dy: Int32Array;
  readonly dx: Int32Array;
  /** Last row / column inside the target patch. */
  readonly edy: Int32Array;
  readonly edx: Int32Array;
  /** The source window in the image, clipped to [1, h] x [1, w]. */
  readonly y: Int32Array;
  readonly ey: Int32Array;
  readonly x: Int32Array;
  readonly ex: Int32Array;
  /** Patch size: trunc(x2 - x1 + 1), trunc(y2 - y1 + 1). */
  readonly tmpw: Int32Array;
  readonly tmph: Int32Array;
}

function checkSize(w: number, h: number, who: string): void {
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1) {
    throw new FacenetError('BAD_ARGUMENT', `${who}: image size must be positive integers, got ${w}x${h}`);
  }
}

/** facenet's detect_face.pad(total_boxes, w, h) for an image w pixels wide and h high. */
export function padFacenet(b: BoxRows, w: number, h: number): FacenetPad {
  checkSize(w, h, 'padFacenet');
  const n = rowCount(b);
  const p = {
    dy: new Int32Array(n), dx: new Int32Array(n), edy: new Int32Array(n), edx: new Int32Array(n),
    y: new Int32Array(n), ey: new Int32Array(n), x: new Int32Array(n), ex: new Int32Array(n),
    tmpw: new Int32Array(n), tmph: new Int32Array(n),
  };
  for (let i = 0; i < n; i++) {
    const o = i * b.cols;
    const d = b.data;
    p.tmpw[i] = Math.trunc(d[o + 2]! - d[o]! + 1);
    p.tmph[i] = Math.trunc(d[o + 3]! - d[o + 1]! + 1);
    p.dx[i] = 1;
    p.dy[i] = 1;
    p.edx[i] = p.tmpw[i]!;
    p.edy[i] = p.tmph[i]!;
    p.x[i] = Math.trunc(d[o]!);
    p.y[i] = Math.trunc(d[o + 1]!);
    p.ex[i] = Math.trunc(d[o + 2]!);
    p.ey[i] = Math.trunc(d[o + 3]!);
    // Same order as facenet: right and bottom edges first, then left and top.
    if (p.ex[i]! > w) {
      p.edx[i] = -p.ex[i]! + w + p.tmpw[i]!;
      p.ex[i] = w;
    }
    if (p.ey[i]! > h) {
      p.edy[i] = -p.ey[i]! + h + p.tmph[i]!;
      p.ey[i] = h;
    }
    if (p.x[i]! < 1) {
      p.dx[i] = 2 - p.x[i]!;
      p.x[i] = 1;
    }
    if (p.y[i]! < 1) {
      p.dy[i] = 2 - p.y[i]!;
      p.y[i] = 1;
    }
  }
  return p;
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

/**
 * facenet-pytorch's extract_face window: the margin is given in pixels of the OUTPUT image
 * (imageSize), so it is first rescaled to the box: margin * (x2 - x1) / (imageSize - margin)
 * horizontally and likewise vertically; then as marginCropBox.
 */
export function marginCropBoxPytorch(
  box: ArrayLike<number>,
  margin: number,
  imageSize: number,
  w: number,
  h: number,
): Int32Array {
  checkSize(w, h, 'marginCropBoxPytorch');
  if (!(imageSize > margin)) {
    throw new FacenetError('BAD_ARGUMENT', `marginCropBoxPytorch: imageSize (${imageSize}) must exceed margin (${margin})`);
  }
  const mx = (margin * (box[2]! - box[0]!)) / (imageSize - margin);
  const my = (margin * (box[3]! - box[1]!)) / (imageSize - margin);
  const bb = new Int32Array(4);
  bb[0] = Math.trunc(Math.max(box[0]! - mx / 2, 0));
  bb[1] = Math.trunc(Math.max(box[1]! - my / 2, 0));
  bb[2] = Math.trunc(Math.min(box[2]! + mx / 2, w));
  bb[3] = Math.trunc(Math.min(box[3]! + my / 2, h));
  return bb;
}
