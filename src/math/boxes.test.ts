import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bbreg, boxArea, boxAreaPlusOne, boxRows, iou, overlapPlusOne, pnetRegression, rerec, rowCount, selectRows } from './boxes.js';

test('areas with and without the +1', () => {
  assert.equal(boxArea([0, 0, 9, 9]), 81);
  assert.equal(boxAreaPlusOne([0, 0, 9, 9]), 100);
});

test('IoU (torchvision, no +1) and facenet overlaps (+1)', () => {
  assert.equal(iou([0, 0, 10, 10], [5, 5, 15, 15]), 25 / 175);
  assert.equal(iou([0, 0, 1, 1], [2, 2, 3, 3]), 0);
  // +1: intersection 6 x 6 = 36, areas 121 each
  assert.equal(overlapPlusOne([0, 0, 10, 10], [5, 5, 15, 15], 'Union'), 36 / 206);
  assert.equal(overlapPlusOne([0, 0, 10, 10], [5, 5, 15, 15], 'Min'), 36 / 121);
  // touching boxes overlap by one pixel row with +1
  assert.equal(overlapPlusOne([0, 0, 9, 9], [9, 0, 18, 9], 'Union'), 10 / 190);
});

test('rerec squares around the centre (no +1)', () => {
  const out = rerec(boxRows(Float64Array.of(0, 0, 10, 4, 0.9), 5));
  assert.deepEqual([...out.data], [0, -3, 10, 7, 0.9]);
  const tall = rerec(boxRows(Float64Array.of(10, 10, 12, 20), 4));
  assert.deepEqual([...tall.data], [6, 10, 16, 20]);
});

test('bbreg uses the +1 width and height and keeps extra columns', () => {
  const b = boxRows(Float64Array.of(10, 20, 29, 59, 0.8), 5);
  const out = bbreg(b, [0.1, -0.1, 0.05, 0.2]);
  assert.deepEqual([...out.data], [12, 16, 30, 67, 0.8]);
  assert.deepEqual([...b.data], [10, 20, 29, 59, 0.8], 'input untouched');
  assert.throws(() => bbreg(b, [0.1]), { code: 'SHAPE_MISMATCH' });
});

test('P-Net regression has no +1', () => {
  const out = pnetRegression(boxRows(Float64Array.of(10, 20, 30, 60, 0.9, 0.1, 0.1, -0.1, 0), 9));
  assert.equal(out.cols, 5);
  assert.deepEqual([...out.data], [12, 24, 28, 60, 0.9]);
});

test('float32 tables stay float32', () => {
  const out = rerec(boxRows(Float32Array.of(0.1, 0.2, 10.3, 4.4), 4));
  assert.ok(out.data instanceof Float32Array);
  const w = Math.fround(Math.fround(10.3) - Math.fround(0.1));
  const h = Math.fround(Math.fround(4.4) - Math.fround(0.2));
  const y1 = Math.fround(Math.fround(Math.fround(0.2) + Math.fround(h * 0.5)) - Math.fround(w * 0.5));
  assert.equal(out.data[1], y1);
});

test('layout checks, rowCount and selectRows', () => {
  assert.throws(() => boxRows(new Float32Array(7), 5), { code: 'SHAPE_MISMATCH' });
  assert.throws(() => boxRows(new Float32Array(6), 3), { code: 'BAD_ARGUMENT' });
  const b = boxRows(Float64Array.of(0, 0, 1, 1, 0.5, 2, 2, 3, 3, 0.7), 5);
  assert.equal(rowCount(b), 2);
  assert.deepEqual([...selectRows(b, [1, 0, 1]).data], [2, 2, 3, 3, 0.7, 0, 0, 1, 1, 0.5, 2, 2, 3, 3, 0.7]);
});
