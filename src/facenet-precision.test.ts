// FaceNet.load({ precision }): the embedding network runs in the asked (or auto-chosen) precision,
// embeddings stay float32 unit vectors close to fp32's, and an invalid precision is refused.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FaceNet } from './facenet.js';
import { InceptionResnetV1 } from './models/inception-resnet-v1/model.js';
import { saveModel } from './models/model-file.js';
import { manualSeed, cpuBf16Flags } from './tensor/index.js';
import { FacenetError } from './errors.js';
import { ZOO } from './test-support/shared.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-api-precision-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('FaceNet.load precision: fp32 default, bf16 embeddings near fp32, auto follows the CPU, fp16 refused', async () => {
  const file = path.join(dir, 'tiny.safetensors');
  manualSeed(5);
  const m = new InceptionResnetV1({ variant: 'inception-resnet-v1-tiny' });
  await saveModel(m, file, {});
  m.dispose();
  const photo = path.join(ZOO, 'samples/multiface.jpg');
  const common = { model: file, mirror: ZOO, home: path.join(dir, 'home'), threads: 1 };
  const embed = async (precision?: 'fp32' | 'bf16' | 'auto') => {
    const warnings: string[] = [];
    const fn = await FaceNet.load({ ...common, ...(precision ? { precision } : {}), onWarning: (w) => warnings.push(w) });
    try {
      const faces = await fn.faces(photo);
      return { precision: fn.precision, embeddings: faces.map((f) => f.embedding), warnings };
    } finally {
      fn.dispose();
    }
  };
  const fp32 = await embed();
  assert.equal(fp32.precision, 'fp32');
  const bf16 = await embed('bf16');
  assert.equal(bf16.precision, 'bf16');
  assert.equal(bf16.warnings.length, cpuBf16Flags().length > 0 ? 0 : 1); // emulated bf16 warns
  assert.equal(bf16.embeddings.length, fp32.embeddings.length);
  bf16.embeddings.forEach((e, i) => {
    assert.ok(e instanceof Float32Array);
    const f = fp32.embeddings[i]!;
    let dot = 0;
    for (let k = 0; k < e.length; k++) dot += e[k]! * f[k]!;
    assert.ok(dot >= 0.995, `face ${i}: cosine ${dot}`);
    assert.ok(Math.abs(Math.hypot(...e) - 1) < 1e-4);
  });
  assert.equal((await embed('auto')).precision, cpuBf16Flags().length > 0 ? 'bf16' : 'fp32');
  await assert.rejects(
    FaceNet.load({ ...common, precision: 'fp16' as 'fp32' }),
    (e: unknown) => e instanceof FacenetError && e.code === 'BAD_ARGUMENT' && /fp16 is not supported on CPU/.test(e.message),
  );
});
