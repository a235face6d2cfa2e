import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boxRows } from './boxes.js';
import { nmsFacenet, nmsTorchvision } from './nms.js';

// Four hand-made boxes [x1, y1, x2, y2, score]:
//   A: 10x10 pixels at the origin; B: A shifted by 1; C: far away; D: small, inside A and B, best.
// With +1 areas: A~B = 81 / 119 = 0.6807, D in A (or B) = 25 / 100 Union, 25 / 25 = 1 Min.
// Without +1:    A~B = 64 / 98 = 0.6531, D in A (or B) = 16 / 81 = 0.1975.
const A = [0, 0, 9, 9, 0.9];
const B = [1, 1, 10, 10, 0.8];
const C = [20, 20, 29, 29, 0.7];
const D = [2, 2, 6, 6, 0.95];
const f64 = boxRows(Float64Array.from([...A, ...B, ...C, ...D]), 5);
const f32 = boxRows(Float32Array.from([...A, ...B, ...C, ...D]), 5);

test('facenet nms Union', () => {
  assert.deepEqual([...nmsFacenet(f64, 0.5, 'Union')], [3, 0, 2]); // B goes with A (0.68 > 0.5)
  assert.deepEqual([...nmsFacenet(f64, 0.7, 'Union')], [3, 0, 1, 2]); // 0.68 <= 0.7 keeps B
  assert.deepEqual([...nmsFacenet(f64, 0.66, 'Union')], [3, 0, 2]);
});

test('facenet nms Min removes boxes containing the kept one', () => {
  assert.deepEqual([...nmsFacenet(f64, 0.5, 'Min')], [3, 2]);
  assert.deepEqual([...nmsFacenet(f64, 0.7, 'Min')], [3, 2]);
});

test('torchvision nms (no +1) keeps B at 0.66 where facenet drops it', () => {
  assert.deepEqual([...nmsTorchvision(f64, 0.5)], [3, 0, 2]);
  assert.deepEqual([...nmsTorchvision(f64, 0.66)], [3, 0, 1, 2]);
  assert.deepEqual([...nmsTorchvision(f32, 0.66)], [3, 0, 1, 2]);
});

test('ties, empty input and missing scores', () => {
  const tie = boxRows(Float64Array.of(0, 0, 9, 9, 0.5, 0, 0, 9, 9, 0.5), 5);
  assert.deepEqual([...nmsFacenet(tie, 0.5, 'Union')], [1]); // ascending stable sort, the last is picked
  assert.deepEqual([...nmsTorchvision(tie, 0.5)], [0]); // stable descending sort, the first is kept
  assert.equal(nmsFacenet(boxRows(new Float64Array(0), 5), 0.5, 'Union').length, 0);
  assert.equal(nmsTorchvision(boxRows(new Float32Array(0), 5), 0.5).length, 0);
  assert.throws(() => nmsTorchvision(boxRows(new Float64Array(4), 4), 0.5), { code: 'BAD_ARGUMENT' });
});
