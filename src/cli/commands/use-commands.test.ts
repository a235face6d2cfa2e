// End-to-end tests of the "use" commands (embed, classify, compare) on a small random model and
// the sample photos; they check plumbing, files and error handling, not recognition quality.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, copyFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../test-support/run-cli.js';
import { ZOO } from '../../test-support/shared.js';
import { InceptionResnetV1 } from '../../models/inception-resnet-v1/model.js';
import { saveModel } from '../../models/model-file.js';
import { readNpy } from '../../io/npy.js';
import { manualSeed } from '../../tensor/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-use-'));
const modelFile = path.join(dir, 'tiny.safetensors');
const samples = path.join(ZOO, 'samples');

before(async () => {
  process.env['FACENET_MIRROR'] = ZOO;
  process.env['FACENET_HOME'] = path.join(dir, 'home');
  manualSeed(1);
  const m = new InceptionResnetV1({ variant: 'inception-resnet-v1-tiny' });
  await saveModel(m, modelFile, { note: 'random weights for tests' });
  m.dispose();
  // A class-per-folder set: three "people", each a few copies of one sample photo.
  for (const [name, src] of [['hopkins', 'Anthony_Hopkins_0001.jpg'], ['rudd', 'paul_rudd.jpg'], ['siegel', 'kate_siegel.jpg']] as const) {
    mkdirSync(path.join(dir, 'people', name), { recursive: true });
    for (let i = 0; i < 3; i++) copyFileSync(path.join(samples, src), path.join(dir, 'people', name, `${name}_${i}.jpg`));
  }
  writeFileSync(path.join(dir, 'people', 'rudd', 'broken.jpg'), 'not a jpeg');
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('embed: writes [N, D] float32 rows with a sidecar; unreadable images are listed, not fatal', async () => {
  const out = path.join(dir, 'emb.npy');
  const r = await runCli(['embed', path.join(dir, 'people'), path.join(dir, 'missing.jpg'), '--model', modelFile, '--out', out, '--flip', 'concat', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.rows, 9);
  assert.equal(summary.failures, 2);
  const npy = await readNpy(out);
  assert.deepEqual(npy.shape, [9, 128]);
  const side = JSON.parse(readFileSync(out.replace(/\.npy$/, '.json'), 'utf8'));
  assert.equal(side.images.length, 9);
  assert.equal(side.flip, 'concat');
  assert.equal(side.config.variant, 'inception-resnet-v1-tiny');
  assert.deepEqual(side.failures.map((f: { file: string }) => path.basename(f.file)).sort(), ['broken.jpg', 'missing.jpg']);
  // concat: each half is unit length
  const row = (npy.data as Float32Array).subarray(0, 64);
  assert.ok(Math.abs(Math.hypot(...row) - 1) < 1e-4);
  const bad = await runCli(['embed', samples, '--model', modelFile, '--out', path.join(dir, 'x.txt')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--out must name a \.npy file/);
});

test('classify: train then predict on the same folder; the classifier refuses another model', async () => {
  const clf = path.join(dir, 'clf.json');
  let r = await runCli(['classify', 'train', path.join(dir, 'people'), '--model', modelFile, '--classifier', clf, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).classes, 3);
  r = await runCli(['classify', 'predict', path.join(dir, 'people'), '--model', modelFile, '--classifier', clf, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  // A random model cannot be expected to recognise anyone (the SVM itself is tested on separable
  // data in src/classify); here the accuracy must be what the printed predictions say.
  assert.equal(out.predictions.length, 9);
  const right = out.predictions.filter((p: { label: string; truth: string }) => p.label === p.truth).length;
  assert.equal(out.accuracy, right / 9);
  for (const p of out.predictions) assert.ok(['hopkins', 'rudd', 'siegel'].includes(p.bestClass) && p.probability > 0 && p.probability <= 1);
  const other = path.join(dir, 'other.safetensors');
  copyFileSync(modelFile, other);
  r = await runCli(['classify', 'predict', path.join(dir, 'people'), '--model', other, '--classifier', clf]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /was trained on embeddings of .*tiny\.safetensors/);
  r = await runCli(['classify', 'predict', path.join(dir, 'people'), '--model', modelFile, '--classifier', path.join(dir, 'nope.json')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /nope\.json not found/);
});

test('compare: distance matrix as compare.py plus verdicts; images without a face are reported', async () => {
  const r = await runCli([
    'compare',
    path.join(samples, 'Anthony_Hopkins_0001.jpg'),
    path.join(samples, 'Anthony_Hopkins_0002.jpg'),
    path.join(dir, 'people', 'rudd', 'broken.jpg'),
    '--model', modelFile,
    '--threshold', '1.0',
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.images.length, 2);
  assert.equal(out.distances[0][0], 0);
  assert.equal(out.distances[0][1], out.distances[1][0]);
  assert.equal(out.verdicts.length, 1);
  assert.equal(out.verdicts[0].same, out.distances[0][1] ** 2 < 1.0);
  assert.match(r.stderr, /unable to align .*broken\.jpg/);
  const text = await runCli(['compare', path.join(samples, 'Anthony_Hopkins_0001.jpg'), path.join(samples, 'paul_rudd.jpg'), '--model', modelFile]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /Distance matrix\n {4} {4}0 {5} {4}1 {5}\n0 {4}0\.0000/);
  assert.match(text.stdout, /has no stored threshold/);
});
