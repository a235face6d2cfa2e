import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRoc, thresholdForFar } from './far-threshold.js';

const roc = { thresholds: [0, 1, 2, 3], fpr: [0, 0.01, 0.01, 0.2], tpr: [0, 0.8, 0.9, 1] };

test('thresholdForFar: exact points, interpolation, flat stretches, ends', () => {
  assert.equal(thresholdForFar(roc, 0.01), 2); // the last threshold still at far 0.01
  assert.equal(thresholdForFar(roc, 0.005), 0.5);
  assert.ok(Math.abs(thresholdForFar(roc, 0.105) - 2.5) < 1e-12);
  assert.equal(thresholdForFar(roc, 0.5), 3);
  assert.equal(thresholdForFar(roc, 1), 3);
  assert.throws(() => thresholdForFar(roc, 0), { code: 'BAD_ARGUMENT' });
  assert.throws(() => thresholdForFar(roc, 2), { code: 'BAD_ARGUMENT' });
  assert.throws(() => thresholdForFar({ thresholds: [0, 1], fpr: [0.1, 0.2], tpr: [0, 1] }, 0.05), { code: 'BAD_ARGUMENT', message: /smallest false-accept rate is 0.1/ });
});

test('parseRoc accepts well-formed ROCs only', () => {
  assert.deepEqual(parseRoc(roc), roc);
  assert.equal(parseRoc(null), null);
  assert.equal(parseRoc({ thresholds: [0], fpr: [0, 1], tpr: [0] }), null);
  assert.equal(parseRoc({ thresholds: [0], fpr: ['x'], tpr: [0] }), null);
  assert.equal(parseRoc({ thresholds: [], fpr: [], tpr: [] }), null);
});
