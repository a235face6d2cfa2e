import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FaceNet } from './facenet.js';
import { InceptionResnetV1 } from './models/inception-resnet-v1/model.js';
import { saveModel } from './models/model-file.js';
import { manualSeed, liveTensors } from './tensor/index.js';
import { ZOO } from './test-support/shared.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-api-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('FaceNet: detect, align and embed every face of a photo; compare; dispose frees everything', async () => {
  const file = path.join(dir, 'tiny.safetensors');
  manualSeed(3);
  const m = new InceptionResnetV1({ variant: 'inception-resnet-v1-tiny' });
  await saveModel(m, file, { threshold: 1.0 });
  m.dispose();
  const before = liveTensors().count;
  const fn = await FaceNet.load({ model: file, mirror: ZOO, home: path.join(dir, 'home') });
  const faces = await fn.faces(path.join(ZOO, 'samples/multiface.jpg'));
  assert.equal(faces.length, 6);
  for (const f of faces) {
    assert.equal(f.aligned.width, 96);
    assert.equal(f.embedding.length, 64);
    assert.ok(Math.abs(Math.hypot(...f.embedding) - 1) < 1e-4);
  }
  // most confident first
  for (let i = 1; i < faces.length; i++) assert.ok(faces[i - 1]!.face.prob >= faces[i]!.face.prob);
  const self = fn.compare(faces[0]!.embedding, faces[0]!.embedding);
  assert.equal(self.distance, 0);
  assert.equal(self.isMatch, true);
  const other = fn.compare(faces[0]!.embedding, faces[1]!.embedding);
  assert.equal(other.isMatch, other.distance ** 2 < 1.0);
  assert.ok(other.similarity <= 1 + 1e-6);
  assert.deepEqual(await fn.detect(path.join(ZOO, 'samples/multiface.jpg')).then((x) => x.length), 6);
  assert.throws(() => fn.compare(faces[0]!.embedding, new Float32Array(3)), /different sizes/);
  fn.dispose();
  assert.equal(liveTensors().count, before);
});
