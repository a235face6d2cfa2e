import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FaceNet } from './facenet.js';
import { Embedder } from './embed/embedder.js';
import { InceptionResnetV1 } from './models/inception-resnet-v1/model.js';
import { saveModel } from './models/model-file.js';
import { FacenetError } from './errors.js';
import type { RgbImage } from './io/image.js';
import { ZOO } from './test-support/shared.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-input-'));
let fn: FaceNet;
before(async () => {
  const file = path.join(dir, 'tiny.safetensors');
  const m = new InceptionResnetV1({ variant: 'inception-resnet-v1-tiny' });
  await saveModel(m, file);
  m.dispose();
  fn = await FaceNet.load({ model: file, mirror: ZOO, home: path.join(dir, 'home'), threads: 1 });
});
after(() => {
  fn?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const badArgument = (re: RegExp) => (e: unknown) => e instanceof FacenetError && e.code === 'BAD_ARGUMENT' && re.test(e.message);

const malformed: [string, RgbImage][] = [
  ['80x80 declared with 100 bytes', { width: 80, height: 80, data: new Uint8Array(100), source: 'short' }],
  ['width NaN', { width: Number.NaN, height: 96, data: new Uint8Array(96 * 96 * 3), source: 'nan' }],
  ['0x0', { width: 0, height: 0, data: new Uint8Array(0), source: 'empty' }],
  ['fractional size', { width: 9.5, height: 2, data: new Uint8Array(57), source: 'frac' }],
  ['data not bytes', { width: 1, height: 1, data: [1, 2, 3] as unknown as Uint8Array, source: 'array' }],
];

test('FaceNet.embed and Embedder refuse malformed RgbImages with BAD_ARGUMENT instead of embedding them', async () => {
  const embedder = new Embedder(fn.model);
  for (const [what, img] of malformed) {
    await assert.rejects(fn.embed([img]), badArgument(/not a valid RgbImage/), `FaceNet.embed: ${what}`);
    await assert.rejects(embedder.embed([img]), badArgument(/not a valid RgbImage/), `Embedder.embed: ${what}`);
    assert.throws(() => embedder.embedPrepared([img]), badArgument(/not a valid RgbImage/), `Embedder.embedPrepared: ${what}`);
  }
  // the message names the image's source
  await assert.rejects(fn.embed([malformed[0]![1]]), badArgument(/\(short\): 80x80 with 100 bytes/));
  // a well-formed image still embeds to a unit vector
  const ok = { width: 96, height: 96, data: new Uint8Array(96 * 96 * 3).fill(128), source: 'grey' };
  const [e] = await fn.embed([ok]);
  assert.ok(Math.abs(Math.hypot(...e!) - 1) < 1e-4);
});

test('detect/faces/align of null, undefined, a number or a malformed image throw FacenetError, not TypeError', async () => {
  for (const input of [null, undefined, 42, {}]) {
    await assert.rejects(fn.detect(input as never), (e: unknown) => e instanceof FacenetError && e.code === 'BAD_ARGUMENT', `detect(${String(input)})`);
    await assert.rejects(fn.faces(input as never), (e: unknown) => e instanceof FacenetError, `faces(${String(input)})`);
  }
  await assert.rejects(fn.detect(null as never), badArgument(/expected an image: a file path, encoded image bytes.*got null/));
  for (const [what, img] of malformed) await assert.rejects(fn.detect(img), badArgument(/not a valid RgbImage/), `detect: ${what}`);
});
