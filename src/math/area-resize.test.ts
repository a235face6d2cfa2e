import { test } from 'node:test';
import assert from 'node:assert/strict';
import { areaResizeWindow, areaStart, areaEnd, SummedAreaTable } from './area-resize.js';
import { Rng } from './rng.js';
import { tensor, tidy, interpolate } from '../tensor/index.js';

test('areaStart/areaEnd: windows cover the input and overlap by at most one pixel', () => {
  for (const [out, inp] of [[24, 100], [24, 7], [48, 48], [5, 13]] as const) {
    assert.equal(areaStart(0, out, inp), 0);
    assert.equal(areaEnd(out - 1, out, inp), inp);
    for (let i = 1; i < out; i++) assert.ok(areaStart(i, out, inp) <= areaEnd(i - 1, out, inp));
  }
});

test('areaResizeWindow equals libtorch interpolate(mode area) on the same crop, bit for bit', () => {
  const rng = new Rng(7);
  const w = 61;
  const h = 47;
  const img = new Uint8Array(w * h * 3);
  for (let i = 0; i < img.length; i++) img[i] = Math.floor(rng.next() * 256);
  for (const [win, oh, ow] of [
    [{ x0: 3, y0: 5, x1: 58, y1: 40 }, 24, 24],
    [{ x0: 0, y0: 0, x1: 61, y1: 47 }, 48, 48],
    [{ x0: 10, y0: 10, x1: 17, y1: 13 }, 24, 24],
    [{ x0: 1, y0: 2, x1: 60, y1: 46 }, 13, 9],
  ] as const) {
    const ours = new Float32Array(3 * oh * ow);
    areaResizeWindow(img, w, h, 3, win, oh, ow, ours);
    const ref = tidy(() =>
      interpolate(
        tensor(img, [1, h, w, 3]).permute(0, 3, 1, 2).float().slice(2, win.y0, win.y1).slice(3, win.x0, win.x1),
        [oh, ow],
        'area',
      )
        .contiguous()
        .toFloat32(),
    );
    assert.deepEqual(ours, ref);
    const table = new Float32Array(3 * oh * ow);
    new SummedAreaTable(img, w, h, 3).resizeWindow(win, oh, ow, table);
    assert.deepEqual(table, ref);
  }
});

test('areaResizeWindow rejects empty or out-of-image windows', () => {
  const img = new Uint8Array(10 * 10 * 3);
  const out = new Float32Array(3 * 24 * 24);
  assert.throws(() => areaResizeWindow(img, 10, 10, 3, { x0: 5, y0: 0, x1: 5, y1: 4 }, 24, 24, out), /empty or outside/);
  assert.throws(() => areaResizeWindow(img, 10, 10, 3, { x0: 0, y0: 0, x1: 11, y1: 4 }, 24, 24, out), /empty or outside/);
});
