import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cropOrPad } from './crop-or-pad.js';

const img = (w: number, h: number) => ({ width: w, height: h, source: 't', data: Uint8Array.from({ length: w * h * 3 }, (_, i) => Math.floor(i / 3) % 256) });

test('centre crop: 4x4 -> 2x2 keeps pixels (1,1)..(2,2); odd excess rounds the offset down', () => {
  const out = cropOrPad(img(4, 4), 2);
  assert.deepEqual([...out.data].filter((_, i) => i % 3 === 0), [5, 6, 9, 10]);
  const odd = cropOrPad(img(5, 5), 2); // offset floor(3/2) = 1
  assert.deepEqual([...odd.data].filter((_, i) => i % 3 === 0), [6, 7, 11, 12]);
});

test('centre pad: 2x2 -> 4x4 puts the image at (1,1) on black', () => {
  const out = cropOrPad(img(2, 2), 4);
  const first = [...out.data].filter((_, i) => i % 3 === 0);
  assert.deepEqual(first, [0, 0, 0, 0, 0, 0, 1, 0, 0, 2, 3, 0, 0, 0, 0, 0]);
});

test('mixed: 6x2 -> 4x4 crops x, pads y', () => {
  const out = cropOrPad(img(6, 2), 4);
  const first = [...out.data].filter((_, i) => i % 3 === 0);
  assert.deepEqual(first, [0, 0, 0, 0, 1, 2, 3, 4, 7, 8, 9, 10, 0, 0, 0, 0]);
});
