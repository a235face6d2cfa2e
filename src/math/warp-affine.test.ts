import { test } from 'node:test';
import assert from 'node:assert/strict';
import { warpAffineBilinear } from './warp-affine.js';

const img = (w: number, h: number): Uint8Array => Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 7) % 256);

test('identity and integer translations copy pixels; outside the image is 0', () => {
  const src = img(5, 4);
  assert.deepEqual(warpAffineBilinear(src, 5, 4, 3, [1, 0, 0, 0, 1, 0], 5, 4), src);
  const shifted = warpAffineBilinear(src, 5, 4, 3, [1, 0, 1, 0, 1, 0], 5, 4); // dst x = src x + 1
  for (let y = 0; y < 4; y++) {
    assert.deepEqual(Array.from(shifted.subarray((y * 5) * 3, (y * 5) * 3 + 3)), [0, 0, 0]);
    assert.deepEqual(shifted.subarray((y * 5 + 1) * 3, (y * 5 + 5) * 3), src.subarray(y * 15, y * 15 + 12));
  }
});

test('half-pixel shift averages neighbours; a 2x zoom-out samples every other pixel', () => {
  const src = Uint8Array.from([0, 0, 0, 100, 100, 100, 200, 200, 200]); // 3x1
  const half = warpAffineBilinear(src, 3, 1, 3, [1, 0, -0.5, 0, 1, 0], 2, 1);
  assert.deepEqual(Array.from(half), [50, 50, 50, 150, 150, 150]);
  const zoom = warpAffineBilinear(src, 3, 1, 3, [0.5, 0, 0, 0, 1, 0], 2, 1);
  assert.deepEqual(Array.from(zoom), [0, 0, 0, 200, 200, 200]);
  assert.throws(() => warpAffineBilinear(src, 3, 1, 3, [0, 0, 0, 0, 0, 0], 2, 1), /singular/);
});
