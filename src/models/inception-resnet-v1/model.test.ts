import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FIXTURES } from '../../test-support/shared.js';
import { InceptionResnetV1 } from './model.js';
import { resolveConfig } from './config.js';
import { readTorchStateDict } from '../../io/torch-file.js';
import { loadStateDict } from '../../nn/index.js';
import { tensor, tidy, noGrad, randn, useAllCores, liveTensors } from '../../tensor/index.js';
import { FacenetError } from '../../errors.js';

const FIX = pathToFileURL(path.join(FIXTURES, 'inception-resnet-v1') + '/');
const f32 = (name: string) => {
  const b = readFileSync(new URL(name, FIX));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const maxAbsDiff = (a: Float32Array, b: Float32Array) => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

useAllCores();

test('reference layout: 27.9M parameters with a 10-class head, facenet-pytorch key names', () => {
  const m = new InceptionResnetV1({ numClasses: 10 });
  const keys = [...m.stateDict().keys()];
  assert.ok(keys.includes('conv2d_1a.conv.weight'));
  assert.ok(keys.includes('repeat_1.4.branch2.2.bn.running_var'));
  assert.ok(keys.includes('repeat_2.9.branch1.2.conv.weight'));
  assert.ok(keys.includes('mixed_7a.branch2.2.bn.num_batches_tracked'));
  assert.ok(keys.includes('block8.conv2d.bias'));
  assert.ok(keys.includes('last_bn.running_mean'));
  assert.deepEqual(m.stateDict().get('last_linear.weight')!.shape, [512, 1792]);
  // facenet-pytorch's InceptionResnetV1(classify=True, num_classes=10): 23,482,624 + logits 5,130
  assert.equal(m.parameterCount(), 23482624 + 5130);
  m.dispose();
});

test('parity with facenet-pytorch: random-weights.pt gives the reference embeddings and logits (max abs diff <= 1e-5)', async () => {
  const weights = await readTorchStateDict(new URL('random-weights.pt', FIX).pathname);
  const m = new InceptionResnetV1({ numClasses: 10 });
  const report = loadStateDict(m, weights, { source: 'random-weights.pt' });
  assert.equal(report.loaded.length, weights.size);
  m.eval();
  const input = f32('input-nchw-8x3x160x160.f32');
  const expectedEmb = f32('embeddings-8x512.f32');
  const expectedLogits = f32('logits-8x10.f32');
  for (const format of ['contiguous', 'channels_last'] as const) {
    m.setMemoryFormat(format);
    const { emb, logits } = noGrad(() =>
      tidy(() => {
        const out = m.forwardAll(tensor(input, [8, 3, 160, 160]));
        return { emb: out.embeddings.toFloat32(), logits: out.logits!.toFloat32() };
      }),
    );
    const de = maxAbsDiff(emb, expectedEmb);
    const dl = maxAbsDiff(logits, expectedLogits);
    assert.ok(de <= 1e-5, `${format}: embeddings differ by ${de}`);
    assert.ok(dl <= 1e-5, `${format}: logits differ by ${dl}`);
  }
  m.dispose();
});

test('strict loading reports missing, unexpected and mismatched keys; non-strict loads the rest', async () => {
  const weights = await readTorchStateDict(new URL('random-weights.pt', FIX).pathname);
  const m = new InceptionResnetV1({ numClasses: 7 });
  assert.throws(
    () => loadStateDict(m, weights, { source: 'random-weights.pt' }),
    (e: unknown) => e instanceof FacenetError && e.code === 'SHAPE_MISMATCH' && /logits\.weight expected \[7,512\] got \[10,512\]/.test(e.message),
  );
  const headless = new InceptionResnetV1();
  const report = loadStateDict(headless, weights, { strict: false });
  assert.deepEqual(report.unexpected.sort(), ['logits.bias', 'logits.weight']);
  assert.equal(report.missing.length, 0);
  const r2 = loadStateDict(m, weights, { strict: false });
  assert.deepEqual(r2.mismatched.map((x) => x.key).sort(), ['logits.bias', 'logits.weight']);
  m.dispose();
  headless.dispose();
});

test('small CPU variant: same code, fewer repeats, narrower, 112 px; trains one step without leaking', () => {
  const m = new InceptionResnetV1({ variant: 'inception-resnet-v1-small', numClasses: 5 });
  assert.equal(m.config.inputSize, 112);
  assert.ok(m.parameterCount() < 23482624 / 4, `small has ${m.parameterCount()} parameters`);
  m.train();
  const before = liveTensors().count;
  tidy(() => {
    const out = m.forwardAll(randn([4, 3, 112, 112]));
    assert.deepEqual(out.embeddings.shape, [4, 128]);
    assert.deepEqual(out.logits!.shape, [4, 5]);
    out.logits!.sum().backward();
  });
  const g = m.parameters()[0]!.grad;
  assert.ok(g !== null);
  g.dispose();
  for (const p of m.parameters()) p.grad = null;
  assert.equal(liveTensors().count, before);
  m.dispose();
});

test('bad input: wrong channel count and too-small images give clear errors', () => {
  const m = new InceptionResnetV1({ variant: 'inception-resnet-v1-tiny' });
  m.eval();
  assert.throws(() => tidy(() => m.forward(randn([1, 1, 96, 96]))), /expects images \[N, 3, H, W\], got \[1, 1, 96, 96\]/);
  assert.throws(() => tidy(() => m.forward(randn([1, 3, 40, 40]))), /at least 75x75/);
  assert.throws(() => resolveConfig({ inputSize: 50 }), /too small/);
  assert.throws(() => resolveConfig({ variant: 'nope' }), /unknown model variant 'nope'/);
  m.dispose();
});
