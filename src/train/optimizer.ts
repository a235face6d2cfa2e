/**
 * facenet's --optimizer choices (facenet.train) mapped onto the engine's optimisers. The
 * learning rate is set every step from the schedule, so only the other settings live here.
 *
 * | facenet  | TensorFlow                                          | here                                   |
 * |----------|-----------------------------------------------------|----------------------------------------|
 * | ADAGRAD  | AdagradOptimizer, initial_accumulator_value 0.1     | adagrad, initial accumulator 0.1, eps 0 |
 * | ADADELTA | AdadeltaOptimizer(rho 0.9, epsilon 1e-6)            | adadelta, rho 0.9, eps 1e-6 (same maths) |
 * | ADAM     | AdamOptimizer(beta1 0.9, beta2 0.999, epsilon 0.1)  | adam, betas (0.9, 0.999), eps 0.1       |
 * | RMSPROP  | RMSPropOptimizer(decay 0.9, momentum 0.9, eps 1.0)  | rmsprop, alpha 0.9, momentum 0.9, eps 1 |
 * | MOM      | MomentumOptimizer(0.9, use_nesterov=True)           | sgd, momentum 0.9, nesterov (same maths) |
 *
 * Differences that remain (libtorch's optimisers do not expose TF's variants):
 *  - ADAGRAD: none in the update (TF: var -= lr * g / sqrt(accum), accum starting at 0.1; eps 0 here).
 *  - ADAM: TF applies epsilon to the bias-corrected step, lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t),
 *    var -= lr_t * m / (sqrt(v) + eps); torch divides by (sqrt(v) / sqrt(1 - b2^t) + eps). With
 *    facenet's large eps = 0.1 the effective TF epsilon is eps / sqrt(1 - b2^t) in torch's terms:
 *    about 3.2 at step 1, 0.14 at step 1,000, -> 0.1 later. So the first few thousand steps take
 *    larger updates here than in facenet.
 *  - RMSPROP: TF adds eps inside the square root, sqrt(ms + eps), and starts ms at 1; torch
 *    divides by sqrt(ms) + eps with ms starting at 0. With eps = 1 both denominators are about
 *    1 for small gradients, but they differ by up to a factor ~1.4. TF also multiplies the learning
 *    rate into the momentum accumulator (mom = 0.9 mom + lr g / ...), torch applies it after; the
 *    two agree while the rate is constant and differ briefly after a schedule change.
 *  - MOM: none with a constant rate (same lr-placement remark as RMSPROP at schedule changes).
 */
import { createOptimizer, type Optimizer, type OptimizerKind, type OptimizerOptions, type Tensor } from '../tensor/index.js';
import type { FacenetOptimizerName } from './config.js';

export interface OptimizerChoice {
  kind: OptimizerKind;
  options: OptimizerOptions;
}

export function facenetOptimizer(name: FacenetOptimizerName): OptimizerChoice {
  switch (name) {
    case 'ADAGRAD':
      return { kind: 'adagrad', options: { initialAccumulatorValue: 0.1, eps: 0, lrDecay: 0 } };
    case 'ADADELTA':
      return { kind: 'adadelta', options: { rho: 0.9, eps: 1e-6 } };
    case 'ADAM':
      return { kind: 'adam', options: { beta1: 0.9, beta2: 0.999, eps: 0.1 } };
    case 'RMSPROP':
      return { kind: 'rmsprop', options: { alpha: 0.9, momentum: 0.9, eps: 1.0, centered: false } };
    case 'MOM':
      return { kind: 'sgd', options: { momentum: 0.9, nesterov: true, dampening: 0 } };
  }
}

/** Creates the optimiser for params with facenet's settings; lr is the first step's rate. */
export function createFacenetOptimizer(name: FacenetOptimizerName, params: Tensor[], lr: number): Optimizer {
  const { kind, options } = facenetOptimizer(name);
  return createOptimizer(kind, params, { ...options, lr });
}
