import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lfwFacts, summarizeLfw, thresholdUnusableBecause } from './lfw-facts.js';
import { spreadSubset } from './validate-lfw.js';
import type { LfwReport } from './lfw-protocol.js';

const report = {
  accuracy_mean: 0.9,
  accuracy_std: 0.05,
  fold_accuracy: [0.85, 0.95],
  val: 0.4,
  val_std: 0.1,
  far: 0.001,
  auc: 0.93,
  eer: 0.11,
  best_thresholds: [1.1, 1.3],
  val_thresholds: [0.5, 0.6],
  tpr: [],
  fpr: [],
  settings: { nrofFolds: 2, distanceMetric: 0, subtractMean: false, farTarget: 1e-3, clipCosine: false, nrofPairs: 40, embeddingSize: 8 },
} as unknown as LfwReport;

test('summarizeLfw: camelCase figures, mean best threshold, pairs from the report settings', () => {
  const s = summarizeLfw(report, 3);
  assert.deepEqual(s, { accuracy: 0.9, accuracyStd: 0.05, val: 0.4, valStd: 0.1, far: 0.001, auc: 0.93, eer: 0.11, threshold: 1.2000000000000002, pairs: 40, skippedPairs: 3 });
  assert.deepEqual(lfwFacts({ ...s, seconds: 9 } as typeof s, 'pairs.txt'), { ...s, pairsFile: 'pairs.txt' });
});

test('thresholdUnusableBecause: only squared L2 without flips or mean subtraction stores a threshold', () => {
  assert.equal(thresholdUnusableBecause({ distanceMetric: 0, subtractMean: false, flipped: false }), null);
  assert.match(thresholdUnusableBecause({ distanceMetric: 1, subtractMean: false, flipped: false })!, /squared L2/);
  assert.match(thresholdUnusableBecause({ distanceMetric: 0, subtractMean: false, flipped: true })!, /flipped/);
  assert.match(thresholdUnusableBecause({ distanceMetric: 0, subtractMean: true, flipped: false })!, /mean/);
});

test('spreadSubset: n evenly spread items; all of them for n <= 0 or n >= length', () => {
  const items = Array.from({ length: 10 }, (_, i) => i);
  assert.deepEqual(spreadSubset(items, 4), [0, 2, 5, 7]);
  assert.deepEqual(spreadSubset(items, 0), items);
  assert.deepEqual(spreadSubset(items, 12), items);
});
