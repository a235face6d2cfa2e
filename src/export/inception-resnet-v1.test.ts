import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { FIXTURES } from '../test-support/shared.js';
import { InceptionResnetV1 } from '../models/inception-resnet-v1/model.js';
import { readTorchStateDict } from '../io/torch-file.js';
import { loadStateDict } from '../nn/index.js';
import { manualSeed, noGrad, rand, randn, tensor, tidy } from '../tensor/index.js';
import { standardizeInto } from '../embed/standardize.js';
import { FacenetError } from '../errors.js';
import { exportInceptionResnetV1 } from './inception-resnet-v1.js';
import { decodeModel, encodeModel } from './onnx-graph.js';
import { checkModelStructure } from './onnx-check.js';

const FIX = path.join(FIXTURES, 'inception-resnet-v1');
const f32 = (name: string): Float32Array => {
  const b = readFileSync(path.join(FIX, name));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const maxAbsDiff = (a: Float32Array, b: Float32Array): number => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
const session = (bytes: Uint8Array) => ort.InferenceSession.create(bytes, { intraOpNumThreads: 2, interOpNumThreads: 1 });
const ours = (m: InceptionResnetV1, x: Float32Array, shape: number[]) => noGrad(() => tidy(() => m.forward(tensor(x, shape)).toFloat32()));

/** A variant with random weights and random batch-norm statistics, so the fold is not an identity. */
function randomModel(variant: string): InceptionResnetV1 {
  manualSeed(7);
  const m = new InceptionResnetV1({ variant });
  noGrad(() => {
    for (const [k, t] of m.stateDict()) {
      if (k.endsWith('running_var')) t.copy_(tidy(() => rand(t.shape).add(0.5)));
      else if (k.endsWith('running_mean') || k.endsWith('bn.bias') || k.endsWith('bn.weight')) t.copy_(tidy(() => randn(t.shape).mul(0.1).add(k.endsWith('weight') ? 1 : 0)));
    }
  });
  return m.eval();
}

test("facenet-pytorch fixture model: ORT embeddings match our engine's (<= 1e-4) at batch 1, 3 and 16, and facenet-pytorch's reference", async (t) => {
  const m = new InceptionResnetV1({ numClasses: 10 });
  loadStateDict(m, await readTorchStateDict(path.join(FIX, 'random-weights.pt')));
  m.eval();
  const model = exportInceptionResnetV1(m);
  assert.deepEqual(checkModelStructure(model), []);
  const s = await session(encodeModel(model));
  const input8 = f32('input-nchw-8x3x160x160.f32');
  const per = 3 * 160 * 160;
  const r8 = await s.run({ input: new ort.Tensor('float32', input8, [8, 3, 160, 160]) });
  const dRef = maxAbsDiff(r8['embeddings']!.data as Float32Array, f32('embeddings-8x512.f32'));
  t.diagnostic(`ORT vs facenet-pytorch reference (batch 8): max abs diff ${dRef}`);
  assert.ok(dRef <= 1e-4, 'against facenet-pytorch');
  for (const n of [1, 3, 16]) {
    const x = new Float32Array(n * per);
    for (let i = 0; i < n; i++) x.set(input8.subarray((i % 8) * per, (i % 8 + 1) * per), i * per);
    if (n === 16) for (let i = 8 * per; i < x.length; i++) x[i] = x[i]! * 0.5 - 0.1; // the second half differs
    const r = await s.run({ input: new ort.Tensor('float32', x, [n, 3, 160, 160]) });
    const got = r['embeddings']!.data as Float32Array;
    assert.deepEqual(r['embeddings']!.dims, [n, 512]);
    const d = maxAbsDiff(got, ours(m, x, [n, 3, 160, 160]));
    t.diagnostic(`ORT vs ours, batch ${n}: max abs diff ${d}`);
    assert.ok(d <= 1e-4, `batch ${n}: max abs diff ${d}`);
  }
  m.dispose();
});

test('every variant exports: random weights and BN statistics, batch 1 / 3 / 16 within 1e-4; metadata says how to standardise', async () => {
  for (const variant of ['inception-resnet-v1-tiny', 'inception-resnet-v1-small']) {
    const m = randomModel(variant);
    const size = m.config.inputSize;
    const model = exportInceptionResnetV1(m, { facts: { threshold: 1.1 } });
    const meta = Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key, p.value]));
    assert.equal(meta['facenet.variant'], variant);
    assert.equal(meta['facenet.standardization'], 'fixed');
    assert.equal(Number(meta['facenet.standardization.mean']), 127.5);
    assert.equal(Number(meta['facenet.standardization.scale']), 1 / 128);
    assert.equal(meta['facenet.threshold'], '1.1');
    assert.equal(meta['facenet.input_size'], String(size));
    const s = await session(encodeModel(model));
    for (const n of [1, 3, 16]) {
      const x = tidy(() => randn([n, 3, size, size]).toFloat32());
      const r = await s.run({ input: new ort.Tensor('float32', x, [n, 3, size, size]) });
      const d = maxAbsDiff(r['embeddings']!.data as Float32Array, ours(m, x, [n, 3, size, size]));
      assert.ok(d <= 1e-4, `${variant} batch ${n}: ${d}`);
    }
    m.dispose();
  }
});

