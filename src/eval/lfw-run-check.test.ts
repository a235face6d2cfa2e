import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLfwRun, formatPairsHeadline, singleClassFoldWarnings } from './lfw-run-check.js';

const alternating = (n: number) => Array.from({ length: n }, (_, i) => i % 2 === 0);

test('a healthy run: no problems, the headline counts used and skipped pairs', () => {
  const c = checkLfwRun(alternating(5999), 1, 10);
  assert.deepEqual(c.singleClassFolds, []);
  assert.equal(c.tooManySkipped, false);
  assert.deepEqual(c.thresholdProblems, []);
  assert.equal(formatPairsHeadline(c), 'Pairs: 5999 used, 1 skipped (0.017%) of 6000');
});

test("the issue's run: 79 of 6000 pairs used, all 'same' -> too many skipped, single-class folds, no threshold", () => {
  const c = checkLfwRun(Array(79).fill(true), 5921, 10);
  assert.equal(formatPairsHeadline(c), 'Pairs: 79 used, 5921 skipped (98.7%) of 6000');
  assert.equal(c.tooManySkipped, true);
  assert.equal(c.singleClassFolds.length, 10);
  assert.deepEqual(c.singleClassFolds[0], { fold: 1, kind: 'same', pairs: 8 });
  assert.equal(c.thresholdProblems.length, 3);
  assert.match(c.thresholdProblems[0]!, /5921 of 6000 pairs \(98\.7%\) were skipped, more than --max-skipped 0\.01/);
  assert.match(singleClassFoldWarnings(c)[9]!, /^fold 10 holds only "same" pairs \(7\)/);
});

test('--max-skipped overrides the share; a fold of one kind is found among mixed ones', () => {
  assert.equal(checkLfwRun(alternating(90), 10, 10, 0.2).tooManySkipped, false);
  assert.equal(checkLfwRun(alternating(90), 10, 10, 0.05).tooManySkipped, true);
  // LFW's layout: blocks of 300 same then 300 different; with 600 pairs and 20 folds, every fold is one kind
  const blocks = [...Array(300).fill(true), ...Array(300).fill(false)];
  assert.equal(checkLfwRun(blocks, 0, 20).singleClassFolds.length, 20);
  const oneBad = [...alternating(90), ...Array(10).fill(false)];
  assert.deepEqual(checkLfwRun(oneBad, 0, 10).singleClassFolds, [{ fold: 10, kind: 'different', pairs: 10 }]);
});
