import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FacenetError } from '../errors.js';
import { kfoldSizes, kfoldSplit } from './kfold.js';

test('fold sizes: the first n % k folds get one more', () => {
  assert.deepEqual(kfoldSizes(10, 3), [4, 3, 3]);
  assert.deepEqual(kfoldSizes(11, 4), [3, 3, 3, 2]);
  assert.deepEqual(kfoldSizes(6000, 10), Array(10).fill(600));
});

test('split(5, 2) equals sklearn KFold(2).split(range(5))', () => {
  const folds = kfoldSplit(5, 2);
  assert.deepEqual(folds.map((f) => [[...f.train], [...f.test]]), [
    [[3, 4], [0, 1, 2]],
    [[0, 1, 2], [3, 4]],
  ]);
});

test('LFW folds are contiguous blocks of 600', () => {
  const folds = kfoldSplit(6000, 10);
  const f3 = folds[3]!;
  assert.equal(f3.test[0], 1800);
  assert.equal(f3.test[599], 2399);
  assert.equal(f3.train.length, 5400);
  assert.equal(f3.train[1799], 1799);
  assert.equal(f3.train[1800], 2400);
});

test('bad arguments are FacenetError BAD_ARGUMENT', () => {
  const bad = (fn: () => unknown) => assert.throws(fn, (e: unknown) => e instanceof FacenetError && e.code === 'BAD_ARGUMENT');
  bad(() => kfoldSplit(10, 1));
  bad(() => kfoldSplit(3, 4));
  bad(() => kfoldSplit(10, 2.5));
  bad(() => kfoldSizes(-1, 2));
});
