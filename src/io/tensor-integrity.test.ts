import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertFiniteTensors, firstNonFinite, tensorDigests, TENSOR_DIGESTS_KEY } from './tensor-integrity.js';
import { writeSafetensors, readSafetensors } from './safetensors.js';
import { InceptionResnetV1 } from '../models/inception-resnet-v1/model.js';
import { saveModel, loadModelFile, MODEL_FORMAT, tensorToRaw } from '../models/model-file.js';
import { writeCheckpoint, readCheckpoint, CHECKPOINT_FILE } from '../train/checkpoint.js';
import type { RawTensor } from './raw-tensor.js';
import { noGrad } from '../tensor/index.js';

const isCode = (code: string, re: RegExp) => (e: Error & { code?: string }) => e.code === code && re.test(e.message);

/** Flips `n` bytes in the middle of the tensor data (the file's last half). */
function flipBytes(file: string, n: number): void {
  const buf = readFileSync(file);
  const start = Math.floor(buf.length * 0.6);
  for (let i = 0; i < n; i++) buf[start + i * 7]! ^= 0x5a;
  writeFileSync(file, buf);
}

test('firstNonFinite finds NaN and Inf, counts them, ignores integer tensors', () => {
  assert.equal(firstNonFinite({ dtype: 'float32', shape: [3], data: Float32Array.from([1, 2, 3]) }), null);
  assert.deepEqual(firstNonFinite({ dtype: 'float32', shape: [4], data: Float32Array.from([1, Infinity, NaN, 0]) }), { index: 1, value: Infinity, count: 2 });
  assert.equal(firstNonFinite({ dtype: 'float64', shape: [1], data: Float64Array.from([-Infinity]) })!.count, 1);
  assert.equal(firstNonFinite({ dtype: 'int32', shape: [1], data: Int32Array.from([7]) }), null);
  assert.throws(() => assertFiniteTensors(new Map([['w', { dtype: 'float32', shape: [2], data: Float32Array.from([0, NaN]) } as RawTensor]]), 'm.safetensors'), isCode('NON_FINITE', /m\.safetensors: weight "w" holds 1 non-finite/));
});

test('model files record a sha256 per tensor: flipped bytes are refused at load, naming the file', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'integrity-'));
  const model = new InceptionResnetV1({ variant: 'inception-resnet-v1-tiny' });
  try {
    const file = path.join(dir, 'model.safetensors');
    await saveModel(model, file);
    const { metadata } = await readSafetensors(file);
    assert.equal(Object.keys(JSON.parse(metadata[TENSOR_DIGESTS_KEY]!)).length, model.stateDict().size);
    (await loadModelFile(file)).model.dispose(); // intact: loads
    flipBytes(file, 2000);
    await assert.rejects(loadModelFile(file), isCode('BAD_FILE', /model\.safetensors: the data of tensor ".+" does not match its sha256 checksum/));
  } finally {
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a NaN weight: saveModel refuses to write it, and a model file holding one is an error at load', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'integrity-'));
  const model = new InceptionResnetV1({ variant: 'inception-resnet-v1-tiny' });
  try {
    const tensors = new Map<string, RawTensor>();
    for (const [k, t] of model.stateDict()) tensors.set(k, tensorToRaw(t));
    const [name, first] = [...tensors][3]!;
    (first.data as Float32Array)[5] = NaN;
    // a well-formed file (valid checksums) whose weights are not finite, as a diverged run would leave
    const file = path.join(dir, 'nan.safetensors');
    await writeSafetensors(file, tensors, { format: MODEL_FORMAT, config: JSON.stringify(model.config), facts: '{}', [TENSOR_DIGESTS_KEY]: tensorDigests(tensors) });
    await assert.rejects(loadModelFile(file), isCode('NON_FINITE', new RegExp(`nan\\.safetensors: weight "${name.replace(/\./g, '\\.')}" holds 1 non-finite value.*lower --learning-rate`)));
    const back = new InceptionResnetV1({ variant: 'inception-resnet-v1-tiny' });
    try {
      // load the poisoned weights into a model through the engine, then try to save it
      const target = back.stateDict().get(name)!;
      noGrad(() => target.fill_(Number.NaN));
      await assert.rejects(saveModel(back, path.join(dir, 'out.safetensors')), isCode('NON_FINITE', /refusing to save .*out\.safetensors/));
    } finally {
      back.dispose();
    }
  } finally {
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('checkpoints: flipped bytes are refused at resume; a non-finite state is never written', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'integrity-'));
  try {
    const w = new Float32Array(4096).map((_, i) => Math.sin(i));
    await writeCheckpoint(dir, { tensors: new Map([['model.w', { dtype: 'float32', shape: [4096], data: w }]]), records: { state: { step: 1 } }, optimizerState: Buffer.from('opt') });
    assert.equal((await readCheckpoint(dir)).records['state'] !== undefined, true);
    assert.equal((await readCheckpoint(dir)).records[TENSOR_DIGESTS_KEY], undefined, 'the digests are not a record');
    const bad = Float32Array.from(w);
    bad[10] = NaN;
    await assert.rejects(
      writeCheckpoint(dir, { tensors: new Map([['model.w', { dtype: 'float32', shape: [4096], data: bad }]]), records: { state: { step: 2 } }, optimizerState: Buffer.from('opt2') }),
      isCode('NON_FINITE', /refusing to write checkpoint/),
    );
    assert.deepEqual((await readCheckpoint(dir)).records['state'], { step: 1 }, 'the finite checkpoint stays');
    flipBytes(path.join(dir, CHECKPOINT_FILE), 200);
    await assert.rejects(readCheckpoint(dir), isCode('BAD_FILE', /does not match its sha256 checksum/));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
