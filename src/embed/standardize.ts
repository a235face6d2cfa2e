/**
 * Image standardisation: RGB bytes (HWC) to the network's float input (CHW). Which one a model
 * needs is part of its config (see Standardization); mixing them up silently ruins accuracy.
 */
import type { Standardization } from '../models/inception-resnet-v1/config.js';

/** Writes one HWC uint8 image as CHW float32 into out at offset (out.length >= offset + 3*h*w). */
export function standardizeInto(
  rgb: Uint8Array,
  width: number,
  height: number,
  mode: Standardization,
  out: Float32Array,
  offset = 0,
  flip = false,
): void {
  const plane = width * height;
  let shift: number;
  let scale: number;
  if (mode === 'fixed') {
    // facenet's --use_fixed_image_standardization and facenet-pytorch's fixed_image_standardization.
    shift = 127.5;
    scale = 1 / 128;
  } else {
    // facenet.prewhiten: (x - mean) / max(std, 1/sqrt(N)), population std over all 3*h*w values.
    let sum = 0;
    for (let i = 0; i < rgb.length; i++) sum += rgb[i]!;
    const n = rgb.length;
    const mean = sum / n;
    let sq = 0;
    for (let i = 0; i < rgb.length; i++) {
      const d = rgb[i]! - mean;
      sq += d * d;
    }
    const std = Math.sqrt(sq / n);
    shift = mean;
    scale = 1 / Math.max(std, 1 / Math.sqrt(n));
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const src = (y * width + (flip ? width - 1 - x : x)) * 3;
      const dst = offset + y * width + x;
      out[dst] = (rgb[src]! - shift) * scale;
      out[dst + plane] = (rgb[src + 1]! - shift) * scale;
      out[dst + 2 * plane] = (rgb[src + 2]! - shift) * scale;
    }
  }
}
