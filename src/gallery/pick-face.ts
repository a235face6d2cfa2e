/** Which detected face of an image enrolls (or verifies): exactly one, or the largest when asked. */
import { faceArea, type Face } from '../detect/face.js';

export type PickedFace<T extends { face: Face }> = { ok: true; found: T } | { ok: false; reason: string; code: 'NO_FACE' | 'SEVERAL_FACES' };

export function pickFace<T extends { face: Face }>(found: readonly T[], largestFace: boolean): PickedFace<T> {
  if (found.length === 0) return { ok: false, code: 'NO_FACE', reason: 'no face found' };
  if (found.length === 1) return { ok: true, found: found[0]! };
  if (!largestFace) return { ok: false, code: 'SEVERAL_FACES', reason: `${found.length} faces found: crop the image to one person, or pass --largest-face (largestFace: true)` };
  let best = found[0]!;
  for (const f of found) if (faceArea(f.face) > faceArea(best.face)) best = f;
  return { ok: true, found: best };
}

/** A short name for an input in reports: its path, or its position. */
export function describeInput(input: unknown, index: number): string {
  return typeof input === 'string' ? input : `#${index}`;
}
