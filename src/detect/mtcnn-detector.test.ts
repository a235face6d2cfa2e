import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { readArchiveFiles } from '../test-support/lfw-archive.js';
import { iou } from '../math/boxes.js';
import { liveTensors, setNumThreads } from '../tensor/index.js';
import type { RgbImage } from '../io/image.js';
import { FacenetError } from '../errors.js';
import { FIXTURES, ZOO } from '../test-support/shared.js';
import { MtcnnDetector, type Face } from './index.js';

const FIXTURE = path.join(FIXTURES, 'mtcnn', 'detections.json');
const LFW_TGZ = path.join(ZOO, 'lfw', 'lfw-deepfunneled.tgz');

interface RefImage {
  image: string;
  width: number;
  height: number;
  faces: Face[];
}

// One libtorch thread: ~3 s for the 47 images here, and it degrades gracefully when other processes
// load the machine, where two OpenMP threads can slow down tenfold.
setNumThreads(1);
let home: string;
let detector: MtcnnDetector;

before(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'facenet-detect-'));
  detector = await MtcnnDetector.load({ home, mirror: ZOO });
});
after(async () => {
  detector.dispose();
  await rm(home, { recursive: true, force: true });
});

/**
 * Decodes as PIL does for facenet-pytorch (np.uint8(Image.open(path))): the embedded ICC profile is
 * ignored. decodeImage (src/io/image.ts) converts non-sRGB profiles to sRGB, which changes the
 * pixels of samples/paul_rudd.jpg by up to 28 levels; this test is about the detector, so it feeds
 * the detector the reference's pixels.
 */
async function decodeLikePil(bytes: Uint8Array, source: string): Promise<RgbImage> {
  const { data, info } = await sharp(bytes, { ignoreIcc: true }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, 3);
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length), source };
}

test("parity with facenet-pytorch's MTCNN on 47 images (fixtures/mtcnn/detections.json)", async () => {
  const fixture = JSON.parse(await readFile(FIXTURE, 'utf8')) as { images: RefImage[] };
  assert.equal(fixture.images.length, 47);
  const inArchive = fixture.images.filter((r) => r.image.startsWith('lfw-deepfunneled/')).map((r) => r.image);
  const archived = await readArchiveFiles(LFW_TGZ, inArchive);
  const worst = { iou: 1, prob: 0, landmark: 0 };
  const t0 = performance.now();
  // Counted from after the first image: each net builds its inference layout on its first forward
  // (Module.derived()) and keeps it until disposed.
  let liveBefore: number | null = null;
  for (const ref of fixture.images) {
    const bytes = archived.get(ref.image) ?? (await readFile(path.join(ZOO, ref.image)));
    const img = await decodeLikePil(bytes, ref.image);
    assert.deepEqual([img.width, img.height], [ref.width, ref.height], ref.image);
    const faces = detector.detect(img);
    liveBefore ??= liveTensors().count;
    assert.equal(faces.length, ref.faces.length, `${ref.image}: ${faces.length} faces, reference ${ref.faces.length}`);
    // Same order as the reference (largest box first), face by face.
    ref.faces.forEach((rf, k) => {
      const f = faces[k]!;
      const overlap = iou(f.box, rf.box);
      const dp = Math.abs(f.prob - rf.prob);
      const dl = Math.max(...f.landmarks.map((p, j) => Math.hypot(p[0] - rf.landmarks[j]![0], p[1] - rf.landmarks[j]![1])));
      assert.ok(overlap >= 0.95, `${ref.image} face ${k}: IoU ${overlap}`);
      assert.ok(dp <= 0.01, `${ref.image} face ${k}: probability differs by ${dp}`);
      assert.ok(dl <= 2, `${ref.image} face ${k}: landmark off by ${dl} px`);
      worst.iou = Math.min(worst.iou, overlap);
      worst.prob = Math.max(worst.prob, dp);
      worst.landmark = Math.max(worst.landmark, dl);
    });
  }
  assert.equal(liveTensors().count, liveBefore, 'detect() leaked tensors');
  // Measured: IoU >= 0.9999, probability within 5e-7, landmarks within 0.001 px (the fixture rounds to 1e-3).
  console.log(`# mtcnn parity: worst IoU ${worst.iou.toFixed(5)}, prob diff ${worst.prob.toExponential(2)}, landmark diff ${worst.landmark.toFixed(4)} px, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
});

function solid(width: number, height: number, value: number): RgbImage {
  return { width, height, data: new Uint8Array(width * height * 3).fill(value), source: `${width}x${height}` };
}

test('no face: always an array; tiny and blank images give [] without error', () => {
  assert.deepEqual(detector.detect(solid(1, 1, 0)), []);
  assert.deepEqual(detector.detect(solid(19, 300, 90)), []); // below the 20 px minimum: empty pyramid
  assert.deepEqual(detector.detect(solid(64, 48, 128)), []);
  assert.deepEqual(detector.detect(solid(40, 40, 255), { thresholds: [0, 0, 0.99] }), []);
});

test('options: per-call overrides are validated; the order option sorts by probability', async () => {
  const bytes = await readFile(path.join(ZOO, 'samples', 'multiface.jpg'));
  const img = await decodeLikePil(bytes, 'multiface.jpg');
  const byArea = detector.detect(img);
  const byProb = detector.detect(img, { order: 'probability' });
  assert.equal(byProb.length, byArea.length);
  for (let i = 1; i < byProb.length; i++) assert.ok(byProb[i - 1]!.prob >= byProb[i]!.prob);
  assert.ok(detector.detect(img, { minFaceSize: 200 }).length < byArea.length);
  assert.throws(() => detector.detect(img, { thresholds: [0.6, 1.5, 0.7] }), /thresholds must be three numbers in \[0, 1\]/);
  assert.throws(() => detector.detect(img, { factor: 1 }), /factor must be in/);
  assert.throws(() => detector.detect(img, { minFaceSize: 0 }), /minFaceSize must be a positive/);
  assert.throws(() => detector.detect({ width: 2, height: 2, data: new Uint8Array(5), source: 'x' }), /not a valid (RGB image|RgbImage)/);
});

test('a disposed detector says so', async () => {
  const d = await MtcnnDetector.load({ home, mirror: ZOO, weights: 'facenet' });
  d.dispose();
  assert.throws(() => d.detect(solid(30, 30, 0)), (e: unknown) => e instanceof FacenetError && e.code === 'DISPOSED');
});
