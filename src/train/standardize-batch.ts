/**
 * Standardisation of a whole batch inside the engine: uint8 crops [N, S, S, 3] (HWC, as the loader
 * produces them) -> float [N, 3, S, S]. The same formulas as embed/standardize.ts (the reference
 * for inference), computed in float32 by libtorch instead of float64 in JavaScript, so values
 * agree to ~1e-6. Doing it here keeps ~0.1 ms per image of JavaScript off the main thread between
 * steps, where it would show up as data wait.
 *
 * The result is a permuted view of the NHWC buffer, i.e. already in channels_last layout: the
 * network's channels_last convolutions take it without a copy.
 */
import { tensor, type Tensor } from '../tensor/index.js';
import type { Standardization } from '../models/inception-resnet-v1/config.js';

export function standardizeBatch(pixels: Uint8Array, count: number, size: number, mode: Standardization): Tensor {
  const x = tensor(pixels, [count, size, size, 3], { dtype: 'uint8' }).float().permute(0, 3, 1, 2); // [N, 3, S, S]
  if (mode === 'fixed') return x.sub(127.5).div(128);
  // facenet.prewhiten / tf.image.per_image_standardization: (x - mean) / max(std, 1/sqrt(n)) per image.
  const n = 3 * size * size;
  const mean = x.mean([1, 2, 3], true);
  const std = x.stdPopulation([1, 2, 3], true).clamp(1 / Math.sqrt(n), null);
  return x.sub(mean).div(std);
}
