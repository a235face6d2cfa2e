/**
 * Stages 2 (R-Net) and 3 (O-Net) of facenet-pytorch's detect_face for one image.
 *
 * R-Net: crop 24x24, keep probability > threshold, NMS 0.7 (IoU, no +1), then box regression
 * (bbreg, +1 widths) and squaring (rerec).
 * O-Net: crop 48x48, keep probability > threshold, landmarks from the box before regression
 * (x = (x2 - x1 + 1) * lx + x1 - 1, likewise y), box regression, then NMS 0.7 'Min' with +1 areas
 * (facenet-pytorch's batched_nms_numpy).
 */
import { tensor, tidy, type Tensor } from '../tensor/index.js';
import type { ONet, RNet } from '../models/mtcnn/index.js';
import type { RgbImage } from '../io/image.js';
import { bbreg, rerec, rowCount, selectRows, type BoxRows } from '../math/boxes.js';
import { nmsFacenet, nmsTorchvision } from '../math/nms.js';
import { cropBatch } from './crop-batch.js';
import type { SummedAreaTable } from '../math/area-resize.js';

/** Rows per network call, as facenet-pytorch's fixed_batch_process (bounds memory on crowded images). */
const CHUNK = 512;

interface NetRows {
  /** [n, k] row-major per output name. */
  [name: string]: Float32Array;
}

/** Runs `net` over [n, 3, size, size] crops in chunks and returns each output as one row-major array. */
function runChunked(
  n: number,
  data: Float32Array,
  size: number,
  forward: (x: Tensor) => Record<string, Tensor>,
  widths: Record<string, number>,
): NetRows {
  const out: NetRows = {};
  for (const [k, cols] of Object.entries(widths)) out[k] = new Float32Array(n * cols);
  const per = 3 * size * size;
  for (let start = 0; start < n; start += CHUNK) {
    const m = Math.min(CHUNK, n - start);
    const parts = tidy(() => {
      const res = forward(tensor(data.subarray(start * per, (start + m) * per), [m, 3, size, size]));
      const copy: NetRows = {};
      for (const k of Object.keys(widths)) copy[k] = res[k]!.toFloat32();
      return copy;
    });
    for (const [k, cols] of Object.entries(widths)) out[k]!.set(parts[k]!, start * cols);
  }
  return out;
}

/** Column 1 of a [n, 2] softmax. */
function faceScores(prob: Float32Array): Float32Array {
  const s = new Float32Array(prob.length / 2);
  for (let i = 0; i < s.length; i++) s[i] = prob[2 * i + 1]!;
  return s;
}

/** boxes: rows [x1, y1, x2, y2, score]; returns the refined rows. */
export function refineStage(rnet: RNet, img: RgbImage, boxes: BoxRows<Float32Array>, threshold: number, table: SummedAreaTable | null = null): BoxRows<Float32Array> {
  if (rowCount(boxes) === 0) return boxes;
  const crops = cropBatch(img, boxes, 24, table);
  const n = crops.rows.length;
  const res = runChunked(n, crops.data, 24, (x) => ({ ...rnet.forward(x) }), { reg: 4, prob: 2 });
  const score = faceScores(res['prob']!);
  const thr = Math.fround(threshold);
  const pass: number[] = [];
  for (let k = 0; k < n; k++) if (score[k]! > thr) pass.push(k);
  const kept = new Float32Array(pass.length * 5);
  const reg = new Float32Array(pass.length * 4);
  pass.forEach((k, j) => {
    const r = crops.rows[k]!;
    kept.set(boxes.data.subarray(r * 5, r * 5 + 4), j * 5);
    kept[j * 5 + 4] = score[k]!;
    reg.set(res['reg']!.subarray(k * 4, k * 4 + 4), j * 4);
  });
  const passed: BoxRows<Float32Array> = { data: kept, cols: 5 };
  if (pass.length === 0) return passed;
  const pick = nmsTorchvision(passed, 0.7);
  const pickedReg = selectRows({ data: reg, cols: 4 }, pick);
  return rerec(bbreg(selectRows(passed, pick), pickedReg.data));
}

export interface OutputStageResult {
  /** Rows [x1, y1, x2, y2, score]. */
  boxes: BoxRows<Float32Array>;
  /** Rows [x0, y0, x1, y1, …, x4, y4]: the five landmarks per box. */
  points: Float32Array;
}

export function outputStage(onet: ONet, img: RgbImage, boxes: BoxRows<Float32Array>, threshold: number, table: SummedAreaTable | null = null): OutputStageResult {
  if (rowCount(boxes) === 0) return { boxes, points: new Float32Array(0) };
  const crops = cropBatch(img, boxes, 48, table);
  const n = crops.rows.length;
  const res = runChunked(n, crops.data, 48, (x) => ({ ...onet.forward(x) }), { reg: 4, landmarks: 10, prob: 2 });
  const score = faceScores(res['prob']!);
  const lm = res['landmarks']!;
  const thr = Math.fround(threshold);
  const pass: number[] = [];
  for (let k = 0; k < n; k++) if (score[k]! > thr) pass.push(k);
  const kept = new Float32Array(pass.length * 5);
  const reg = new Float32Array(pass.length * 4);
  const points = new Float32Array(pass.length * 10);
  const f = Math.fround;
  pass.forEach((k, j) => {
    const r = crops.rows[k]!;
    const x1 = boxes.data[r * 5]!;
    const y1 = boxes.data[r * 5 + 1]!;
    const x2 = boxes.data[r * 5 + 2]!;
    const y2 = boxes.data[r * 5 + 3]!;
    kept.set([x1, y1, x2, y2, score[k]!], j * 5);
    reg.set(res['reg']!.subarray(k * 4, k * 4 + 4), j * 4);
    const wi = f(f(x2 - x1) + 1);
    const hi = f(f(y2 - y1) + 1);
    for (let p = 0; p < 5; p++) {
      points[j * 10 + 2 * p] = f(f(f(wi * lm[k * 10 + p]!) + x1) - 1);
      points[j * 10 + 2 * p + 1] = f(f(f(hi * lm[k * 10 + 5 + p]!) + y1) - 1);
    }
  });
  if (pass.length === 0) return { boxes: { data: kept, cols: 5 }, points };
  const regressed = bbreg({ data: kept, cols: 5 }, reg);
  // batched_nms_numpy with a single image: the group offset is 0, so this is facenet's nms.
  const pick = nmsFacenet(regressed, 0.7, 'Min');
  return { boxes: selectRows(regressed, pick), points: selectRows({ data: points, cols: 10 }, pick).data };
}
