// --precision end to end: every network-running command takes it (one NETWORK_OPTIONS row);
// `facenet embed --precision bf16` records it in the sidecar and gives embeddings close to fp32's;
// `facenet train --precision bf16` trains, records it in config.json, the checkpoint and the model
// facts, and resumes in fp32 from that checkpoint; unknown values and fp16 exit 2 with why.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../test-support/run-cli.js';
import { ZOO } from '../../test-support/shared.js';
import { InceptionResnetV1 } from '../../models/inception-resnet-v1/model.js';
import { saveModel, loadModelFile } from '../../models/model-file.js';
import { readNpy } from '../../io/npy.js';
import { writeSyntheticDataset } from '../../data/synthetic-dataset.js';
import { manualSeed } from '../../tensor/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-precision-'));
const modelFile = path.join(dir, 'tiny.safetensors');
const samples = path.join(ZOO, 'samples');

before(async () => {
  process.env['FACENET_MIRROR'] = ZOO;
  process.env['FACENET_HOME'] = path.join(dir, 'home');
  manualSeed(4);
  const m = new InceptionResnetV1({ variant: 'inception-resnet-v1-tiny' });
  await saveModel(m, modelFile, {});
  m.dispose();
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('--precision is in the help of embed, detect, align, compare, classify, validate and train', async () => {
  for (const cmd of ['embed', 'detect', 'align', 'compare', 'classify', 'validate', 'train']) {
    const r = await runCli([cmd, '--help']);
    assert.equal(r.code, 0, cmd);
    assert.match(r.stdout, /--precision/, cmd);
  }
});

test('embed --precision bf16: the sidecar and summary say bf16; rows are within cosine 0.995 of fp32', async () => {
  const runs: Record<string, Float32Array> = {};
  for (const p of ['fp32', 'bf16'] as const) {
    const out = path.join(dir, `emb-${p}.npy`);
    const r = await runCli(['embed', samples, '--model', modelFile, '--out', out, '--precision', p, '--threads', '1', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).precision, p);
    assert.equal(JSON.parse(readFileSync(out.replace(/\.npy$/, '.json'), 'utf8')).precision, p);
    runs[p] = (await readNpy(out)).data as Float32Array;
  }
  const d = 64;
  const a = runs['fp32']!;
  const b = runs['bf16']!;
  assert.equal(a.length, b.length);
  assert.notDeepEqual(a, b);
  for (let i = 0; i < a.length / d; i++) {
    let dot = 0;
    for (let k = i * d; k < (i + 1) * d; k++) dot += a[k]! * b[k]!;
    assert.ok(dot >= 0.995, `row ${i}: cosine ${dot}`);
  }
  // the default is fp32
  const r = await runCli(['embed', samples, '--model', modelFile, '--out', path.join(dir, 'emb-default.npy'), '--threads', '1', '--json']);
  assert.equal(JSON.parse(r.stdout).precision, 'fp32');
});

test('unknown precisions and fp16 exit 2 with a message that says why, on every kind of command', async () => {
  const bad = await runCli(['embed', samples, '--model', modelFile, '--out', path.join(dir, 'x.npy'), '--precision', 'fp8']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown precision 'fp8' \(expected one of: fp32, bf16, auto\)/);
  const half = await runCli(['detect', path.join(samples, 'paul_rudd.jpg'), '--precision', 'fp16']);
  assert.equal(half.code, 2);
  assert.match(half.stderr, /fp16 is not supported on CPU/);
  const train = await runCli(['train', '--data-dir', dir, '--precision', 'fp16']);
  assert.equal(train.code, 2);
  assert.match(train.stderr, /fp16 is not supported on CPU/);
});

test('train --precision bf16: config.json, checkpoint and model facts record it; resuming in fp32 works', async () => {
  const data = path.join(dir, 'faces');
  await writeSyntheticDataset(data, { classes: 3, imagesPerClass: 3, size: 32 });
  const common = ['--model-variant', 'inception-resnet-v1-tiny', '--image-size', '80', '--batch-size', '6', '--epoch-size', '2', '--threads', '1'];
  const r = await runCli(['train', '--data-dir', data, ...common, '--max-nrof-epochs', '1', '--precision', 'bf16', '--logs-base-dir', path.join(dir, 'runs'), '--run-name', 'r', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const runDir = path.join(dir, 'runs', 'r');
  const cfg = () => JSON.parse(readFileSync(path.join(runDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(cfg()['precision'], 'bf16');
  const first = await loadModelFile(path.join(runDir, 'model.safetensors'));
  assert.equal(first.facts['trainedPrecision'], 'bf16');
  for (const [k, t] of first.model.stateDict()) assert.ok(t.dtype === 'float32' || t.dtype === 'int64', `${k}: ${t.dtype}`); // weights stay fp32
  first.model.dispose();
  const resumed = await runCli(['train', '--resume', runDir, '--max-nrof-epochs', '2', '--precision', 'fp32', '--json']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(JSON.parse(resumed.stdout).steps, 4);
  assert.equal(cfg()['precision'], 'fp32');
  const second = await loadModelFile(path.join(runDir, 'model.safetensors'));
  assert.equal(second.facts['trainedPrecision'], 'fp32');
  second.model.dispose();
});
