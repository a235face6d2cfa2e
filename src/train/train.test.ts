import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { liveTensors } from '../tensor/index.js';
import { writeSyntheticDataset } from '../data/synthetic-dataset.js';
import { decodeImageFile } from '../io/image.js';
import { loadFaceModel } from '../models/registry.js';
import { Embedder } from '../embed/embedder.js';
import { train, type TrainConfig, type TrainEvent, type StepEvent } from './index.js';
import { readCheckpoint } from './checkpoint.js';
import { parseLines } from './metrics-log.js';

let tmp: string;
let dataDir: string;

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'train-'));
  dataDir = path.join(tmp, 'faces');
  await writeSyntheticDataset(dataDir, { classes: 4, imagesPerClass: 6, size: 32 });
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Tiny network on 32 px images padded to 80 px, with every random part of the pipeline switched on. */
const config = (overrides: Partial<TrainConfig> = {}): Partial<TrainConfig> => ({
  dataDir,
  logsBaseDir: path.join(tmp, 'runs'),
  modelVariant: 'inception-resnet-v1-tiny',
  imageSize: 80,
  // One libtorch thread: OpenMP's spinning barriers collapse when a shared 2-core machine is busy.
  threads: 1,
  batchSize: 6,
  epochSize: 10,
  maxNrofEpochs: 2,
  randomCrop: true,
  randomFlip: true,
  randomRotate: true,
  keepProbability: 0.8,
  ...overrides,
});

function record(events: TrainEvent[], extra?: (e: TrainEvent) => void) {
  return (e: TrainEvent) => {
    events.push(e);
    extra?.(e);
  };
}
const steps = (events: TrainEvent[]) => events.filter((e): e is StepEvent => e.type === 'step');

let reference: StepEvent[] = [];
let referenceRun = '';

test('the same seed, data and threads give the same losses for 20 steps; memory stays flat', async () => {
  const a: TrainEvent[] = [];
  const live: number[] = [];
  const summary = await train(config(), { onProgress: record(a, (e) => e.type === 'step' && live.push(liveTensors().count)) });
  const b: TrainEvent[] = [];
  await train(config(), { onProgress: record(b) });
  reference = steps(a);
  referenceRun = summary.runDir;
  assert.equal(reference.length, 20);
  assert.deepEqual(steps(b).map((e) => e.loss), reference.map((e) => e.loss));
  assert.ok(reference.every((e) => Number.isFinite(e.loss) && e.images === 6));
  const mean = (xs: StepEvent[]) => xs.reduce((a, e) => a + e.loss, 0) / xs.length;
  assert.ok(mean(reference.slice(15)) < mean(reference.slice(0, 5)), `the loss goes down: ${reference.map((e) => e.loss.toFixed(2)).join(' ')}`);
  assert.equal(live[19], live[4], `live tensors per step: ${live.join(',')}`);
  const other: TrainEvent[] = [];
  await train(config({ seed: 7, maxNrofEpochs: 1, epochSize: 3 }), { onProgress: record(other) });
  assert.notDeepEqual(steps(other).map((e) => e.loss), reference.slice(0, 3).map((e) => e.loss));

  assert.equal(summary.stopReason, 'max-epochs');
  assert.equal(summary.steps, 20);
  assert.equal(summary.epochsCompleted, 2);
  assert.ok(summary.imagesPerSec > 0 && summary.meanStepMs > 0 && summary.meanDataWaitMs >= 0);
});

test('the run folder: resolved config, metrics, checkpoint, plot and a model that loadFaceModel and the Embedder use', async () => {
  const dir = referenceRun;
  const savedConfig = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as TrainConfig;
  assert.equal(savedConfig.batchSize, 6);
  assert.equal(savedConfig.optimizer, 'ADAGRAD');
  const records = parseLines(readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8'));
  const stepRecords = records.filter((r) => r.kind === 'step');
  assert.equal(stepRecords.length, 20);
  for (const k of ['loss', 'crossEntropy', 'accuracy', 'lr', 'imagesPerSec', 'dataWaitMs', 'stepMs', 'epoch']) assert.ok(k in stepRecords[0]!, k);
  assert.equal(records.filter((r) => r.kind === 'epoch').length, 2);
  const ck = await readCheckpoint(dir);
  assert.equal((ck.records['state'] as { step: number }).step, 20);
  assert.ok(ck.tensors.has('model.last_linear.weight') && ck.tensors.has('ema.model.last_linear.weight') && ck.tensors.has('head.weight'));
  assert.ok(readFileSync(path.join(dir, 'curves.svg'), 'utf8').includes('<polyline'));
  const { model, facts } = await loadFaceModel(path.join(dir, 'model.safetensors'));
  try {
    assert.equal(model.config.inputSize, 80);
    assert.equal(model.config.standardization, 'prewhiten');
    assert.equal(model.config.embeddingSize, 128);
    assert.equal(facts['steps'], 20);
    const img = await decodeImageFile(path.join(dataDir, 'person_000', 'person_000_0001.png'));
    const emb = await new Embedder(model).embed([img]);
    assert.equal(emb.length, 128);
    assert.ok(Math.abs(Math.hypot(...emb) - 1) < 1e-4);
  } finally {
    model.dispose();
  }
});

test('interrupted (signal) after step 7, then resumed: the same losses as the uninterrupted run', async () => {
  const controller = new AbortController();
  const first: TrainEvent[] = [];
  const stopped = await train(config(), { signal: controller.signal, onProgress: record(first, (e) => e.type === 'step' && e.step === 7 && controller.abort()) });
  assert.equal(stopped.stopReason, 'interrupted');
  assert.equal(stopped.steps, 7);
  assert.equal(stopped.modelFile, null); // unfinished: a checkpoint, no model
  assert.ok(existsSync(stopped.checkpointFile) && !existsSync(path.join(stopped.runDir, 'model.safetensors')));
  const second: TrainEvent[] = [];
  const resumed = await train({}, { resume: stopped.runDir, onProgress: record(second) });
  const start = second.find((e) => e.type === 'start');
  assert.equal(start?.type === 'start' && start.resumedFromStep, 7);
  assert.equal(resumed.steps, 20);
  assert.equal(resumed.startStep, 7);
  assert.deepEqual([...steps(first), ...steps(second)].map((e) => e.loss), reference.map((e) => e.loss));
  const stepLines = parseLines(readFileSync(path.join(stopped.runDir, 'metrics.jsonl'), 'utf8')).filter((r) => r.kind === 'step');
  assert.deepEqual(stepLines.map((r) => r.step), Array.from({ length: 20 }, (_, i) => i + 1));
  await assert.rejects(train({ batchSize: 12 }, { resume: stopped.runDir }), /cannot change batchSize when resuming/);
});
