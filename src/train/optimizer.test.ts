import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, tidy, keep, noGrad, type Tensor } from '../tensor/index.js';
import { createFacenetOptimizer, facenetOptimizer } from './optimizer.js';
import type { FacenetOptimizerName } from './config.js';

/** w starts at 1, loss = 2w (gradient 2); returns w after each step. */
function run(name: FacenetOptimizerName, lr: number, steps: number): number[] {
  const w: Tensor = keep(noGrad(() => tensor([1]).requiresGrad_()));
  const opt = createFacenetOptimizer(name, [w], lr);
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    tidy(() => {
      w.mul(2).sum().backward();
      opt.step();
      opt.zeroGrad();
    });
    out.push(w.item());
  }
  opt.dispose();
  w.dispose();
  return out;
}

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test("facenet's settings for each optimizer", () => {
  assert.deepEqual(facenetOptimizer('ADAGRAD'), { kind: 'adagrad', options: { initialAccumulatorValue: 0.1, eps: 0, lrDecay: 0 } });
  assert.equal(facenetOptimizer('ADAM').options.eps, 0.1);
  assert.deepEqual(facenetOptimizer('RMSPROP').options, { alpha: 0.9, momentum: 0.9, eps: 1.0, centered: false });
  assert.deepEqual(facenetOptimizer('MOM'), { kind: 'sgd', options: { momentum: 0.9, nesterov: true, dampening: 0 } });
});

test('ADAGRAD, ADADELTA and MOM follow the TensorFlow update rules exactly', () => {
  // TF Adagrad: accum = 0.1 + g^2; var -= lr g / sqrt(accum)
  close(run('ADAGRAD', 0.1, 1)[0]!, 1 - (0.1 * 2) / Math.sqrt(4.1));
  const two = run('ADAGRAD', 0.1, 2);
  close(two[1]!, two[0]! - (0.1 * 2) / Math.sqrt(8.1));
  // TF Adadelta: accum = 0.1 g^2, update = sqrt(0 + eps) / sqrt(accum + eps) g, var -= lr update
  close(run('ADADELTA', 1.0, 1)[0]!, 1 - (Math.sqrt(1e-6) / Math.sqrt(0.4 + 1e-6)) * 2, 1e-7);
  // TF Momentum, nesterov: accum = 0.9 accum + g; var -= lr g + lr 0.9 accum
  const mom = run('MOM', 0.1, 2);
  close(mom[0]!, 1 - 0.1 * (2 + 0.9 * 2));
  close(mom[1]!, mom[0]! - 0.1 * (2 + 0.9 * 3.8));
});

test('ADAM and RMSPROP run with the documented differences from TensorFlow', () => {
  // torch Adam, eps 0.1: step 1 = lr * m_hat / (sqrt(v_hat) + eps) = lr * 2 / 2.1 (TF: lr * 0.0632 / (0.0632 + 0.1)).
  close(run('ADAM', 0.1, 1)[0]!, 1 - (0.1 * 2) / 2.1, 1e-6);
  // torch RMSprop: ms = 0.1 g^2, buf = g / (sqrt(ms) + 1), var -= lr buf.
  close(run('RMSPROP', 0.1, 1)[0]!, 1 - (0.1 * 2) / (Math.sqrt(0.4) + 1), 1e-6);
});
