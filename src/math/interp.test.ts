import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interp1dLinear, interp1dSlinear, npInterp } from './interp.js';

test('numpy.interp: inside, at knots, outside', () => {
  assert.equal(npInterp(2.5, [1, 2, 3], [3, 2, 0]), 1);
  assert.equal(npInterp(2, [1, 2, 3], [3, 2, 0]), 2);
  assert.equal(npInterp(3, [1, 2, 3], [3, 2, 0]), 0);
  assert.equal(npInterp(0, [1, 2, 3], [3, 2, 0]), 3);
  assert.equal(npInterp(9, [1, 2, 3], [3, 2, 0]), 0);
  assert.equal(npInterp(0, [1, 2, 3], [3, 2, 0], -1, 7), -1);
  assert.equal(npInterp(9, [1, 2, 3], [3, 2, 0], -1, 7), 7);
  assert.equal(npInterp(5, [2], [4]), 4);
  assert.ok(Number.isNaN(npInterp(NaN, [1, 2], [1, 2])));
});

test('numpy.interp with repeated xp: the last duplicate wins, no 0/0', () => {
  assert.equal(npInterp(1, [0, 1, 1, 2], [0, 1, 3, 4]), 3); // np.interp gives 3.0
  assert.equal(npInterp(0.5, [0, 0, 1], [5, 7, 9]), 8); // 8.0
  assert.equal(npInterp(0, [0, 0, 1], [5, 7, 9]), 7); // 7.0
});

test('interp1d linear sorts x (stably) and refuses to extrapolate', () => {
  const f = interp1dLinear([2, 0, 1], [4, 0, 1]);
  assert.equal(f(1.5), 2.5);
  assert.equal(f(0.25), 0.25);
  assert.throws(() => f(-0.5), { code: 'BAD_ARGUMENT' });
  assert.throws(() => f(2.5), { code: 'BAD_ARGUMENT' });
});

test('interp1d slinear: same segments, scipy B-spline rounding, no duplicates', () => {
  const f = interp1dSlinear([0, 1, 3], [0, 10, 30]);
  assert.equal(f(2), 20);
  assert.equal(f(3), 30);
  assert.equal(f(0), 0);
  // A case where scipy's slinear and numpy.interp differ in the last bit (values from scipy 1.17).
  const x = [0.5118216247002567, 0.9504636963259353];
  const y = [0.14415961271963373, 0.9486494471372439];
  assert.equal(interp1dSlinear(x, y)(0.6486040188081794), 0.39502484591375203);
  assert.equal(interp1dLinear(x, y)(0.6486040188081794), 0.3950248459137521);
  assert.throws(() => interp1dSlinear([0, 1, 1], [0, 1, 2]), { code: 'BAD_ARGUMENT' });
  assert.throws(() => f(3.5), { code: 'BAD_ARGUMENT' });
  assert.throws(() => interp1dSlinear([1], [1]), { code: 'BAD_ARGUMENT' });
});
