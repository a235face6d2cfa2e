/**
 * Training-time augmentation as facenet's create_input_pipeline applies it, in its order:
 * random rotation (±10°), then a random crop of image_size (or a centre crop / zero pad,
 * tf.image.resize_image_with_crop_or_pad), then a random left-right flip. Standardisation comes
 * after, in the batch loader.
 *
 * The random values are drawn before the image is decoded (drawAugment), from a generator seeded
 * by the sample's position in the run, so a batch is the same whatever order the decoders finish
 * in, and a resumed run sees the same augmentations an uninterrupted one would.
 *
 * Deliberate differences from facenet:
 *  - rotation samples bilinearly (facenet: scipy.misc.imrotate 'bicubic'); corners are black in both;
 *  - a random crop of an image smaller than image_size pads it first (tf.random_crop fails there).
 */
import type { Rng } from '../math/rng.js';
import type { RgbImage } from '../io/image.js';

export interface AugmentOptions {
  /** Side of the square crop fed to the network. */
  imageSize: number;
  randomCrop: boolean;
  randomFlip: boolean;
  randomRotate: boolean;
}

/** The random choices for one sample (crop offsets as fractions, resolved once the size is known). */
export interface AugmentDraw {
  cropU: number;
  cropV: number;
  flip: boolean;
  angleDegrees: number;
}

/** The choices that mean "no augmentation": centre crop, no flip, no rotation. */
export const NO_AUGMENT: Readonly<AugmentDraw> = Object.freeze({ cropU: 0, cropV: 0, flip: false, angleDegrees: 0 });

/**
 * Draws one sample's choices. Always four draws, whatever the options, so that turning one
 * augmentation on does not shift the random stream of the others.
 */
export function drawAugment(rng: Rng, o: AugmentOptions): AugmentDraw {
  const cropU = rng.next();
  const cropV = rng.next();
  const flip = rng.next() < 0.5;
  const angle = rng.next() * 20 - 10; // np.random.uniform(low=-10.0, high=10.0)
  return {
    cropU: o.randomCrop ? cropU : 0,
    cropV: o.randomCrop ? cropV : 0,
    flip: o.randomFlip && flip,
    angleDegrees: o.randomRotate ? angle : 0,
  };
}

/** Top-left corner of the crop window in source coordinates (negative: zero padding). */
function cropOrigin(srcSize: number, size: number, u: number, random: boolean): number {
  if (srcSize <= size) return -Math.floor((size - srcSize) / 2); // centred pad, as TF's crop_or_pad
  if (!random) return Math.floor((srcSize - size) / 2);
  return Math.min(srcSize - size, Math.floor(u * (srcSize - size + 1))); // tf.random_crop: offsets 0..W-size
}

/** Applies the drawn rotation, crop and flip; returns a new imageSize x imageSize image. */
export function augmentImage(img: RgbImage, o: AugmentOptions, d: AugmentDraw): RgbImage {
  const s = o.imageSize;
  const ox = cropOrigin(img.width, s, d.cropU, o.randomCrop);
  const oy = cropOrigin(img.height, s, d.cropV, o.randomCrop);
  const out = new Uint8Array(s * s * 3);
  if (d.angleDegrees === 0) copyCrop(img, out, s, ox, oy, d.flip);
  else rotateCrop(img, out, s, ox, oy, d.flip, d.angleDegrees);
  return { width: s, height: s, data: out, source: img.source };
}

function copyCrop(img: RgbImage, out: Uint8Array, s: number, ox: number, oy: number, flip: boolean): void {
  const { width: w, height: h, data } = img;
  for (let y = 0; y < s; y++) {
    const sy = y + oy;
    if (sy < 0 || sy >= h) continue; // padding rows stay 0
    for (let x = 0; x < s; x++) {
      const sx = (flip ? s - 1 - x : x) + ox;
      if (sx < 0 || sx >= w) continue;
      const from = (sy * w + sx) * 3;
      const to = (y * s + x) * 3;
      out[to] = data[from]!;
      out[to + 1] = data[from + 1]!;
      out[to + 2] = data[from + 2]!;
    }
  }
}

/**
 * Rotation of the whole image about its centre, keeping its size (imrotate's behaviour), then the
 * crop, in one pass: each output pixel is mapped back through the crop and the inverse rotation
 * and sampled bilinearly; points outside the source are black.
 */
function rotateCrop(img: RgbImage, out: Uint8Array, s: number, ox: number, oy: number, flip: boolean, degrees: number): void {
  const { width: w, height: h, data } = img;
  const theta = (degrees * Math.PI) / 180;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const cx = w / 2;
  const cy = h / 2;
  for (let y = 0; y < s; y++) {
    const ry = y + oy;
    if (ry < 0 || ry >= h) continue; // outside the rotated image's frame: padding
    const dy = ry + 0.5 - cy;
    for (let x = 0; x < s; x++) {
      const rx = (flip ? s - 1 - x : x) + ox;
      if (rx < 0 || rx >= w) continue;
      const dx = rx + 0.5 - cx;
      // Counter-clockwise rotation by theta on screen (y down): source = R(-theta) * destination.
      const fx = cos * dx - sin * dy + cx - 0.5;
      const fy = sin * dx + cos * dy + cy - 0.5;
      const x0 = Math.floor(fx);
      const y0 = Math.floor(fy);
      const ax = fx - x0;
      const ay = fy - y0;
      const to = (y * s + x) * 3;
      for (let c = 0; c < 3; c++) {
        const p00 = pixel(data, w, h, x0, y0, c);
        const p10 = pixel(data, w, h, x0 + 1, y0, c);
        const p01 = pixel(data, w, h, x0, y0 + 1, c);
        const p11 = pixel(data, w, h, x0 + 1, y0 + 1, c);
        const v = (p00 * (1 - ax) + p10 * ax) * (1 - ay) + (p01 * (1 - ax) + p11 * ax) * ay;
        out[to + c] = Math.round(v);
      }
    }
  }
}

function pixel(data: Uint8Array, w: number, h: number, x: number, y: number, c: number): number {
  return x < 0 || y < 0 || x >= w || y >= h ? 0 : data[(y * w + x) * 3 + c]!;
}
