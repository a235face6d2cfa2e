/**
 * Bounding-box helpers of the MTCNN detector, on row-major tables of boxes
 * [x1, y1, x2, y2, score, ...extra columns], as facenet's src/align/detect_face.py (numpy, float64)
 * and facenet-pytorch's models/utils/detect_face.py (torch, float32) compute them.
 *
 * Arithmetic follows the table's element type: on a Float32Array every operation is rounded to
 * float32 (Math.fround), as torch and numpy do on float32 data; on a Float64Array it is plain double
 * arithmetic. Functions never modify their input (facenet's rerec and bbreg work in place: here
 * they return a new table of the same type instead).
 */
import { FacenetError } from '../errors.js';

export type FloatArray = Float32Array | Float64Array;

/** A table of `data.length / cols` boxes, one per row of `cols` numbers. */
export interface BoxRows<T extends FloatArray = FloatArray> {
  readonly data: T;
  readonly cols: number;
}

/** Checks the layout (cols >= minCols, whole rows) and wraps it. */
export function boxRows<T extends FloatArray>(data: T, cols: number, minCols = 4): BoxRows<T> {
  if (!Number.isInteger(cols) || cols < minCols) {
    throw new FacenetError('BAD_ARGUMENT', `boxes: need at least ${minCols} columns per row, got ${cols}`);
  }
  if (data.length % cols !== 0) {
    throw new FacenetError('SHAPE_MISMATCH', `boxes: ${data.length} values are not whole rows of ${cols}`);
  }
  return { data, cols };
}

export function rowCount(b: BoxRows): number {
  return b.data.length / b.cols;
}

/** Math.fround for float32 tables, identity for float64 ones. */
export function rounderFor(data: FloatArray): (v: number) => number {
  return data instanceof Float32Array ? Math.fround : (v: number) => v;
}

function like<T extends FloatArray>(data: T, length: number): T {
  return (data instanceof Float32Array ? new Float32Array(length) : new Float64Array(length)) as T;
}

/** The rows at `indices`, in that order (numpy's boxes[pick]). */
export function selectRows<T extends FloatArray>(b: BoxRows<T>, indices: ArrayLike<number>): BoxRows<T> {
  const out = like(b.data, indices.length * b.cols);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    out.set(b.data.subarray(i * b.cols, (i + 1) * b.cols), k * b.cols);
  }
  return { data: out, cols: b.cols };
}

/** Area without the pixel-count +1: (x2-x1)*(y2-y1), as torchvision.ops.box_area (no clamping). */
export function boxArea(box: ArrayLike<number>): number {
  return (box[2]! - box[0]!) * (box[3]! - box[1]!);
}

/** facenet's pixel-inclusive area (x2-x1+1)*(y2-y1+1), used by detect_face.nms. */
export function boxAreaPlusOne(box: ArrayLike<number>): number {
  return (box[2]! - box[0]! + 1) * (box[3]! - box[1]! + 1);
}

/** Intersection over union without +1, as torchvision.ops.box_iou (0/0 gives NaN, as torch). */
export function iou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const w = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!));
  const h = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
  const inter = w * h;
  return inter / (boxArea(a) + boxArea(b) - inter);
}

/**
 * facenet's overlap with +1 areas: 'Union' = inter / (area_a + area_b - inter) (IoU),
 * 'Min' = inter / min(area_a, area_b).
 */
export function overlapPlusOne(a: ArrayLike<number>, b: ArrayLike<number>, method: 'Union' | 'Min'): number {
  const w = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!) + 1);
  const h = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!) + 1);
  const inter = w * h;
  const areaA = boxAreaPlusOne(a);
  const areaB = boxAreaPlusOne(b);
  return method === 'Min' ? inter / Math.min(areaA, areaB) : inter / (areaA + areaB - inter);
}

/**
 * rerec: turn each box into the square of side max(w, h) with the same centre, where (unlike the
 * areas) w = x2 - x1 and h = y2 - y1 have no +1. Same in both detect_face.py versions.
 */
export function rerec<T extends FloatArray>(b: BoxRows<T>): BoxRows<T> {
  const r = rounderFor(b.data);
  const out = b.data.slice() as T;
  for (let p = 0; p < out.length; p += b.cols) {
    const h = r(out[p + 3]! - out[p + 1]!);
    const w = r(out[p + 2]! - out[p]!);
    const l = Math.max(w, h);
    const x1 = r(r(out[p]! + r(w * 0.5)) - r(l * 0.5));
    const y1 = r(r(out[p + 1]! + r(h * 0.5)) - r(l * 0.5));
    out[p] = x1;
    out[p + 1] = y1;
    out[p + 2] = x1 + l;
    out[p + 3] = y1 + l;
  }
  return { data: out, cols: b.cols };
}

/**
 * bbreg: refine boxes with the R-Net / O-Net regression `reg` (row-major [n, 4], offsets as
 * fractions of the +1 width / height): x1 += reg0 * (x2 - x1 + 1), ..., y2 += reg3 * (y2 - y1 + 1).
 * Columns beyond the 4th (the score, ...) are kept.
 */
export function bbreg<T extends FloatArray>(b: BoxRows<T>, reg: ArrayLike<number>): BoxRows<T> {
  const n = rowCount(b);
  if (reg.length !== n * 4) {
    throw new FacenetError('SHAPE_MISMATCH', `bbreg: ${n} boxes need ${n * 4} regression values, got ${reg.length}`);
  }
  const r = rounderFor(b.data);
  const out = b.data.slice() as T;
  for (let i = 0; i < n; i++) {
    const p = i * b.cols;
    const w = r(r(out[p + 2]! - out[p]!) + 1);
    const h = r(r(out[p + 3]! - out[p + 1]!) + 1);
    const x1 = out[p]!;
    const y1 = out[p + 1]!;
    const x2 = out[p + 2]!;
    const y2 = out[p + 3]!;
    out[p] = x1 + r(reg[i * 4]! * w);
    out[p + 1] = y1 + r(reg[i * 4 + 1]! * h);
    out[p + 2] = x2 + r(reg[i * 4 + 2]! * w);
    out[p + 3] = y2 + r(reg[i * 4 + 3]! * h);
  }
  return { data: out, cols: b.cols };
}

/**
 * The P-Net stage's regression (inlined in both detect_face.py versions after the cross-scale NMS):
 * rows [x1, y1, x2, y2, score, dx1, dy1, dx2, dy2] become [x1 + dx1*w, ..., y2 + dy2*h, score] with
 * w = x2 - x1 and h = y2 - y1 WITHOUT the +1 that bbreg uses.
 */
export function pnetRegression<T extends FloatArray>(b: BoxRows<T>): BoxRows<T> {
  if (b.cols < 9) throw new FacenetError('BAD_ARGUMENT', `pnetRegression: need 9 columns, got ${b.cols}`);
  const r = rounderFor(b.data);
  const n = rowCount(b);
  const out = like(b.data, n * 5);
  for (let i = 0; i < n; i++) {
    const p = i * b.cols;
    const s = b.data;
    const regw = r(s[p + 2]! - s[p]!);
    const regh = r(s[p + 3]! - s[p + 1]!);
    out[i * 5] = s[p]! + r(s[p + 5]! * regw);
    out[i * 5 + 1] = s[p + 1]! + r(s[p + 6]! * regh);
    out[i * 5 + 2] = s[p + 2]! + r(s[p + 7]! * regw);
    out[i * 5 + 3] = s[p + 3]! + r(s[p + 8]! * regh);
    out[i * 5 + 4] = s[p + 4]!;
  }
  return { data: out, cols: 5 };
}
