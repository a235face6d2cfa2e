/**
 * P-Net over one pyramid level on libtorch (stage 1 of the pipeline in mtcnn-pipeline.ts).
 *
 * Deliberate differences in how, not what (tested to give the same values): levels below
 * ~100x100 run as a batch of two stripes, which keeps libtorch on oneDNN instead of its 5-25x
 * slower batch-1 kernel; levels above PNET_STRIPE_PIXELS run in horizontal stripes, which bounds
 * memory on very large photos (a 10000x10000 image needed ~10 GB in one piece, ~3 GB so).
 */
import { cat, tidy, type Tensor } from '../tensor/index.js';
import type { PNet } from '../models/mtcnn/index.js';
import type { PNetLevelOutput } from './mtcnn-pipeline.js';

export type { PNetLevelOutput } from './mtcnn-pipeline.js';

/** P-Net input pixels per call above which a level is split into stripes (~160 MB for conv1's output). */
export const PNET_STRIPE_PIXELS = 1 << 22;

/**
 * libtorch 1.13 sends a batch-1 3x3 convolution whose input has at most 20480 values to its slow
 * native kernel instead of oneDNN (ConvParams::use_mkldnn), 5-25x slower here. P-Net's small levels
 * (below ~100x100) hit that in every layer, so they run as a batch of two overlapping stripes.
 */
function needsBatchOfTwo(hs: number, ws: number): boolean {
  const pool = (n: number): number => Math.ceil((n - 4) / 2) + 1;
  const [ph, pw] = [pool(hs), pool(ws)];
  return Math.min(3 * hs * ws, 10 * ph * pw, 16 * (ph - 2) * (pw - 2)) <= 20480;
}

/**
 * P-Net over one standardised level [1, 3, hs, ws]. Small levels run as a batch of two stripes:
 * rows [0, h) and [2k, hs) with h = hs - 2k, where k output rows come from the first stripe and
 * the rest from the second (which reaches the bottom edge, so ceil-mode pooling there is the
 * level's own). Above `stripePixels` input pixels it runs on
 * horizontal stripes that start on even rows (so the stride-2 pooling grid is the level's own) and
 * overlap by P-Net's 12-row receptive field; from each stripe but the last only the output rows
 * whose 12 input rows lie inside it are kept, and the last stripe reaches the level's bottom edge,
 * so every output equals the one-piece computation.
 */
export function pnetLevel(pnet: PNet, level: Tensor, stripePixels = PNET_STRIPE_PIXELS): PNetLevelOutput {
  const [, , hs, ws] = level.shape as [number, number, number, number];
  const run = (x: Tensor) =>
    tidy(() => {
      const o = pnet.forward(x);
      const [, , oh, ow] = o.prob.shape as [number, number, number, number];
      return { prob: o.prob.select(1, 1).toFloat32(), reg: o.reg.toFloat32(), ph: oh, pw: ow };
    });
  if (hs * ws <= stripePixels) {
    const k = Math.floor((Math.floor((hs - 12) / 2) + 1) / 2);
    if (!needsBatchOfTwo(hs, ws) || k < 1) return run(level);
    return tidy(() => {
      const h = hs - 2 * k;
      const o = pnet.forward(cat([level.slice(2, 0, h), level.slice(2, 2 * k, hs)], 0)); // [2, *, h', pw]
      const [, , oh, ow] = o.prob.shape as [number, number, number, number];
      const probs = o.prob.select(1, 1).toFloat32(); // [2, oh, ow]
      const regs = o.reg.toFloat32(); // [2, 4, oh, ow]
      const ph = k + oh;
      const prob = new Float32Array(ph * ow);
      const reg = new Float32Array(4 * ph * ow);
      prob.set(probs.subarray(0, k * ow), 0);
      prob.set(probs.subarray(oh * ow, 2 * oh * ow), k * ow);
      for (let c = 0; c < 4; c++) {
        reg.set(regs.subarray(c * oh * ow, c * oh * ow + k * ow), c * ph * ow);
        reg.set(regs.subarray((4 + c) * oh * ow, (5 + c) * oh * ow), c * ph * ow + k * ow);
      }
      return { prob, reg, ph, pw: ow };
    });
  }
  const stripeRows = Math.max(32, Math.floor(stripePixels / ws / 2) * 2);
  const parts: { prob: Float32Array; reg: Float32Array; rows: number; pw: number }[] = [];
  let outRow = 0;
  for (;;) {
    const s = 2 * outRow;
    const e = Math.min(hs, s + stripeRows);
    const last = e === hs;
    const r = tidy(() => run(level.slice(2, s, e)));
    const rows = last ? r.ph : Math.floor((e - s - 12) / 2) + 1;
    parts.push({ prob: r.prob, reg: r.reg, rows, pw: r.pw });
    outRow += rows;
    if (last) break;
  }
  const pw = parts[0]!.pw;
  const ph = outRow;
  const prob = new Float32Array(ph * pw);
  const reg = new Float32Array(4 * ph * pw);
  let at = 0;
  for (const p of parts) {
    const localPlane = (p.prob.length / pw) * pw;
    prob.set(p.prob.subarray(0, p.rows * pw), at * pw);
    for (let c = 0; c < 4; c++) reg.set(p.reg.subarray(c * localPlane, c * localPlane + p.rows * pw), c * ph * pw + at * pw);
    at += p.rows;
  }
  return { prob, reg, ph, pw };
}
