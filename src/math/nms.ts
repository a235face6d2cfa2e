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
import { rounderFor, rowCount, type BoxRows } from './boxes.js';

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
