import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auc, trapezoid } from './auc.js';

test('trapezoid areas', () => {
  assert.equal(trapezoid([0, 1, 1], [0, 0.5, 1]), 0.75);
  assert.equal(trapezoid([2, 2], [1, 3]), 4);
});

test('auc: increasing, decreasing (sign flipped), flat steps', () => {
  assert.equal(auc([0, 0.5, 1], [0, 1, 1]), 0.75);
  assert.equal(auc([1, 0.5, 0], [1, 1, 0]), 0.75);
  assert.equal(auc([0, 0, 1, 1], [0, 0.5, 0.5, 1]), 0.5);
});

test('auc refuses a non-monotonic x and fewer than 2 points', () => {
  assert.throws(() => auc([0, 1, 0.5], [0, 1, 1]), { code: 'BAD_ARGUMENT' });
  assert.throws(() => auc([0], [1]), { code: 'BAD_ARGUMENT' });
  assert.throws(() => auc([0, 1], [1]), { code: 'SHAPE_MISMATCH' });
});
