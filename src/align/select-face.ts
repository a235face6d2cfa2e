/**
 * Which face align_dataset_mtcnn.py keeps when it finds several and --detect_multiple_faces is off:
 * the one with the largest box area minus twice the squared distance of its box centre from the
 * image centre (a bias towards centred faces). Ties go to the first face, as numpy's argmax.
 */
import type { Face } from '../detect/index.js';

export function selectCentralFace(faces: readonly Face[], width: number, height: number): number {
  let best = -1;
  let bestScore = -Infinity;
  faces.forEach((f, i) => {
    const [x1, y1, x2, y2] = f.box;
    const area = (x2 - x1) * (y2 - y1);
    const dx = (x1 + x2) / 2 - width / 2;
    const dy = (y1 + y2) / 2 - height / 2;
    const score = area - (dx * dx + dy * dy) * 2.0;
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  });
  return best;
}
