import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../math/rng.js';
import type { RgbImage } from '../io/image.js';
import { augmentImage, drawAugment, NO_AUGMENT, type AugmentOptions } from './augment.js';

/** A w x h image whose pixel (x, y) is (x, y, 7). */
function grid(w: number, h: number): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x, y, 7], (y * w + x) * 3);
  return { width: w, height: h, data, source: 'grid' };
}
const at = (img: RgbImage, x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));
const opts = (o: Partial<AugmentOptions> = {}): AugmentOptions => ({ imageSize: 4, randomCrop: false, randomFlip: false, randomRotate: false, ...o });

test('centre crop takes the middle, as resize_image_with_crop_or_pad', () => {
  const out = augmentImage(grid(8, 6), opts(), NO_AUGMENT);
  assert.equal(out.width, 4);
  assert.deepEqual(at(out, 0, 0), [2, 1, 7]); // offsets (8-4)/2 = 2, (6-4)/2 = 1
  assert.deepEqual(at(out, 3, 3), [5, 4, 7]);
});

test('a smaller image is centred on a black canvas', () => {
  const out = augmentImage(grid(2, 2), opts(), NO_AUGMENT);
  assert.deepEqual(at(out, 0, 0), [0, 0, 0]);
  assert.deepEqual(at(out, 1, 1), [0, 0, 7]);
  assert.deepEqual(at(out, 2, 2), [1, 1, 7]);
  assert.deepEqual(at(out, 3, 3), [0, 0, 0]);
});

test('random crop offsets cover 0..W-size, flip mirrors the crop', () => {
  const o = opts({ randomCrop: true, randomFlip: true });
  assert.deepEqual(at(augmentImage(grid(8, 8), o, { cropU: 0, cropV: 0, flip: false, angleDegrees: 0 }), 0, 0), [0, 0, 7]);
  assert.deepEqual(at(augmentImage(grid(8, 8), o, { cropU: 0.9999, cropV: 0.9999, flip: false, angleDegrees: 0 }), 3, 3), [7, 7, 7]);
  const flipped = augmentImage(grid(8, 8), o, { cropU: 0, cropV: 0, flip: true, angleDegrees: 0 });
  assert.deepEqual(at(flipped, 0, 0), [3, 0, 7]);
  assert.deepEqual(at(flipped, 3, 2), [0, 2, 7]);
});

test('rotation keeps the size, turns about the centre and leaves black corners', () => {
  const img = grid(8, 8);
  const o = opts({ imageSize: 8, randomRotate: true });
  const quarter = augmentImage(img, o, { cropU: 0, cropV: 0, flip: false, angleDegrees: 90 });
  // Every output pixel comes from an exact source pixel under a quarter turn.
  const values = new Set<string>();
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) values.add(at(quarter, x, y).slice(0, 2).join(','));
  assert.equal(values.size, 64);
  assert.notDeepEqual(at(quarter, 0, 0), at(img, 0, 0));
  const big = grid(40, 40);
  const small = augmentImage(big, { ...o, imageSize: 40 }, { cropU: 0, cropV: 0, flip: false, angleDegrees: 10 });
  assert.deepEqual(at(small, 0, 0), [0, 0, 0]); // a corner falls outside the turned image
  assert.deepEqual(at(small, 20, 20), [20, 20, 7]); // the centre stays
});

test('drawAugment is reproducible and independent of which options are on', () => {
  const all = opts({ randomCrop: true, randomFlip: true, randomRotate: true });
  const a = drawAugment(new Rng(5), all);
  assert.deepEqual(drawAugment(new Rng(5), all), a);
  assert.ok(a.angleDegrees >= -10 && a.angleDegrees <= 10);
  const flipOnly = drawAugment(new Rng(5), opts({ randomFlip: true }));
  assert.equal(flipOnly.flip, a.flip);
  assert.equal(flipOnly.angleDegrees, 0);
  assert.equal(flipOnly.cropU, 0);
});
