/**
 * Stage 1 (P-Net) of facenet-pytorch's detect_face for one image: for every pyramid scale, resample
 * the image with 'area' interpolation, standardise, run P-Net, keep cells with probability >=
 * threshold, NMS 0.5 (IoU, no +1) within the scale; then NMS 0.7 over all scales, apply P-Net's
 * box regression (w, h without +1) and square the boxes (rerec).
 */
import { interpolate, tidy, type Tensor } from '../tensor/index.js';
import type { PNet } from '../models/mtcnn/index.js';
import { pnetRegression, rerec, rowCount, selectRows, type BoxRows } from '../math/boxes.js';
import { nmsTorchvision } from '../math/nms.js';
import { generateBoxes } from './generate-boxes.js';
import { levelSize } from './pyramid.js';

/** image: [1, 3, H, W] float32 pixel values in [0, 255]. Returns rows [x1, y1, x2, y2, score]. */
export function proposalStage(pnet: PNet, image: Tensor, scales: readonly number[], threshold: number): BoxRows<Float32Array> {
  const [, , h, w] = image.shape as [number, number, number, number];
  const perScale: Float32Array[] = [];
  let total = 0;
  for (const scale of scales) {
    const [hs, ws] = levelSize(h, w, scale);
    const { prob, reg, ph, pw } = tidy(() => {
      const level = interpolate(image, [hs, ws], 'area').sub(127.5).mul(0.0078125); // [1, 3, hs, ws]
      const out = pnet.forward(level);
      const [, , oh, ow] = out.prob.shape as [number, number, number, number];
      return { prob: out.prob.select(1, 1).toFloat32(), reg: out.reg.toFloat32(), ph: oh, pw: ow };
    });
    const boxes = generateBoxes(prob, reg, ph, pw, scale, threshold);
    if (rowCount(boxes) === 0) continue;
    const kept = selectRows(boxes, nmsTorchvision(boxes, 0.5));
    perScale.push(kept.data);
    total += kept.data.length;
  }
  const all = new Float32Array(total);
  let at = 0;
  for (const d of perScale) {
    all.set(d, at);
    at += d.length;
  }
  const candidates: BoxRows<Float32Array> = { data: all, cols: 9 };
  if (total === 0) return { data: new Float32Array(0), cols: 5 };
  const picked = selectRows(candidates, nmsTorchvision(candidates, 0.7));
  return rerec(pnetRegression(picked));
}
