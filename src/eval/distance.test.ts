import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairDistances } from './distance.js';

test('squared Euclidean and angular distances of hand-made pairs', () => {
  // pair 0: (1,0) vs (0,1); pair 1: (3,4) vs (3,4); pair 2: (1,0) vs (-2,0)
  const e = Float32Array.of(1, 0, 0, 1, 3, 4, 3, 4, 1, 0, -2, 0);
  assert.deepEqual([...pairDistances(e, 2, { metric: 0 })], [2, 0, 9]);
  assert.deepEqual([...pairDistances(e, 2, { metric: 1 })], [0.5, 0, 1]);
});

test('the mean is subtracted from both sides first', () => {
  const e = Float64Array.of(2, 1, 1, 2);
  // (2,1)-(1,1) = (1,0), (1,2)-(1,1) = (0,1): orthogonal
  assert.deepEqual([...pairDistances(e, 2, { metric: 1, mean: [1, 1] })], [0.5]);
  assert.deepEqual([...pairDistances(e, 2, { metric: 0, mean: [1, 1] })], [2]);
});

test('cosine above 1 is NaN as in facenet unless clipped', () => {
  // identical rows (0.1, 0.1, 0.3): dot / (|a| |b|) rounds to 1.0000000000000002 (numpy too)
  const e = Float64Array.of(0.1, 0.1, 0.3, 0.1, 0.1, 0.3);
  assert.ok(Number.isNaN(pairDistances(e, 3, { metric: 1 })[0]));
  assert.equal(pairDistances(e, 3, { metric: 1, clipCosine: true })[0], 0);
});

test('shape and metric checks', () => {
  assert.throws(() => pairDistances([1, 2, 3], 2, { metric: 0 }), { code: 'SHAPE_MISMATCH' });
  assert.throws(() => pairDistances([1, 2, 3, 4], 2, { metric: 2 as 0 }), { code: 'BAD_ARGUMENT' });
  assert.throws(() => pairDistances([1, 2, 3, 4], 2, { metric: 0, mean: [1] }), { code: 'SHAPE_MISMATCH' });
});
