/**
 * The image pyramid of MTCNN's first stage, as both detect_face.py versions build it: scales
 * m, m*f, m*f^2, … with m = 12 / minFaceSize, while min(h, w) * scale >= 12 (the running product
 * is updated by the same multiplications, so the number of levels matches the reference to the bit).
 */

export function pyramidScales(height: number, width: number, minFaceSize: number, factor: number): number[] {
  const m = 12.0 / minFaceSize;
  let minl = Math.min(height, width) * m;
  let scale = m;
  const scales: number[] = [];
  while (minl >= 12) {
    scales.push(scale);
    scale *= factor;
    minl *= factor;
  }
  return scales;
}

/** Size of a pyramid level: int(h * scale + 1) x int(w * scale + 1), as facenet-pytorch. */
export function levelSize(height: number, width: number, scale: number): [h: number, w: number] {
  return [Math.trunc(height * scale + 1), Math.trunc(width * scale + 1)];
}
