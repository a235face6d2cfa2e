/**
 * Turning one detected face into an aligned square image, two ways:
 *
 * - 'box' (facenet's align_dataset_mtcnn.py and compare.py, the default): widen the box by
 *   margin/2 on every side, clip to the image, truncate to integers, crop, and resize to
 *   imageSize x imageSize. facenet resizes with scipy's misc.imresize(interp='bilinear'), i.e.
 *   PIL's bilinear filter, which widens its support when shrinking; we use sharp's 'linear'
 *   kernel (resizeBilinear in src/io/image.ts), the same triangle filter, so crops agree up to
 *   rounding (a grey level or two). The face is not rotated.
 * - 'similarity' (beyond facenet; insightface's norm_crop): the similarity transform (rotation,
 *   uniform scale, shift) that best maps the five landmarks onto the ArcFace template scaled to
 *   imageSize, applied with bilinear sampling; pixels from outside the image are black. The margin
 *   does not apply: the template fixes the framing.
 */
import { FacenetError } from '../errors.js';
import { cropImage, resizeBilinear, type RgbImage } from '../io/image.js';
import { marginCropBox } from '../math/box-pad.js';
import { estimateNorm } from '../math/similarity-transform.js';
import { warpAffineBilinear } from '../math/warp-affine.js';
import type { Face } from '../detect/index.js';

export type AlignMode = 'box' | 'similarity';
export const ALIGN_MODES: readonly AlignMode[] = ['box', 'similarity'];

export interface AlignFaceOptions {
  /** Side of the square output in pixels (facenet's --image_size, default 182). */
  imageSize: number;
  /** Pixels added to the box in total on each axis, half per side ('box' mode; facenet's --margin, default 44). */
  margin: number;
  mode: AlignMode;
}

export const DEFAULT_ALIGN_OPTIONS: Readonly<AlignFaceOptions> = Object.freeze({ imageSize: 182, margin: 44, mode: 'box' as AlignMode });

export function resolveAlignOptions(o: Partial<AlignFaceOptions> = {}): AlignFaceOptions {
  const r = { ...DEFAULT_ALIGN_OPTIONS, ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) } as AlignFaceOptions;
  if (!(Number.isInteger(r.imageSize) && r.imageSize >= 1 && r.imageSize <= 4096)) {
    throw new FacenetError('BAD_ARGUMENT', `imageSize must be a whole number of pixels in [1, 4096], got ${r.imageSize}`);
  }
  if (!(Number.isFinite(r.margin) && r.margin >= 0)) throw new FacenetError('BAD_ARGUMENT', `margin must be a number >= 0, got ${r.margin}`);
  if (!ALIGN_MODES.includes(r.mode)) throw new FacenetError('BAD_ARGUMENT', `align mode must be one of ${ALIGN_MODES.join(', ')}, got '${String(r.mode)}'`);
  return r;
}

/**
 * facenet's crop window [x1, y1, x2, y2] (integers, x2/y2 exclusive) for a face: the values it
 * writes to bounding_boxes_*.txt.
 */
export function faceCropBox(img: { width: number; height: number }, face: Face, margin: number): [number, number, number, number] {
  const bb = marginCropBox(face.box, margin, img.width, img.height);
  return [bb[0]!, bb[1]!, bb[2]!, bb[3]!];
}

/** The aligned face as a new image of imageSize x imageSize. */
export async function alignFace(img: RgbImage, face: Face, options: Partial<AlignFaceOptions> = {}): Promise<RgbImage> {
  const o = resolveAlignOptions(options);
  if (o.mode === 'similarity') {
    const m = estimateNorm(face.landmarks, o.imageSize);
    const data = warpAffineBilinear(img.data, img.width, img.height, 3, m, o.imageSize, o.imageSize);
    return { width: o.imageSize, height: o.imageSize, data, source: img.source };
  }
  const crop = cropImage(img, faceCropBox(img, face, o.margin));
  return resizeBilinear(crop, o.imageSize, o.imageSize);
}