test('--include-preprocessing: uint8 RGB NHWC in, the same embeddings as standardising in TypeScript (fixed and prewhiten, opset 17 and 18)', async () => {
  for (const [standardization, opset] of [['fixed', 17], ['prewhiten', 17], ['prewhiten', 18]] as const) {
    const m = new InceptionResnetV1({ variant: 'inception-resnet-v1-tiny', standardization });
    m.eval();
    const size = 96;
    const n = 3;
    const pixels = new Uint8Array(n * size * size * 3);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37 + (i >> 7) * 11) % 256;
    const x = new Float32Array(n * 3 * size * size);
    for (let i = 0; i < n; i++) standardizeInto(pixels.subarray(i * size * size * 3, (i + 1) * size * size * 3), size, size, standardization, x, i * 3 * size * size);
    const model = exportInceptionResnetV1(m, { includePreprocessing: true, opset });
    assert.deepEqual(checkModelStructure(model), [], `${standardization} opset ${opset}`);
    const s = await session(encodeModel(model));
    const r = await s.run({ image: new ort.Tensor('uint8', pixels, [n, size, size, 3]) });
    const d = maxAbsDiff(r['embeddings']!.data as Float32Array, ours(m, x, [n, 3, size, size]));
    assert.ok(d <= 1e-4, `${standardization} opset ${opset}: ${d}`);
    m.dispose();
  }
});

test('fp16: weights stored as float16 (about half the file), float32 arithmetic, embeddings within 2e-3', async () => {
  const m = randomModel('inception-resnet-v1-tiny');
  const full = encodeModel(exportInceptionResnetV1(m));
  const half = encodeModel(exportInceptionResnetV1(m, { precision: 'fp16' }));
  assert.ok(half.length < full.length * 0.55, `fp16 ${half.length} bytes vs fp32 ${full.length}`);
  assert.deepEqual(checkModelStructure(decodeModel(half)), []);
  const x = tidy(() => randn([2, 3, 96, 96]).toFloat32());
  const r = await (await session(half)).run({ input: new ort.Tensor('float32', x, [2, 3, 96, 96]) });
  const d = maxAbsDiff(r['embeddings']!.data as Float32Array, ours(m, x, [2, 3, 96, 96]));
  assert.ok(d <= 2e-3 && d > 0, `fp16 differs by ${d}`);
  m.dispose();
});

test('opset outside the supported range or below what the graph needs is a clear error', () => {
  const m = new InceptionResnetV1({ variant: 'inception-resnet-v1-tiny' });
  m.eval();
  assert.throws(() => exportInceptionResnetV1(m, { opset: 6 }), (e: unknown) => e instanceof FacenetError && /--opset 6 is below what the graph needs: MaxPool .* needs opset 8/.test(e.message));
  assert.throws(() => exportInceptionResnetV1(m, { opset: 99 }), /supported opsets are 7\.\.21/);
  for (const opset of [8, 13, 21]) assert.equal(exportInceptionResnetV1(m, { opset }).opsetImport![0]!.version, opset);
  m.dispose();
});
