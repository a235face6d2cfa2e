/**
 * facenet-pytorch's detect_face for one image, as plain TypeScript around the three nets: the
 * pyramid, box generation, NMS, regression, crops and landmark maths live here once, and the nets
 * sit behind one seam (MtcnnImageNets) so the same pipeline runs them on libtorch (MtcnnDetector,
 * torch-image-nets.ts), on onnxruntime-node or in the browser on onnxruntime-web (src/web/).
 *
 * The pipeline is a generator that yields one net request at a time (P-Net on a pyramid level,
 * R-Net / O-Net on a batch of crops) and takes the net's outputs back; runMtcnn() drives it
 * synchronously (libtorch), runMtcnnAsync() with promises (onnxruntime's run() is async).
 * This file imports no tensor code, no Node module and no native addon.
 *
 * Stage 1 (P-Net): for every pyramid scale, the standardised level -> cells with probability >=
 * threshold, NMS 0.5 (IoU, no +1) within the scale; then NMS 0.7 over all scales, P-Net's box
 * regression (w, h without +1) and squaring (rerec).
 * Stage 2 (R-Net): crop 24x24, keep probability > threshold, NMS 0.7 (IoU, no +1), then box
 * regression (bbreg, +1 widths) and squaring (rerec).
 * Stage 3 (O-Net): crop 48x48, keep probability > threshold, landmarks from the box before
 * regression (x = (x2 - x1 + 1) * lx + x1 - 1, likewise y), box regression, then NMS 0.7 'Min'
 * with +1 areas (facenet-pytorch's batched_nms_numpy).
 */
import type { RgbImage } from '../io/image.js';
import { SUMMED_AREA_MAX_PIXELS, SummedAreaTable } from '../math/area-resize.js';
import { FacenetError } from '../errors.js';
import { bbreg, pnetRegression, rerec, rowCount, selectRows, type BoxRows } from '../math/boxes.js';
import { nmsFacenet, nmsTorchvision } from '../math/nms.js';
import { cropBatch } from './crop-batch.js';
import { generateBoxes } from './generate-boxes.js';
import { levelSize, pyramidScales } from './pyramid.js';
import type { DetectOptions } from './options.js';
import type { Face, FiveLandmarks } from './face.js';

/** P-Net on one level: face probability [ph, pw] and regression [4, ph, pw], row-major. */
export interface PNetLevelOutput {
  prob: Float32Array;
  reg: Float32Array;
  ph: number;
  pw: number;
}
/** R-Net on n crops: softmax [n, 2], regression [n, 4]. */
export interface RNetRows {
  prob: Float32Array;
  reg: Float32Array;
}
/** O-Net on n crops: softmax [n, 2], regression [n, 4], landmarks [n, 10]. */
export interface ONetRows extends RNetRows {
  landmarks: Float32Array;
}

/**
 * The seam: the three nets for one image. `pnet` runs P-Net on the image resampled ('area') to
 * hs x ws and standardised (pyramid-level.ts gives the reference values); `rnet` / `onet` run on
 * `count` standardised crops [count, 3, 24 | 48, 24 | 48].
 */
export interface MtcnnImageNets {
  pnet(hs: number, ws: number): PNetLevelOutput;
  rnet(crops: Float32Array, count: number): RNetRows;
  onet(crops: Float32Array, count: number): ONetRows;
}
export interface MtcnnImageNetsAsync {
  pnet(hs: number, ws: number): Promise<PNetLevelOutput>;
  rnet(crops: Float32Array, count: number): Promise<RNetRows>;
  onet(crops: Float32Array, count: number): Promise<ONetRows>;
}

export type MtcnnRequest = { net: 'pnet'; hs: number; ws: number } | { net: 'rnet' | 'onet'; crops: Float32Array; count: number };
type Reply = PNetLevelOutput | RNetRows | ONetRows;

/** Rows per R-/O-Net call, as facenet-pytorch's fixed_batch_process (bounds memory on crowded images). */
const CHUNK = 512;

