import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from './rng.js';
import { confusionAt, ratesOf, valFarOf, ThresholdCounter, type Labels } from './roc.js';
import type { NumArray } from './numpy-reduce.js';

// facenet's calculate_accuracy / calculate_val_far, composed from the pieces lfw-protocol.ts uses.
const calculateAccuracy = (t: number, d: NumArray, s: Labels, idx?: NumArray) => ratesOf(confusionAt(t, d, s, idx));
const calculateValFar = (t: number, d: NumArray, s: Labels, idx?: NumArray) => valFarOf(confusionAt(t, d, s, idx));

const dist = [0.1, 0.5, 0.5, 0.9];
const issame = [true, true, false, false];

test('prediction is dist < threshold, strictly', () => {
  assert.deepEqual(confusionAt(0.5, dist, issame), { tp: 1, fp: 0, tn: 2, fn: 1 });
  assert.deepEqual(calculateAccuracy(0.5, dist, issame), { tpr: 0.5, fpr: 0, accuracy: 0.75 });
  assert.deepEqual(calculateAccuracy(0.6, dist, issame), { tpr: 1, fpr: 0.5, accuracy: 0.75 });
  assert.deepEqual(calculateAccuracy(0, dist, issame), { tpr: 0, fpr: 0, accuracy: 0.5 });
});

test('rates are 0 (not NaN) when a class is absent, as facenet', () => {
  assert.deepEqual(calculateAccuracy(1, [0.2, 0.3], [false, false]), { tpr: 0, fpr: 1, accuracy: 0 });
  assert.deepEqual(calculateAccuracy(1, [0.2, 0.3], [1, 1]), { tpr: 1, fpr: 0, accuracy: 1 });
});

test('subsets by index; VAL/FAR', () => {
  assert.deepEqual(confusionAt(0.6, dist, issame, [1, 3]), { tp: 1, fp: 0, tn: 1, fn: 0 });
  assert.deepEqual(calculateValFar(0.6, dist, issame), { val: 1, far: 0.5 });
  const none = calculateValFar(0.6, dist, issame, [0, 1]);
  assert.equal(none.val, 1);
  assert.ok(Number.isNaN(none.far));
});

test('NaN distances are always predicted different', () => {
  assert.deepEqual(confusionAt(10, [NaN, NaN], [1, 0]), { tp: 0, fp: 0, tn: 1, fn: 1 });
});

test('ThresholdCounter gives the direct counts, with ties, NaNs and subsets', () => {
  const rng = new Rng(7);
  const n = 500;
  const d = Array.from({ length: n }, () => (rng.nextInt(10) === 0 ? NaN : rng.nextInt(50) / 20));
  const same = Array.from({ length: n }, () => rng.nextInt(2));
  const subset = Int32Array.from({ length: 200 }, (_, i) => i * 2);
  const all = new ThresholdCounter(d, same);
  const sub = new ThresholdCounter(d, same, subset);
  for (let t = -0.1; t < 3; t += 0.05) {
    assert.deepEqual(all.confusionAt(t), confusionAt(t, d, same));
    assert.deepEqual(sub.confusionAt(t), confusionAt(t, d, same, subset));
  }
  for (const t of [0.5, 1, NaN]) assert.deepEqual(all.confusionAt(t), confusionAt(t, d, same));
});

test('length mismatch is SHAPE_MISMATCH', () => {
  assert.throws(() => confusionAt(0.5, [0.1], [1, 0]), { code: 'SHAPE_MISMATCH' });
});
