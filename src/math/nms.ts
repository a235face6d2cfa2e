/**
 * Non-maximum suppression in the two flavours the MTCNN references use.
 *
 * facenet (src/align/detect_face.py, `nms`) uses +1 pixel-inclusive areas everywhere:
 *   - 0.5 'Union' within each pyramid scale, 0.7 'Union' across scales, 0.7 'Union' after R-Net,
 *     0.7 'Min' after O-Net                                          -> nmsFacenet
 * facenet-pytorch (models/utils/detect_face.py) uses torchvision's batched_nms (IoU without +1,
 * grouped by image index) except for its last stage:
 *   - 0.5 within each scale, 0.7 across scales, 0.7 after R-Net      -> batchedNmsTorchvision
 *   - 0.7 'Min' after O-Net, via its own batched_nms_numpy (+1 areas) -> batchedNmsFacenetPytorch
 *
 * All functions return indices of kept rows in the order they were kept (highest score first).
 * Deliberate difference: numpy's argsort and torch's sort are not guaranteed stable, so equal
 * scores may be visited in another order there; here ties are broken deterministically (facenet
 * flavour: the later row is visited first; torchvision flavour: the earlier row first, as a stable
 * descending sort).
 */
import { FacenetError } from '../errors.js';
import { rounderFor, rowCount, type BoxRows, type FloatArray } from './boxes.js';

export type NmsMethod = 'Union' | 'Min';

function checkScores(b: BoxRows): void {
  if (b.cols < 5) throw new FacenetError('BAD_ARGUMENT', `nms: rows need a score in column 4, got ${b.cols} columns`);
}

/**
 * facenet's detect_face.nms(boxes, threshold, method): visit boxes by ascending score from the end
 * (the best first), keep it, and drop every remaining box whose overlap with it is > threshold.
 * Overlaps use +1 areas; 'Min' divides by the smaller area. Float32 tables compute in float32 and
 * compare with float32(threshold), as numpy does for a float32 array against a Python float.
 */
export function nmsFacenet(b: BoxRows, threshold: number, method: NmsMethod): Int32Array {
  checkScores(b);
  const n = rowCount(b);
  const d = b.data;
  const c = b.cols;
  const r = rounderFor(d);
  const thr = r(threshold);
  const area = new Float64Array(n);
  for (let i = 0; i < n; i++) area[i] = r(r(r(d[i * c + 2]! - d[i * c]!) + 1) * r(r(d[i * c + 3]! - d[i * c + 1]!) + 1));
  let order = Array.from({ length: n }, (_, i) => i).sort((a, bb) => d[a * c + 4]! - d[bb * c + 4]! || a - bb);
  const pick: number[] = [];
  while (order.length > 0) {
    const i = order[order.length - 1]!;
    pick.push(i);
    const rest: number[] = [];
    for (let k = 0; k < order.length - 1; k++) {
      const j = order[k]!;
      const xx1 = Math.max(d[i * c]!, d[j * c]!);
      const yy1 = Math.max(d[i * c + 1]!, d[j * c + 1]!);
      const xx2 = Math.min(d[i * c + 2]!, d[j * c + 2]!);
      const yy2 = Math.min(d[i * c + 3]!, d[j * c + 3]!);
      const w = Math.max(0, r(r(xx2 - xx1) + 1));
      const h = Math.max(0, r(r(yy2 - yy1) + 1));
      const inter = r(w * h);
      const o = method === 'Min' ? r(inter / Math.min(area[i]!, area[j]!)) : r(inter / r(r(area[i]! + area[j]!) - inter));
      if (o <= thr) rest.push(j); // NaN overlaps are dropped too, as np.where(o <= threshold)
    }
    order = rest;
  }
  return Int32Array.from(pick);
}

/**
 * torchvision.ops.nms (CPU kernel): visit boxes by descending score, keep each one not yet
 * suppressed, and suppress later boxes whose IoU (no +1) with it is > threshold. The IoU is computed
 * in the table's precision and compared with the threshold as a double, as the C++ kernel does.
 */
