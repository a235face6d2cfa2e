/**
 * Detector settings: load-time options (which weights, where from) and per-call detection options
 * with frozen defaults and one validation step. The defaults are facenet's and facenet-pytorch's:
 * minimum face 20 px, thresholds 0.6 / 0.7 / 0.7, pyramid factor 0.709.
 */
import { FacenetError } from '../errors.js';
import type { LoadMtcnnOptions } from '../models/mtcnn/index.js';
import type { RuntimeOptions } from '../tensor/index.js';

export type FaceOrder = 'area' | 'probability';

export interface DetectOptions {
  /** Smallest face side searched for, in pixels (the pyramid starts at scale 12 / minFaceSize). */
  minFaceSize: number;
  /** Score thresholds of P-Net (>=), R-Net (>) and O-Net (>), as the reference compares them. */
  thresholds: [number, number, number];
  /** Ratio between successive pyramid scales, in (0, 1). */
  factor: number;
  /**
   * Order of the returned faces: 'area' (largest box first, facenet-pytorch's select_largest
   * default) or 'probability' (most confident first).
   */
  order: FaceOrder;
}

export const DEFAULT_DETECT_OPTIONS: Readonly<DetectOptions> = Object.freeze({
  minFaceSize: 20,
  thresholds: Object.freeze([0.6, 0.7, 0.7]) as unknown as [number, number, number],
  factor: 0.709,
  order: 'area' as FaceOrder,
});

export interface MtcnnLoadOptions extends LoadMtcnnOptions, RuntimeOptions {
  /** Default detection options of this detector (each detect() call may override them). */
  detect?: Partial<DetectOptions>;
}

/** Fills defaults and validates; throws BAD_ARGUMENT naming the offending option. */
export function resolveDetectOptions(o: Partial<DetectOptions> = {}, base: Readonly<DetectOptions> = DEFAULT_DETECT_OPTIONS): DetectOptions {
  const r: DetectOptions = {
    minFaceSize: o.minFaceSize ?? base.minFaceSize,
    thresholds: [...(o.thresholds ?? base.thresholds)] as [number, number, number],
    factor: o.factor ?? base.factor,
    order: o.order ?? base.order,
  };
  if (!(Number.isFinite(r.minFaceSize) && r.minFaceSize > 0)) {
    throw new FacenetError('BAD_ARGUMENT', `minFaceSize must be a positive number of pixels, got ${r.minFaceSize}`);
  }
  if (r.thresholds.length !== 3 || !r.thresholds.every((t) => Number.isFinite(t) && t >= 0 && t <= 1)) {
    throw new FacenetError('BAD_ARGUMENT', `thresholds must be three numbers in [0, 1] (P-Net, R-Net, O-Net), got [${r.thresholds.join(', ')}]`);
  }
  // factor near 1 makes the pyramid endless in practice; 0.99 still gives ~400 levels at most.
  if (!(Number.isFinite(r.factor) && r.factor > 0 && r.factor <= 0.99)) {
    throw new FacenetError('BAD_ARGUMENT', `factor must be in (0, 0.99], got ${r.factor}`);
  }
  if (r.order !== 'area' && r.order !== 'probability') {
    throw new FacenetError('BAD_ARGUMENT', `order must be 'area' or 'probability', got '${String(r.order)}'`);
  }
  return r;
}
