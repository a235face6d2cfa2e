/**
 * Least-squares 2-D similarity transform (rotation, uniform scale, translation) between point sets,
 * the Umeyama (1991) estimate that skimage.transform.SimilarityTransform.estimate computes and that
 * insightface's face_align.estimate_norm uses to warp a face onto the ArcFace 5-point template.
 *
 * In 2-D Umeyama's SVD solution has a closed form: with centred points p_i (source) and q_i
 * (destination), the matrix s*R = [[a, -b], [b, a]] where
 *   a = sum(p_i . q_i) / sum|p_i|^2,   b = sum(p_i x q_i) / sum|p_i|^2   (x = 2-D cross product),
 * which is the same optimum over proper rotations (reflections excluded, as Umeyama's d-correction
 * does) without an SVD. Deliberate difference: where skimage returns a NaN matrix (all source
 * points equal, or a zero cross-covariance) this throws.
 *
 * Matrices are row-major 2x3 Float64Arrays [m00, m01, m02, m10, m11, m12]: x' = m00 x + m01 y + m02,
 * y' = m10 x + m11 y + m12 (the first two rows of skimage's params, cv2.warpAffine's M).
 */
import { FacenetError } from '../errors.js';

/** Points as a flat [x0, y0, x1, y1, ...] array or as [[x0, y0], [x1, y1], ...]. */
export type Points2D = ArrayLike<number> | ReadonlyArray<readonly number[]>;

/** Flattens Points2D to [x0, y0, x1, y1, ...]. */
export function flattenPoints(points: Points2D, who = 'points'): Float64Array {
  const first = points[0];
  if (first !== undefined && typeof first !== 'number') {
    const rows = points as ReadonlyArray<readonly number[]>;
    const out = new Float64Array(rows.length * 2);
    rows.forEach((p, i) => {
      if (p.length !== 2) throw new FacenetError('BAD_ARGUMENT', `${who}[${i}] must be [x, y], got ${p.length} values`);
      out[i * 2] = p[0]!;
      out[i * 2 + 1] = p[1]!;
    });
    return out;
  }
  const flat = points as ArrayLike<number>;
  if (flat.length % 2 !== 0) throw new FacenetError('BAD_ARGUMENT', `${who}: odd number of coordinates (${flat.length})`);
  return Float64Array.from(flat);
}

/** The similarity transform mapping `src` onto `dst` in the least-squares sense. */
export function estimateSimilarity(src: Points2D, dst: Points2D): Float64Array {
  const s = flattenPoints(src, 'src');
  const d = flattenPoints(dst, 'dst');
  const n = s.length / 2;
  if (d.length !== s.length) {
    throw new FacenetError('SHAPE_MISMATCH', `estimateSimilarity: ${n} source points but ${d.length / 2} destination points`);
  }
  if (n < 2) throw new FacenetError('BAD_ARGUMENT', `estimateSimilarity: need at least 2 point pairs, got ${n}`);
  let sx = 0;
  let sy = 0;
  let dx = 0;
  let dy = 0;
  for (let i = 0; i < n; i++) {
    sx += s[2 * i]!;
    sy += s[2 * i + 1]!;
    dx += d[2 * i]!;
    dy += d[2 * i + 1]!;
  }
  sx /= n;
  sy /= n;
  dx /= n;
  dy /= n;
  let varSum = 0;
  let dot = 0;
  let cross = 0;
  for (let i = 0; i < n; i++) {
    const px = s[2 * i]! - sx;
    const py = s[2 * i + 1]! - sy;
    const qx = d[2 * i]! - dx;
    const qy = d[2 * i + 1]! - dy;
    varSum += px * px + py * py;
    dot += px * qx + py * qy;
    cross += px * qy - py * qx;
  }
  if (!(varSum > 0)) {
    throw new FacenetError('BAD_ARGUMENT', 'estimateSimilarity: the source points all coincide (no unique transform)');
  }
  if (dot === 0 && cross === 0) {
    throw new FacenetError('BAD_ARGUMENT', 'estimateSimilarity: the destination points all coincide (no unique transform)');
  }
  const a = dot / varSum;
  const b = cross / varSum;
  return Float64Array.of(a, -b, dx - (a * sx - b * sy), b, a, dy - (b * sx + a * sy));
}

