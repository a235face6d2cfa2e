/**
 * Area resampling ("area" interpolation, i.e. adaptive average pooling) of a window of an 8-bit
 * interleaved image into planar float32, as torch.nn.functional.interpolate(mode='area') computes it
 * on CPU: output cell (oy, ox) averages input rows [floor(oy*H/oh), ceil((oy+1)*H/oh)) and columns
 * likewise, with the index arithmetic in float32 and the mean as `sum / kh / kw`, both as ATen's
 * adaptive_avg_pool2d kernel does. facenet-pytorch's detector crops its R-Net and O-Net inputs this
 * way (imresample).
 *
 * Sums of 8-bit values are integers, so they are exact here (float64) and in ATen's float32 as long
 * as a window holds fewer than 2^24 / 255 = 65,793 pixels, i.e. for every crop up to ~6,000 px
 * resized to 24 px; the results then agree bit for bit.
 */
import { FacenetError } from '../errors.js';

/** A rectangle [x0, x1) x [y0, y1) in pixels. */
export interface PixelWindow {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** ATen's start_index: floor((float)(a * c) / b). */
export function areaStart(a: number, b: number, c: number): number {
  return Math.floor(Math.fround(Math.fround(a * c) / b));
}

/** ATen's end_index: ceil((float)((a + 1) * c) / b). */
export function areaEnd(a: number, b: number, c: number): number {
  return Math.ceil(Math.fround(Math.fround((a + 1) * c) / b));
}

/**
 * The same resampling through a summed-area table of the whole image, built once: every output
 * value then costs four look-ups per channel instead of a pass over its window, which pays off
 * when one image is resampled many times (an image pyramid, hundreds of detector crops). The table
 * holds exact integer sums in an Int32Array, so the image may have at most 2^31 / 255 / channels
 * pixels worth of sum; callers use it for images up to a few megapixels (SUMMED_AREA_MAX_PIXELS).
 */
export const SUMMED_AREA_MAX_PIXELS = 1 << 22;

export class SummedAreaTable {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  private readonly table: Int32Array;

  constructor(src: Uint8Array, width: number, height: number, channels: number) {
    if (width * height > SUMMED_AREA_MAX_PIXELS) {
      throw new FacenetError('BAD_ARGUMENT', `SummedAreaTable: ${width}x${height} is above the ${SUMMED_AREA_MAX_PIXELS}-pixel limit`);
    }
    if (src.length < width * height * channels) {
      throw new FacenetError('SHAPE_MISMATCH', `SummedAreaTable: ${src.length} bytes is less than ${width}x${height}x${channels}`);
    }
    this.width = width;
    this.height = height;
    this.channels = channels;
    const stride = (width + 1) * channels;
    const t = new Int32Array((height + 1) * stride);
    const row = new Int32Array(channels);
    for (let y = 0; y < height; y++) {
      row.fill(0);
      const up = y * stride;
      const here = (y + 1) * stride;
      let p = y * width * channels;
      for (let x = 0; x < width; x++) {
        const o = (x + 1) * channels;
        for (let c = 0; c < channels; c++) {
          row[c]! += src[p++]!;
          t[here + o + c] = t[up + o + c]! + row[c]!;
        }
      }
    }
    this.table = t;
  }

