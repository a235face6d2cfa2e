import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boxRows } from './boxes.js';
import { marginCropBox, padFacenetPytorch } from './box-pad.js';

test('facenet-pytorch pad truncates toward zero and clips', () => {
  const p = padFacenetPytorch(boxRows(Float32Array.of(-5.7, 3.9, 20.2, 30, 0.9), 5), 15, 25);
  assert.deepEqual([[...p.x], [...p.y], [...p.ex], [...p.ey]], [[1], [3], [15], [25]]);
  assert.throws(() => padFacenetPytorch(boxRows(new Float32Array(5), 5), 0, 25), { code: 'BAD_ARGUMENT' });
});

test('margin crops', () => {
  assert.deepEqual([...marginCropBox([10, 20, 50, 80], 44, 100, 90)], [0, 0, 72, 90]);
  assert.deepEqual([...marginCropBox([10.6, 20.2, 50.5, 60.9], 4, 100, 90)], [8, 18, 52, 62]);
});