/** Checks that `img` is RGB pixels and builds its summed-area table (null above SUMMED_AREA_MAX_PIXELS). */
export function pipelineTable(img: RgbImage): SummedAreaTable | null {
  const { width: w, height: h } = img;
  if (!(Number.isInteger(w) && w > 0 && Number.isInteger(h) && h > 0 && img.data.length === w * h * 3)) {
    throw new FacenetError('BAD_ARGUMENT', `detect: not a valid RGB image (${w}x${h}, ${img.data.length} bytes)`);
  }
  return w * h <= SUMMED_AREA_MAX_PIXELS ? new SummedAreaTable(img.data, w, h, 3) : null;
}

export function runMtcnn(img: RgbImage, o: DetectOptions, table: SummedAreaTable | null, nets: MtcnnImageNets): Face[] {
  const steps = mtcnnSteps(img, o, table);
  let r = steps.next();
  while (!r.done) {
    const q = r.value;
    r = steps.next(q.net === 'pnet' ? nets.pnet(q.hs, q.ws) : q.net === 'rnet' ? nets.rnet(q.crops, q.count) : nets.onet(q.crops, q.count));
  }
  return r.value;
}

export async function runMtcnnAsync(img: RgbImage, o: DetectOptions, table: SummedAreaTable | null, nets: MtcnnImageNetsAsync): Promise<Face[]> {
  const steps = mtcnnSteps(img, o, table);
  let r = steps.next();
  while (!r.done) {
    const q = r.value;
    r = steps.next(q.net === 'pnet' ? await nets.pnet(q.hs, q.ws) : q.net === 'rnet' ? await nets.rnet(q.crops, q.count) : await nets.onet(q.crops, q.count));
  }
  return r.value;
}

/** The whole pipeline as a sequence of net requests; returns the faces, ordered as `o.order` says. */
export function* mtcnnSteps(img: RgbImage, o: DetectOptions, table: SummedAreaTable | null): Generator<MtcnnRequest, Face[], Reply> {
  const scales = pyramidScales(img.height, img.width, o.minFaceSize, o.factor);
  if (scales.length === 0) return [];
  const proposals = yield* proposalSteps(img.height, img.width, scales, o.thresholds[0]);
  const refined = yield* refineSteps(img, proposals, o.thresholds[1], table);
  const { boxes, points } = yield* outputSteps(img, refined, o.thresholds[2], table);
  const faces: Face[] = [];
  for (let i = 0; i < rowCount(boxes); i++) {
    const b = boxes.data.subarray(i * 5, i * 5 + 5);
    const p = points.subarray(i * 10, i * 10 + 10);
    const landmarks = [0, 1, 2, 3, 4].map((k) => [p[2 * k]!, p[2 * k + 1]!]) as FiveLandmarks;
    faces.push({ box: [b[0]!, b[1]!, b[2]!, b[3]!], prob: b[4]!, landmarks });
  }
  return orderFaces(faces, o.order);
}

/** Stage 1; returns rows [x1, y1, x2, y2, score]. */
function* proposalSteps(h: number, w: number, scales: readonly number[], threshold: number): Generator<MtcnnRequest, BoxRows<Float32Array>, Reply> {
  const perScale: Float32Array[] = [];
  let total = 0;
  for (const scale of scales) {
    const [hs, ws] = levelSize(h, w, scale);
    const { prob, reg, ph, pw } = (yield { net: 'pnet', hs, ws }) as PNetLevelOutput;
    const boxes = generateBoxes(prob, reg, ph, pw, scale, threshold);
    if (rowCount(boxes) === 0) continue;
    const kept = selectRows(boxes, nmsTorchvision(boxes, 0.5));
    perScale.push(kept.data);
    total += kept.data.length;
  }
  if (total === 0) return { data: new Float32Array(0), cols: 5 };
  const all = new Float32Array(total);
  let at = 0;
  for (const d of perScale) {
    all.set(d, at);
    at += d.length;
  }
  const candidates: BoxRows<Float32Array> = { data: all, cols: 9 };
  const picked = selectRows(candidates, nmsTorchvision(candidates, 0.7));
  return rerec(pnetRegression(picked));
}

