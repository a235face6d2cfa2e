import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSyntheticDataset } from '../data/synthetic-dataset.js';
import { train, type TrainConfig, type TrainEvent, type StepEvent } from './index.js';
import { parseLines } from './metrics-log.js';

const SHARED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared');
let tmp: string;
let dataDir: string;

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'train-modes-'));
  dataDir = path.join(tmp, 'faces');
  await writeSyntheticDataset(dataDir, { classes: 4, imagesPerClass: 5, size: 32 });
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const config = (overrides: Partial<TrainConfig> = {}): Partial<TrainConfig> => ({
  dataDir,
  logsBaseDir: path.join(tmp, 'runs'),
  modelVariant: 'inception-resnet-v1-tiny',
  imageSize: 80,
  // One libtorch thread: OpenMP's spinning barriers collapse when a shared 2-core machine is busy.
  threads: 1,
  batchSize: 6,
  epochSize: 3,
  maxNrofEpochs: 1,
  ...overrides,
});
const losses = (events: TrainEvent[]) => events.filter((e): e is StepEvent => e.type === 'step').map((e) => e.loss);

test('triplet loss: selection rounds of people x images, and an exact resume inside a round', async () => {
  const triplet = config({ loss: 'triplet', peoplePerBatch: 3, imagesPerPerson: 3, alpha: 0.2, epochSize: 4, randomFlip: true });
  const a: TrainEvent[] = [];
  const summary = await train(triplet, { onProgress: (e) => a.push(e) });
  const selections = a.filter((e) => e.type === 'selection');
  assert.ok(selections.length >= 1);
  const first = selections[0]!;
  assert.ok(first.type === 'selection' && first.report.sampled === 9 && first.report.pairs === 9 && first.report.triplets > 0);
  assert.ok(summary.steps >= 4 && losses(a).every(Number.isFinite));
  const controller = new AbortController();
  const b: TrainEvent[] = [];
  const stopped = await train(triplet, { signal: controller.signal, onProgress: (e) => (b.push(e), e.type === 'step' && e.step === 2 && controller.abort()) });
  const resumed: TrainEvent[] = [];
  await train({}, { resume: stopped.runDir, onProgress: (e) => resumed.push(e) });
  assert.deepEqual([...losses(b), ...losses(resumed)], losses(a));
});

test('softmax with ArcFace, center loss, prelogits norm, weight decay, a validation split and a schedule file', async () => {
  const events: TrainEvent[] = [];
  const summary = await train(
    config({
      head: 'arcface',
      centerLossFactor: 0.01,
      prelogitsNormLossFactor: 5e-4,
      weightDecay: 5e-4,
      validationSetSplitRatio: 0.2,
      validateEveryNEpochs: 1,
      optimizer: 'ADAM',
      learningRate: -1,
      learningRateScheduleFile: path.join(SHARED, 'zoo/facenet-data/learning_rate_schedule_classifier_casia.txt'),
    }),
    { onProgress: (e) => events.push(e) },
  );
  const step = events.find((e): e is StepEvent => e.type === 'step')!;
  assert.equal(step.lr, 0.05);
  for (const k of ['crossEntropy', 'centerLoss', 'prelogitsNorm', 'regularization']) assert.ok(Number.isFinite(step.terms[k]), k);
  assert.ok(step.terms['regularization']! > 0);
  const val = events.find((e) => e.type === 'validation');
  assert.ok(val && val.type === 'validation' && val.images === 4 && val.accuracy >= 0 && val.accuracy <= 1);
  assert.equal(summary.stopReason, 'max-epochs');
  const start = events.find((e) => e.type === 'start');
  assert.ok(start?.type === 'start' && start.images === 16 && start.valImages === 4);
});

test('a schedule rate of -1 stops training at that epoch; --max-minutes stops cleanly with a checkpoint and a model', async () => {
  const file = path.join(tmp, 'schedule.txt');
  writeFileSync(file, '# test\n0: 0.01\n2: -1\n');
  const summary = await train(config({ learningRate: -1, learningRateScheduleFile: file, epochSize: 2, maxNrofEpochs: 5, optimizer: 'MOM' }));
  assert.equal(summary.stopReason, 'schedule-end');
  assert.equal(summary.steps, 2);
  const timed = await train(config({ maxMinutes: 1e-6, epochSize: 100, optimizer: 'RMSPROP' }));
  assert.equal(timed.stopReason, 'max-minutes');
  assert.equal(timed.steps, 1);
  assert.ok(existsSync(timed.modelFile!) && existsSync(timed.checkpointFile));
});

test('LFW during training: protocol figures in the events, metrics and plot; a pairs subset; fine-tuning from the run\'s model', async () => {
  const lfwDir = path.join(tmp, 'lfw');
  await writeSyntheticDataset(lfwDir, { classes: 4, imagesPerClass: 3, size: 32, seed: 9, prefix: 'name' });
  const lines = ['2\t4'];
  for (let fold = 0; fold < 2; fold++) {
    for (let i = 0; i < 4; i++) lines.push(`name_00${i}\t1\t${2 + fold}`);
    for (let i = 0; i < 4; i++) lines.push(`name_00${i}\t${1 + fold}\tname_00${(i + 1) % 4}\t3`);
  }
  const pairs = path.join(tmp, 'pairs.txt');
  writeFileSync(pairs, lines.join('\n') + '\n');
  const events: TrainEvent[] = [];
  const summary = await train(config({ lfwDir, lfwPairs: pairs, lfwNrofFolds: 2, lfwMaxPairs: 8, maxNrofEpochs: 2, epochSize: 2 }), { onProgress: (e) => events.push(e) });
  const lfw = events.filter((e) => e.type === 'lfw');
  assert.equal(lfw.length, 2);
  assert.ok(lfw[0]!.type === 'lfw' && lfw[0]!.result.pairs === 8 && lfw[0]!.result.accuracy >= 0 && lfw[0]!.result.accuracy <= 1);
  assert.ok(summary.lfw && Number.isFinite(summary.lfw.accuracy));
  const records = parseLines(readFileSync(path.join(summary.runDir, 'metrics.jsonl'), 'utf8'));
  assert.equal(records.filter((r) => r.kind === 'lfw').length, 2);
  assert.ok(readFileSync(path.join(summary.runDir, 'curves.svg'), 'utf8').includes('LFW accuracy'));

  const tuned = await train(config({ pretrainedModel: summary.modelFile!, epochSize: 1, runName: 'tuned' }));
  assert.equal(tuned.runDir, path.join(tmp, 'runs', 'tuned'));
  await assert.rejects(train(config({ runName: 'tuned' })), /already holds a run: continue it with --resume/);
  assert.equal(tuned.steps, 1);
  await assert.rejects(train(config({ pretrainedModel: summary.modelFile!, embeddingSize: 64 })), /--embedding-size 128/);
});
