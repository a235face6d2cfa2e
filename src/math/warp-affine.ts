/**
 * Affine warp of an 8-bit interleaved image with bilinear sampling, as cv2.warpAffine(src, M,
 * (outW, outH), flags=INTER_LINEAR, borderMode=BORDER_CONSTANT, borderValue=0), which insightface's
 * norm_crop uses to put a face onto the ArcFace template: output pixel (x, y) takes the source at
 * M^-1 (x, y), pixel centres on integer coordinates; neighbours outside the image count as 0.
 *
 * Deliberate difference: OpenCV quantises the interpolation weights to 1/32 (INTER_BITS = 5);
 * here they are exact, so values can differ from OpenCV's by a grey level.
 */
import { FacenetError } from '../errors.js';
import { invertAffine } from './similarity-transform.js';

/** `m` maps source to destination (2x3 row-major, as estimateSimilarity returns it). */
export function warpAffineBilinear(
  src: Uint8Array,
  width: number,
  height: number,
  channels: number,
  m: ArrayLike<number>,
  outW: number,
  outH: number,
): Uint8Array {
  if (!(Number.isInteger(outW) && outW > 0 && Number.isInteger(outH) && outH > 0)) {
    throw new FacenetError('BAD_ARGUMENT', `warpAffineBilinear: output size must be positive integers, got ${outW}x${outH}`);
  }
  if (src.length < width * height * channels) {
    throw new FacenetError('SHAPE_MISMATCH', `warpAffineBilinear: ${src.length} bytes is less than ${width}x${height}x${channels}`);
  }
  const inv = invertAffine(m);
  const [a, b, c, d, e, f] = [inv[0]!, inv[1]!, inv[2]!, inv[3]!, inv[4]!, inv[5]!];
  const out = new Uint8Array(outW * outH * channels);
  const px = (x: number, y: number, ch: number): number =>
    x >= 0 && y >= 0 && x < width && y < height ? src[(y * width + x) * channels + ch]! : 0;
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const sx = a * x + b * y + c;
      const sy = d * x + e * y + f;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const o = (y * outW + x) * channels;
      if (x0 < -1 || y0 < -1 || x0 >= width || y0 >= height) continue; // all four neighbours outside: 0
      const fx = sx - x0;
      const fy = sy - y0;
      for (let ch = 0; ch < channels; ch++) {
        const top = px(x0, y0, ch) * (1 - fx) + px(x0 + 1, y0, ch) * fx;
        const bottom = px(x0, y0 + 1, ch) * (1 - fx) + px(x0 + 1, y0 + 1, ch) * fx;
        out[o + ch] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return out;
}
