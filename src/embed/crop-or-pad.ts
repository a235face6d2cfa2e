import type { RgbImage } from '../io/image.js';

/**
 * tf.image.resize_image_with_crop_or_pad to a size x size square: centre crop where the image is
 * larger, centred zero padding where it is smaller (offsets rounded down, as TF does).
 */
export function cropOrPad(img: RgbImage, size: number): RgbImage {
  const out = new Uint8Array(size * size * 3);
  const cropX = Math.max(0, Math.floor((img.width - size) / 2));
  const cropY = Math.max(0, Math.floor((img.height - size) / 2));
  const padX = Math.max(0, Math.floor((size - img.width) / 2));
  const padY = Math.max(0, Math.floor((size - img.height) / 2));
  const w = Math.min(size, img.width);
  const h = Math.min(size, img.height);
  for (let y = 0; y < h; y++) {
    const src = ((y + cropY) * img.width + cropX) * 3;
    out.set(img.data.subarray(src, src + w * 3), ((y + padY) * size + padX) * 3);
  }
  return { width: size, height: size, data: out, source: img.source };
}
