import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import ort from 'onnxruntime-node';
import { FIXTURES, ZOO } from '../test-support/shared.js';
import { readArchiveFiles } from '../test-support/lfw-archive.js';
import { loadMtcnnNets, type MtcnnNets } from '../models/mtcnn/index.js';
import { noGrad, setNumThreads } from '../tensor/index.js';
import { iou } from '../math/boxes.js';
import { DEFAULT_DETECT_OPTIONS } from '../detect/options.js';
import { pipelineTable, runMtcnn, runMtcnnAsync, type MtcnnImageNets } from '../detect/mtcnn-pipeline.js';
import { torchImageNets } from '../detect/torch-image-nets.js';
import type { Face } from '../detect/face.js';
import type { RgbImage } from '../io/image.js';
import { ortImageNets, type MtcnnSessions } from '../web/ort-mtcnn.js';
import { exportMtcnnFiles, MTCNN_FILES } from './export-files.js';
import { checkOnnxModel } from './onnx-check.js';

setNumThreads(1);
let dir: string;
let nets: MtcnnNets;
let sessions: MtcnnSessions;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'facenet-onnx-mtcnn-'));
  const home = path.join(dir, 'home');
  await exportMtcnnFiles(dir, { home, mirror: ZOO });
  nets = await loadMtcnnNets({ home, mirror: ZOO });
  const open = async (f: string) => ort.InferenceSession.create(path.join(dir, f), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  sessions = { pnet: await open(MTCNN_FILES.pnet), rnet: await open(MTCNN_FILES.rnet), onet: await open(MTCNN_FILES.onet) };
});
after(async () => {
  for (const n of Object.values(nets)) n.dispose();
  for (const s of Object.values(sessions)) await s.release();
  await rm(dir, { recursive: true, force: true });
});

/** Decodes as PIL does for facenet-pytorch (ICC profile ignored), as the detector's own parity test. */
async function decodeLikePil(bytes: Uint8Array, source: string): Promise<RgbImage> {
  const { data, info } = await sharp(bytes, { ignoreIcc: true }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length), source };
}

const maxAbsDiff = (a: Float32Array, b: Float32Array): number => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

test('each exported net passes the structural checks and matches ours on real inputs (pyramid levels and crops of a photo)', async (t) => {
  for (const f of Object.values(MTCNN_FILES)) checkOnnxModel(new Uint8Array(await readFile(path.join(dir, f))), f);
  const img = await decodeLikePil(new Uint8Array(await readFile(path.join(ZOO, 'samples', 'multiface.jpg'))), 'multiface.jpg');
  const table = pipelineTable(img);
  const torch = torchImageNets(nets, img, table);
  const onnx = ortImageNets(sessions, ort.Tensor, img, table);
  const worst = { pnet: 0, rnet: 0, onet: 0 };
  const calls = { pnet: 0, rnet: 0, onet: 0 };
  // Run our pipeline, and on every request it makes also run the ORT net on the same input.
  const pending: Promise<void>[] = [];
  const recording: MtcnnImageNets = {
    pnet(hs, ws) {
      const mine = torch.pnet(hs, ws);
      calls.pnet++;
      pending.push(onnx.pnet(hs, ws).then((o) => void (worst.pnet = Math.max(worst.pnet, maxAbsDiff(o.prob, mine.prob), maxAbsDiff(o.reg, mine.reg)))));
      return mine;
    },
    rnet(crops, n) {
      const mine = torch.rnet(crops, n);
      calls.rnet += n;
      pending.push(onnx.rnet(crops.slice(), n).then((o) => void (worst.rnet = Math.max(worst.rnet, maxAbsDiff(o.prob, mine.prob), maxAbsDiff(o.reg, mine.reg)))));
      return mine;
    },
    onet(crops, n) {
      const mine = torch.onet(crops, n);
      calls.onet += n;
      pending.push(onnx.onet(crops.slice(), n).then((o) => void (worst.onet = Math.max(worst.onet, maxAbsDiff(o.prob, mine.prob), maxAbsDiff(o.reg, mine.reg), maxAbsDiff(o.landmarks, mine.landmarks)))));
      return mine;
    },
  };
  const faces = noGrad(() => runMtcnn(img, DEFAULT_DETECT_OPTIONS, table, recording));
  await Promise.all(pending);
  torch.dispose();
  assert.ok(faces.length >= 2, `${faces.length} faces`);
  assert.ok(calls.pnet >= 5 && calls.rnet >= 50 && calls.onet >= 2, JSON.stringify(calls));
  t.diagnostic(`max abs diff per net: ${JSON.stringify(worst)}; calls ${JSON.stringify(calls)}`);
  for (const [k, d] of Object.entries(worst)) assert.ok(d <= 1e-4, `${k}: max abs diff ${d}`);
});

interface RefImage {
  image: string;
  width: number;
  height: number;
  faces: Face[];
}

test('the detection pipeline with its nets on onnxruntime gives the same boxes as on our engine on the 47 fixture images (IoU >= 0.99)', async (t) => {
  const fixture = JSON.parse(await readFile(path.join(FIXTURES, 'mtcnn', 'detections.json'), 'utf8')) as { images: RefImage[] };
  assert.equal(fixture.images.length, 47);
  const archived = await readArchiveFiles(
    path.join(ZOO, 'lfw', 'lfw-deepfunneled.tgz'),
    fixture.images.filter((r) => r.image.startsWith('lfw-deepfunneled/')).map((r) => r.image),
  );
  let worst = 1;
  let faces = 0;
  for (const ref of fixture.images) {
    const img = await decodeLikePil(archived.get(ref.image) ?? (await readFile(path.join(ZOO, ref.image))), ref.image);
    const table = pipelineTable(img);
    const torch = torchImageNets(nets, img, table);
    const mine = noGrad(() => runMtcnn(img, DEFAULT_DETECT_OPTIONS, table, torch));
    torch.dispose();
    const theirs = await runMtcnnAsync(img, DEFAULT_DETECT_OPTIONS, table, ortImageNets(sessions, ort.Tensor, img, table));
    assert.equal(theirs.length, mine.length, `${ref.image}: ORT ${theirs.length} faces, ours ${mine.length}`);
    assert.equal(theirs.length, ref.faces.length, `${ref.image}: ORT ${theirs.length} faces, facenet-pytorch ${ref.faces.length}`);
    mine.forEach((f, k) => {
      const o = iou(f.box, theirs[k]!.box);
      worst = Math.min(worst, o);
      assert.ok(o >= 0.99, `${ref.image} face ${k}: IoU ${o}`);
      assert.ok(Math.abs(f.prob - theirs[k]!.prob) <= 1e-4, `${ref.image} face ${k}: probability ${f.prob} vs ${theirs[k]!.prob}`);
    });
    faces += mine.length;
  }
  t.diagnostic(`${faces} faces on 47 images, worst IoU ${worst}`);
  assert.ok(faces >= 47, `${faces} faces`);
  assert.ok(worst >= 0.99);
});
