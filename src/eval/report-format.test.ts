import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LfwReport } from './lfw-protocol.js';
import { formatFixed, formatLfwReport } from './report-format.js';

test('formatFixed behaves like Python %f, exact ties to even', () => {
  assert.equal(formatFixed(0.015625, 5), '0.01562'); // '%2.5f' % 0.015625
  assert.equal(formatFixed(0.046875, 5), '0.04688');
  assert.equal(formatFixed(0.5, 0), '0');
  assert.equal(formatFixed(2.5, 0), '2');
  assert.equal(formatFixed(0.0625, 3), '0.062');
  assert.equal(formatFixed(0.9491666666666667, 5), '0.94917');
  assert.equal(formatFixed(-0, 5), '-0.00000');
  assert.equal(formatFixed(-0.25, 1), '-0.2');
  assert.equal(formatFixed(NaN, 3), 'nan');
  assert.equal(formatFixed(-Infinity, 3), '-inf');
});

test('validate_on_lfw lines for the fixture figures (metric 0)', () => {
  const report = {
    accuracy_mean: 0.9491666666666667,
    accuracy_std: 0.007573711845001171,
    val: 0.49300000000000005,
    val_std: 0.026685410079500583,
    far: 0.001,
    auc: 0.9899652777777777,
    eer: 0.050098039215686216,
    settings: { nrofFolds: 10, distanceMetric: 0, subtractMean: false, farTarget: 0.001, clipCosine: false, nrofPairs: 6000, embeddingSize: 128 },
  } as LfwReport;
  // The first four lines as Python prints them for these numbers.
  assert.equal(
    formatLfwReport(report),
    [
      'Accuracy: 0.94917+-0.00757',
      'Validation rate: 0.49300+-0.02669 @ FAR=0.00100',
      'Area Under Curve (AUC): 0.990',
      'Equal Error Rate (EER): 0.050',
      'Settings: 6000 pairs, 128-d embeddings, 10 folds, distance metric 0 (squared Euclidean), subtract mean: no, FAR target 0.001',
    ].join('\n'),
  );
});
