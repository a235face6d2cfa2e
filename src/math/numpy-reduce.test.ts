import { test } from 'node:test';
import assert from 'node:assert/strict';
import { columnMeans, npDiff, npMean, npStd, npSum, pairwiseSum } from './numpy-reduce.js';

test('pairwiseSum adds fewer than 8 values left to right', () => {
  assert.equal(pairwiseSum([1e16, 1, 1, 1]), 1e16); // each +1 is lost against 1e16
  assert.ok(Object.is(pairwiseSum([]), -0));
});

test('pairwiseSum uses 8 accumulators like numpy (np.sum gives 4, a left-to-right sum 3)', () => {
  const a = [1e16, 1, 1, 1, -1e16, 1, 1, 1];
  assert.equal(a.reduce((s, v) => s + v, 0), 3);
  // ((1e16+1) + (1+1)) + ((-1e16+1) + (1+1)) = (1e16+2) + (-1e16+2) = 4
  assert.equal(npSum(a), 4);
  // 12 values: the 4 past the last block of 8 are added one by one after the blocks: numpy gives 9.
  assert.equal(npSum([1e16, 1, 1, 1, 1, 1, 1, 1, -1e16, 1, 1, 1]), 9);
});

test('pairwiseSum splits long runs into halves that are multiples of 8', () => {
  const a = Float64Array.from({ length: 1000 }, (_, i) => (i % 7) * 0.1);
  const n2 = 496; // floor(1000/2) = 500, minus 500 % 8
  assert.equal(pairwiseSum(a), pairwiseSum(a, 0, n2) + pairwiseSum(a, n2, 1000 - n2));
  assert.equal(pairwiseSum([0, 1, 2, 3, 4, 5], 1, 3, 2), 1 + 3 + 5);
});

test('npMean and npStd (population, ddof 0)', () => {
  assert.equal(npMean([0.1, 0.2, 0.7]), 0.3333333333333333);
  assert.equal(npStd([1, 2, 3, 4]), 1.118033988749895);
  assert.equal(npStd([0.1, 0.2, 0.7]), 0.262466929133727); // np.std([0.1, 0.2, 0.7])
  assert.ok(Number.isNaN(npMean([])));
});

test('columnMeans averages the chosen rows of both lists', () => {
  const m = columnMeans([1, 2, 3, 4, 5, 6, 7, 8], 2, [[0, 3], [1]]);
  assert.deepEqual([...m], [(1 + 7 + 3) / 3, (2 + 8 + 4) / 3]);
});

test('npDiff', () => {
  assert.deepEqual([...npDiff([1, 4, 9])], [3, 5]);
  assert.equal(npDiff([1]).length, 0);
});