export function nmsTorchvision(b: BoxRows, threshold: number): Int32Array {
  checkScores(b);
  const n = rowCount(b);
  const d = b.data;
  const c = b.cols;
  const r = rounderFor(d);
  const area = new Float64Array(n);
  for (let i = 0; i < n; i++) area[i] = r(r(d[i * c + 2]! - d[i * c]!) * r(d[i * c + 3]! - d[i * c + 1]!));
  const order = Array.from({ length: n }, (_, i) => i).sort((a, bb) => d[bb * c + 4]! - d[a * c + 4]! || a - bb);
  const suppressed = new Uint8Array(n);
  const keep: number[] = [];
  for (let oi = 0; oi < n; oi++) {
    const i = order[oi]!;
    if (suppressed[i]) continue;
    keep.push(i);
    for (let oj = oi + 1; oj < n; oj++) {
      const j = order[oj]!;
      if (suppressed[j]) continue;
      const w = Math.max(0, r(Math.min(d[i * c + 2]!, d[j * c + 2]!) - Math.max(d[i * c]!, d[j * c]!)));
      const h = Math.max(0, r(Math.min(d[i * c + 3]!, d[j * c + 3]!) - Math.max(d[i * c + 1]!, d[j * c + 1]!)));
      const inter = r(w * h);
      const ovr = r(inter / r(r(area[i]! + area[j]!) - inter));
      if (ovr > threshold) suppressed[j] = 1;
    }
  }
  return Int32Array.from(keep);
}

/** boxes + group * (max coordinate + 1), the "coordinate trick" both batched NMS versions use. */
function offsetByGroup(b: BoxRows, groups: ArrayLike<number>): BoxRows {
  const n = rowCount(b);
  if (groups.length !== n) {
    throw new FacenetError('SHAPE_MISMATCH', `batched nms: ${n} boxes but ${groups.length} group ids`);
  }
  const r = rounderFor(b.data);
  let max = -Infinity;
  for (let i = 0; i < n; i++) for (let k = 0; k < 4; k++) max = Math.max(max, b.data[i * b.cols + k]!);
  const out: FloatArray = b.data.slice();
  for (let i = 0; i < n; i++) {
    const off = r(r(groups[i]!) * r(max + 1));
    for (let k = 0; k < 4; k++) out[i * b.cols + k] = out[i * b.cols + k]! + off;
  }
  return { data: out, cols: b.cols };
}

export interface BatchedNmsOptions {
  /**
   * torchvision switches from the coordinate trick to a per-group loop above 4000 box coordinates
   * on CPU (20000 on CUDA); both keep the same boxes up to float rounding of the offsets, and the
   * order of the result is by descending score either way. Default 4000 (CPU).
   */
  readonly perGroupAboveCoords?: number;
}

/** torchvision.ops.batched_nms(boxes, scores, groups, threshold): NMS separately per group id. */
export function batchedNmsTorchvision(
  b: BoxRows,
  groups: ArrayLike<number>,
  threshold: number,
  options: BatchedNmsOptions = {},
): Int32Array {
  checkScores(b);
  const n = rowCount(b);
  if (n === 0) return new Int32Array(0);
  if (n * 4 <= (options.perGroupAboveCoords ?? 4000)) return nmsTorchvision(offsetByGroup(b, groups), threshold);
  if (groups.length !== n) {
    throw new FacenetError('SHAPE_MISMATCH', `batched nms: ${n} boxes but ${groups.length} group ids`);
  }
  const byGroup = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const list = byGroup.get(groups[i]!) ?? [];
    list.push(i);
    byGroup.set(groups[i]!, list);
  }
  const kept: number[] = [];
  for (const members of byGroup.values()) {
    const sub = new (b.data.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(members.length * b.cols);
    members.forEach((m, k) => sub.set(b.data.subarray(m * b.cols, (m + 1) * b.cols), k * b.cols));
    for (const k of nmsTorchvision({ data: sub, cols: b.cols }, threshold)) kept.push(members[k]!);
  }
  kept.sort((a, bb) => b.data[bb * b.cols + 4]! - b.data[a * b.cols + 4]! || a - bb);
  return Int32Array.from(kept);
}

/**
 * facenet-pytorch's batched_nms_numpy(boxes, scores, groups, threshold, method): the coordinate
 * trick, then facenet's +1-area nms (nms_numpy). Used only after O-Net, with 'Min' and 0.7.
 * Quirk kept from the reference: with negative coordinates, +1 areas can make boxes of adjacent
 * groups overlap by a pixel after the offset.
 */
export function batchedNmsFacenetPytorch(
  b: BoxRows,
  groups: ArrayLike<number>,
  threshold: number,
  method: NmsMethod,
): Int32Array {
  checkScores(b);
  if (rowCount(b) === 0) return new Int32Array(0);
  return nmsFacenet(offsetByGroup(b, groups), threshold, method);
}
