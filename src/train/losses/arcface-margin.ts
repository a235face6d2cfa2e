/**
 * Additive angular margin (ArcFace, Deng et al. 2019), beyond facenet: the target class's cosine
 * cos(theta) becomes cos(theta + m), then every logit is scaled by s. As insightface's
 * ArcFace/CombinedMarginLoss (easy_margin off): where theta + m would pass pi (cos(theta) <= cos(pi - m))
 * the target logit is cos(theta) - m * sin(m) instead, which keeps it monotonic.
 */
import { oneHot, where, type Tensor } from '../../tensor/index.js';

export interface ArcMargin {
  /** Scale s (insightface: 64). */
  scale: number;
  /** Angular margin m in radians (insightface: 0.5). */
  margin: number;
}

/** Logits s * cos(theta + m * onehot) from cosines [N, C] and int64 labels [N]. */
export function arcfaceLogits(cosine: Tensor, labels: Tensor, { scale, margin }: ArcMargin): Tensor {
  const [, classes] = cosine.shape as [number, number];
  const cosM = Math.cos(margin);
  const sinM = Math.sin(margin);
  const threshold = Math.cos(Math.PI - margin);
  const fallback = Math.sin(Math.PI - margin) * margin;
  const target = cosine.gather(1, labels.unsqueeze(1)); // [N, 1]
  // Clamped away from 0 so that sqrt's gradient stays finite when cos = ±1.
  const sine = target.square().neg().add(1).clamp(1e-9, 1).sqrt();
  const phi = target.mul(cosM).sub(sine.mul(sinM)); // cos(theta + m)
  const marginTarget = where(target.gt(threshold), phi, target.sub(fallback));
  const mask = oneHot(labels, classes).float(); // [N, C]
  return cosine.add(mask.mul(marginTarget.sub(target))).mul(scale);
}