function checkMatrix(m: ArrayLike<number>, who: string): void {
  if (m.length !== 6) throw new FacenetError('BAD_ARGUMENT', `${who}: a 2x3 matrix has 6 values, got ${m.length}`);
}

/** Inverse of an invertible 2x3 affine matrix (for mapping output pixels back to the source). */
export function invertAffine(m: ArrayLike<number>): Float64Array {
  checkMatrix(m, 'invertAffine');
  const [a, b, tx, c, d, ty] = [m[0]!, m[1]!, m[2]!, m[3]!, m[4]!, m[5]!];
  const det = a * d - b * c;
  if (det === 0 || !Number.isFinite(det)) {
    throw new FacenetError('BAD_ARGUMENT', `invertAffine: matrix is singular (determinant ${det})`);
  }
  const ia = d / det;
  const ib = -b / det;
  const ic = -c / det;
  const id = a / det;
  return Float64Array.of(ia, ib, -(ia * tx + ib * ty), ic, id, -(ic * tx + id * ty));
}

/** Applies a 2x3 affine matrix to points; returns flat [x0', y0', ...]. */
export function applyAffine(m: ArrayLike<number>, points: Points2D): Float64Array {
  checkMatrix(m, 'applyAffine');
  const p = flattenPoints(points);
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i += 2) {
    out[i] = m[0]! * p[i]! + m[1]! * p[i + 1]! + m[2]!;
    out[i + 1] = m[3]! * p[i]! + m[4]! * p[i + 1]! + m[5]!;
  }
  return out;
}

/**
 * insightface's arcface_dst: where the left eye, right eye, nose tip, left and right mouth corners
 * go in a 112x112 aligned face (face_align.py).
 */
export const ARCFACE_DST_112: ReadonlyArray<readonly [number, number]> = Object.freeze([
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
] as const);

/**
 * The ArcFace template for a square output of `size` pixels, flat [x0, y0, ...], as
 * insightface's estimate_norm: size % 112 == 0 scales by size/112; size % 128 == 0 scales by
 * size/128 and shifts x by 8 * size/128 (the 112 template centred in 128). Deliberate extension:
 * insightface asserts for other sizes; here they are scaled uniformly by size/112 (e.g. 160 for
 * FaceNet models).
 */
export function arcfaceTemplate(size = 112): Float64Array {
  if (!(size > 0) || !Number.isFinite(size)) {
    throw new FacenetError('BAD_ARGUMENT', `arcfaceTemplate: size must be a positive number, got ${size}`);
  }
  let ratio: number;
  let diffX = 0;
  if (size % 112 === 0) {
    ratio = size / 112.0;
  } else if (size % 128 === 0) {
    ratio = size / 128.0;
    diffX = 8.0 * ratio;
  } else {
    ratio = size / 112.0;
  }
  const out = new Float64Array(10);
  ARCFACE_DST_112.forEach(([x, y], i) => {
    out[2 * i] = x * ratio + diffX;
    out[2 * i + 1] = y * ratio;
  });
  return out;
}

/** estimate_norm: the matrix that warps a face with 5 landmarks onto arcfaceTemplate(size). */
export function estimateNorm(landmarks: Points2D, size = 112): Float64Array {
  const lmk = flattenPoints(landmarks, 'landmarks');
  if (lmk.length !== 10) throw new FacenetError('BAD_ARGUMENT', `estimateNorm: need 5 landmarks, got ${lmk.length / 2}`);
  return estimateSimilarity(lmk, arcfaceTemplate(size));
}
