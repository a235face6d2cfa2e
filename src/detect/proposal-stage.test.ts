import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PNet, loadMtcnnNets } from '../models/mtcnn/index.js';
import { decodeImage } from '../io/image.js';
import { SummedAreaTable } from '../math/area-resize.js';
import { ZOO } from '../test-support/shared.js';
import { tensorSource } from './pyramid-source.js';
import { torchImageNets } from './torch-image-nets.js';
import { manualSeed, noGrad, randn, tidy } from '../tensor/index.js';
import { pnetLevel } from './proposal-stage.js';
import { generateBoxes } from './generate-boxes.js';
import { levelSize, pyramidScales } from './pyramid.js';

const maxAbsDiff = (a: Float32Array, b: Float32Array): number => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

test('pnetLevel: stripes and the batch-of-two path equal one plain P-Net pass, for even and odd level sizes', () => {
  const net = new PNet().eval();
  manualSeed(3);
  for (const [h, w] of [[131, 40], [130, 33], [61, 61], [14, 14], [13, 200], [160, 160]] as const) {
    const level = tidy(() => randn([1, 3, h, w]));
    const whole = noGrad(() =>
      tidy(() => {
        const o = net.forward(level);
        return { prob: o.prob.select(1, 1).toFloat32(), reg: o.reg.toFloat32(), ph: o.prob.shape[2]!, pw: o.prob.shape[3]! };
      }),
    );
    for (const stripe of [Infinity, 32 * w, 40 * w, 50 * w + 7]) {
      const parts = noGrad(() => pnetLevel(net, level, stripe));
      assert.deepEqual([parts.ph, parts.pw], [whole.ph, whole.pw]);
      // oneDNN may block a narrower input differently, so values agree to float rounding, not bits.
      assert.ok(maxAbsDiff(parts.prob, whole.prob) <= 1e-6, `${h}x${w} stripes of ${stripe} px: probabilities`);
      assert.ok(maxAbsDiff(parts.reg, whole.reg) <= 1e-5, `${h}x${w} stripes of ${stripe} px: regression`);
    }
    level.dispose();
  }
  net.dispose();
});

test('pyramidScales / levelSize follow detect_face.py', () => {
  // 250x250, min face 20: 0.6, 0.4254, ... while 250 * scale >= 12.
  const s = pyramidScales(250, 250, 20, 0.709);
  assert.equal(s.length, 8);
  assert.equal(s[0], 0.6);
  assert.ok(250 * s[7]! >= 12 && 250 * s[7]! * 0.709 < 12);
  assert.deepEqual(levelSize(250, 250, 0.6), [151, 151]);
  assert.deepEqual(pyramidScales(19, 500, 20, 0.709), []);
});

test('generateBoxes: cells at or above the threshold, row-major, mapped back through the scale', () => {
  const prob = Float32Array.from([0.1, 0.7, 0.6, 0.2, 0.9, 0.59]); // 2 x 3
  const reg = new Float32Array(4 * 6).map((_, i) => i / 100);
  const b = generateBoxes(prob, reg, 2, 3, 0.5, 0.6);
  assert.equal(b.data.length / 9, 3);
  // cell (x=1, y=0): [floor(3/0.5), floor(1/0.5), floor(14/0.5), floor(12/0.5)]
  assert.deepEqual(Array.from(b.data.subarray(0, 5)), [6, 2, 28, 24, Math.fround(0.7)]);
  assert.deepEqual(Array.from(b.data.subarray(5, 9)), [0.01, 0.07, 0.13, 0.19].map(Math.fround));
  assert.deepEqual(Array.from(b.data.subarray(9, 13)), [10, 2, 32, 24]); // cell (x=2, y=0)
  assert.deepEqual(Array.from(b.data.subarray(18, 22)), [6, 6, 28, 28]); // cell (x=1, y=1)
});

test('P-Net levels: the summed-area pyramid and the libtorch interpolate pyramid give the same P-Net outputs on every level', async () => {
  const home = await mkdtemp(path.join(tmpdir(), 'facenet-proposals-'));
  const nets = await loadMtcnnNets({ home, mirror: ZOO });
  const img = await decodeImage(path.join(ZOO, 'samples', 'multiface.jpg'));
  const table = new SummedAreaTable(img.data, img.width, img.height, 3);
  const viaTable = torchImageNets(nets, img, table);
  const viaTensor = torchImageNets(nets, img, table, tensorSource(img));
  let cells = 0;
  for (const scale of pyramidScales(img.height, img.width, 20, 0.709)) {
    const [hs, ws] = levelSize(img.height, img.width, scale);
    const a = noGrad(() => viaTable.pnet(hs, ws));
    const b = noGrad(() => viaTensor.pnet(hs, ws));
    assert.deepEqual(a, b, `level ${hs}x${ws}`);
    cells += a.ph * a.pw;
  }
  assert.ok(cells > 1000, `${cells} P-Net cells`);
  viaTable.dispose();
  viaTensor.dispose();
  for (const n of Object.values(nets)) n.dispose();
  await rm(home, { recursive: true, force: true });
});
