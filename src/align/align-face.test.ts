import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RgbImage } from '../io/image.js';
import { applyAffine, arcfaceTemplate, estimateNorm } from '../math/similarity-transform.js';
import type { Face } from '../detect/index.js';
import { alignFace, faceCropBox, resolveAlignOptions } from './align-face.js';
import { selectCentralFace } from './select-face.js';

function gradient(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([x % 256, y % 256, 128], (y * width + x) * 3);
  return { width, height, data, source: 'gradient' };
}

const face = (box: Face['box'], landmarks?: Face['landmarks']): Face => ({
  box,
  prob: 0.99,
  landmarks: landmarks ?? [
    [box[0] + 0.3 * (box[2] - box[0]), box[1] + 0.4 * (box[3] - box[1])],
    [box[0] + 0.7 * (box[2] - box[0]), box[1] + 0.4 * (box[3] - box[1])],
    [box[0] + 0.5 * (box[2] - box[0]), box[1] + 0.6 * (box[3] - box[1])],
    [box[0] + 0.35 * (box[2] - box[0]), box[1] + 0.8 * (box[3] - box[1])],
    [box[0] + 0.65 * (box[2] - box[0]), box[1] + 0.8 * (box[3] - box[1])],
  ],
});

test("box mode: facenet's margin window (margin/2 per side, clipped, truncated) resized to imageSize", async () => {
  const img = gradient(250, 200);
  assert.deepEqual(faceCropBox(img, face([81.7, 64.3, 184.5, 193.4]), 44), [59, 42, 206, 200]);
  assert.deepEqual(faceCropBox(img, face([-5, -3, 260, 150]), 44), [0, 0, 250, 172]);
  const out = await alignFace(img, face([81.7, 64.3, 184.5, 193.4]), { imageSize: 160, margin: 32 });
  assert.deepEqual([out.width, out.height, out.data.length], [160, 160, 160 * 160 * 3]);
  // The crop starts at x = 65 (81.7 - 16, truncated): the red channel (x % 256) grows from about there.
  assert.ok(Math.abs(out.data[0]! - 65) <= 2, `top-left red ${out.data[0]}`);
  const defaults = resolveAlignOptions();
  assert.deepEqual(defaults, { imageSize: 182, margin: 44, mode: 'box' });
  assert.throws(() => resolveAlignOptions({ imageSize: 0 }), /imageSize must be/);
  assert.throws(() => resolveAlignOptions({ mode: 'affine' as never }), /align mode must be one of box, similarity/);
});

test('similarity mode: the landmarks land on the ArcFace template scaled to imageSize', async () => {
  const img = gradient(300, 300);
  const f = face([100, 80, 200, 210]);
  const out = await alignFace(img, f, { imageSize: 112, mode: 'similarity' });
  assert.deepEqual([out.width, out.height], [112, 112]);
  const m = estimateNorm(f.landmarks, 112);
  const mapped = applyAffine(m, f.landmarks);
  const template = arcfaceTemplate(112);
  for (let i = 0; i < 10; i++) assert.ok(Math.abs(mapped[i]! - template[i]!) < 6, `landmark coordinate ${i}: ${mapped[i]} vs ${template[i]}`);
  // The output pixel at the left-eye template position shows the source pixel at the left eye.
  const [tx, ty] = [Math.round(template[0]!), Math.round(template[1]!)];
  const [sx, sy] = f.landmarks[0];
  const p = (ty * 112 + tx) * 3;
  assert.ok(Math.abs(out.data[p]! - sx) <= 8 && Math.abs(out.data[p + 1]! - sy) <= 8, `pixel ${out.data[p]},${out.data[p + 1]} vs eye at ${sx},${sy}`);
});

test("selectCentralFace: facenet's area minus twice the squared centre offset", () => {
  const small = face([110, 110, 140, 140]); // centred, 900 px
  const big = face([0, 0, 60, 60]); // 3600 px, centre 95 px away on each axis: 3600 - 2 * 18050 < 900
  assert.equal(selectCentralFace([big, small], 250, 250), 1);
  const bigger = face([80, 80, 170, 170]); // centred and larger
  assert.equal(selectCentralFace([small, bigger], 250, 250), 1);
  assert.equal(selectCentralFace([small, small], 250, 250), 0);
});