/** Runs R-Net or O-Net over [n, 3, size, size] crops in chunks; each output as one row-major array. */
function* netRows(net: 'rnet' | 'onet', data: Float32Array, n: number, size: number): Generator<MtcnnRequest, ONetRows, Reply> {
  const widths = { prob: 2, reg: 4, landmarks: net === 'onet' ? 10 : 0 };
  const out: ONetRows = { prob: new Float32Array(n * 2), reg: new Float32Array(n * 4), landmarks: new Float32Array(n * widths.landmarks) };
  const per = 3 * size * size;
  for (let start = 0; start < n; start += CHUNK) {
    const m = Math.min(CHUNK, n - start);
    const r = (yield { net, crops: data.subarray(start * per, (start + m) * per), count: m }) as Partial<ONetRows> & RNetRows;
    out.prob.set(r.prob.subarray(0, m * 2), start * 2);
    out.reg.set(r.reg.subarray(0, m * 4), start * 4);
    if (widths.landmarks) out.landmarks.set(r.landmarks!.subarray(0, m * 10), start * 10);
  }
  return out;
}

/** Column 1 of a [n, 2] softmax. */
function faceScores(prob: Float32Array): Float32Array {
  const s = new Float32Array(prob.length / 2);
  for (let i = 0; i < s.length; i++) s[i] = prob[2 * i + 1]!;
  return s;
}

/** Stage 2. boxes: rows [x1, y1, x2, y2, score]; returns the refined rows. */
function* refineSteps(img: RgbImage, boxes: BoxRows<Float32Array>, threshold: number, table: SummedAreaTable | null): Generator<MtcnnRequest, BoxRows<Float32Array>, Reply> {
  if (rowCount(boxes) === 0) return boxes;
  const crops = cropBatch(img, boxes, 24, table);
  const n = crops.rows.length;
  const res = yield* netRows('rnet', crops.data, n, 24);
  const score = faceScores(res.prob);
  const thr = Math.fround(threshold);
  const pass: number[] = [];
  for (let k = 0; k < n; k++) if (score[k]! > thr) pass.push(k);
  const kept = new Float32Array(pass.length * 5);
  const reg = new Float32Array(pass.length * 4);
  pass.forEach((k, j) => {
    const r = crops.rows[k]!;
    kept.set(boxes.data.subarray(r * 5, r * 5 + 4), j * 5);
    kept[j * 5 + 4] = score[k]!;
    reg.set(res.reg.subarray(k * 4, k * 4 + 4), j * 4);
  });
  const passed: BoxRows<Float32Array> = { data: kept, cols: 5 };
  if (pass.length === 0) return passed;
  const pick = nmsTorchvision(passed, 0.7);
  const pickedReg = selectRows({ data: reg, cols: 4 }, pick);
  return rerec(bbreg(selectRows(passed, pick), pickedReg.data));
}

interface OutputStageResult {
  /** Rows [x1, y1, x2, y2, score]. */
  boxes: BoxRows<Float32Array>;
  /** Rows [x0, y0, x1, y1, …, x4, y4]: the five landmarks per box. */
  points: Float32Array;
}

/** Stage 3. */
function* outputSteps(img: RgbImage, boxes: BoxRows<Float32Array>, threshold: number, table: SummedAreaTable | null): Generator<MtcnnRequest, OutputStageResult, Reply> {
  if (rowCount(boxes) === 0) return { boxes, points: new Float32Array(0) };
  const crops = cropBatch(img, boxes, 48, table);
  const n = crops.rows.length;
  const res = yield* netRows('onet', crops.data, n, 48);
  const score = faceScores(res.prob);
  const lm = res.landmarks;
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
    reg.set(res.reg.subarray(k * 4, k * 4 + 4), j * 4);
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

/**
 * 'area': numpy's argsort of the float32 areas, reversed (facenet-pytorch's select_largest), so
 * among equal areas the later face comes first. 'probability': most confident first.
 */
function orderFaces(faces: Face[], order: DetectOptions['order']): Face[] {
  const f = Math.fround;
  const key = (x: Face): number => (order === 'area' ? f(f(x.box[2] - x.box[0]) * f(x.box[3] - x.box[1])) : x.prob);
  const idx = faces.map((_, i) => i).sort((a, b) => key(faces[a]!) - key(faces[b]!) || a - b);
  return idx.reverse().map((i) => faces[i]!);
}