  /** As areaResizeWindow, from the table. */
  resizeWindow(win: PixelWindow, outH: number, outW: number, out: Float32Array, offset = 0): void {
    const { x0, y0, x1, y1 } = win;
    const { width, height, channels, table: t } = this;
    if (!(Number.isInteger(x0) && Number.isInteger(y0) && Number.isInteger(x1) && Number.isInteger(y1)) || x0 < 0 || y0 < 0 || x1 > width || y1 > height || x1 <= x0 || y1 <= y0) {
      throw new FacenetError('BAD_ARGUMENT', `SummedAreaTable.resizeWindow: window [${x0}, ${y0}, ${x1}, ${y1}] is empty or outside the ${width}x${height} image`);
    }
    if (offset + channels * outH * outW > out.length) throw new FacenetError('SHAPE_MISMATCH', 'SummedAreaTable.resizeWindow: output buffer too small');
    const inH = y1 - y0;
    const inW = x1 - x0;
    const plane = outH * outW;
    const stride = (width + 1) * channels;
    const xa = new Int32Array(outW);
    const xb = new Int32Array(outW);
    for (let ox = 0; ox < outW; ox++) {
      xa[ox] = (x0 + areaStart(ox, outW, inW)) * channels;
      xb[ox] = (x0 + areaEnd(ox, outW, inW)) * channels;
    }
    for (let oy = 0; oy < outH; oy++) {
      const ya = y0 + areaStart(oy, outH, inH);
      const yb = y0 + areaEnd(oy, outH, inH);
      const kh = yb - ya;
      const top = ya * stride;
      const bottom = yb * stride;
      for (let ox = 0; ox < outW; ox++) {
        const a = xa[ox]!;
        const b = xb[ox]!;
        const kw = (b - a) / channels;
        const o = offset + oy * outW + ox;
        for (let c = 0; c < channels; c++) {
          const sum = t[bottom + b + c]! - t[bottom + a + c]! - t[top + b + c]! + t[top + a + c]!;
          out[o + c * plane] = Math.fround(Math.fround(sum / kh) / kw);
        }
      }
    }
  }
}

/**
 * Resamples `win` of the interleaved image `src` (width x height x channels, row-major) to
 * outH x outW, writing planar [channels, outH, outW] float32 values into `out` from `offset`.
 */
export function areaResizeWindow(
  src: Uint8Array,
  width: number,
  height: number,
  channels: number,
  win: PixelWindow,
  outH: number,
  outW: number,
  out: Float32Array,
  offset = 0,
): void {
  const { x0, y0, x1, y1 } = win;
  if (!(Number.isInteger(x0) && Number.isInteger(y0) && Number.isInteger(x1) && Number.isInteger(y1))) {
    throw new FacenetError('BAD_ARGUMENT', `areaResizeWindow: window [${x0}, ${y0}, ${x1}, ${y1}] must be integers`);
  }
  if (x0 < 0 || y0 < 0 || x1 > width || y1 > height || x1 <= x0 || y1 <= y0) {
    throw new FacenetError('BAD_ARGUMENT', `areaResizeWindow: window [${x0}, ${y0}, ${x1}, ${y1}] is empty or outside the ${width}x${height} image`);
  }
  if (src.length < width * height * channels) {
    throw new FacenetError('SHAPE_MISMATCH', `areaResizeWindow: ${src.length} bytes is less than ${width}x${height}x${channels}`);
  }
  if (offset + channels * outH * outW > out.length) {
    throw new FacenetError('SHAPE_MISMATCH', 'areaResizeWindow: output buffer too small');
  }
  const inH = y1 - y0;
  const inW = x1 - x0;
  const plane = outH * outW;
  const colStart = new Int32Array(outW);
  const colEnd = new Int32Array(outW);
  for (let ox = 0; ox < outW; ox++) {
    colStart[ox] = x0 + areaStart(ox, outW, inW);
    colEnd[ox] = x0 + areaEnd(ox, outW, inW);
  }
  const sums = new Float64Array(channels);
  for (let oy = 0; oy < outH; oy++) {
    const ya = y0 + areaStart(oy, outH, inH);
    const yb = y0 + areaEnd(oy, outH, inH);
    const kh = yb - ya;
    for (let ox = 0; ox < outW; ox++) {
      const xa = colStart[ox]!;
      const xb = colEnd[ox]!;
      const kw = xb - xa;
      sums.fill(0);
      for (let y = ya; y < yb; y++) {
        let p = (y * width + xa) * channels;
        for (let x = xa; x < xb; x++) {
          for (let c = 0; c < channels; c++) sums[c]! += src[p + c]!;
          p += channels;
        }
      }
      const o = offset + oy * outW + ox;
      for (let c = 0; c < channels; c++) out[o + c * plane] = Math.fround(Math.fround(sums[c]! / kh) / kw);
    }
  }
}
