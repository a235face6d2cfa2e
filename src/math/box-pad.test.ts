import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boxRows } from './boxes.js';
import { marginCropBox, marginCropBoxPytorch, padFacenet, padFacenetPytorch } from './box-pad.js';

test('facenet pad: a box over the left, right and bottom edges of a 15x25 image', () => {
  const p = padFacenet(boxRows(Float64Array.of(-5, 3, 20, 30, 0.9), 5), 15, 25);
  assert.deepEqual(
    Object.fromEntries(Object.entries(p).map(([k, v]) => [k, [...v]])),
    { dy: [1], dx: [7], edy: [23], edx: [21], y: [3], ey: [25], x: [1], ex: [15], tmpw: [26], tmph: [28] },
  );
  // the target patch columns dx..edx (15) match the source columns x..ex (15), rows likewise (23)
  assert.equal(p.edx[0]! - p.dx[0]!, p.ex[0]! - p.x[0]!);
  assert.equal(p.edy[0]! - p.dy[0]!, p.ey[0]! - p.y[0]!);
});

test('facenet-pytorch pad truncates toward zero and clips', () => {
  const p = padFacenetPytorch(boxRows(Float32Array.of(-5.7, 3.9, 20.2, 30, 0.9), 5), 15, 25);
  assert.deepEqual([[...p.x], [...p.y], [...p.ex], [...p.ey]], [[1], [3], [15], [25]]);
  assert.throws(() => padFacenetPytorch(boxRows(new Float32Array(5), 5), 0, 25), { code: 'BAD_ARGUMENT' });
});

test('margin crops', () => {
  assert.deepEqual([...marginCropBox([10, 20, 50, 80], 44, 100, 90)], [0, 0, 72, 90]);
  assert.deepEqual([...marginCropBox([10.6, 20.2, 50.5, 60.9], 4, 100, 90)], [8, 18, 52, 62]);
  // margin 20 of a 160 output: 20 * 40 / 140 = 5.71 px horizontally, 20 * 60 / 140 = 8.57 vertically
  assert.deepEqual([...marginCropBoxPytorch([10, 20, 50, 80], 20, 160, 100, 90)], [7, 15, 52, 84]);
  assert.throws(() => marginCropBoxPytorch([0, 0, 1, 1], 160, 160, 10, 10), { code: 'BAD_ARGUMENT' });
});
