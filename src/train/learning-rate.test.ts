import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { readLrSchedule } from '../io/lr-schedule-file.js';
import { LearningRatePolicy } from './learning-rate.js';

const SHARED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared');
const CASIA = path.join(SHARED, 'zoo/facenet-data/learning_rate_schedule_classifier_casia.txt');
const base = { learningRate: 0.1, learningRateDecayEpochs: 100, learningRateDecayFactor: 1.0, epochSize: 1000 };

test('a fixed rate with facenet defaults stays constant', () => {
  const p = LearningRatePolicy.fromSchedule(base, null);
  assert.equal(p.rateAt(1, 0), 0.1);
  assert.equal(p.rateAt(500, 499_999), 0.1);
});

test('exponential decay is staircase on the global step: lr * factor^floor(step / (decay_epochs * epoch_size))', () => {
  const p = LearningRatePolicy.fromSchedule({ ...base, learningRateDecayEpochs: 2, learningRateDecayFactor: 0.5, epochSize: 10 }, null);
  assert.equal(p.rateAt(1, 19), 0.1);
  assert.equal(p.rateAt(3, 20), 0.05);
  assert.equal(p.rateAt(5, 45), 0.025);
});

test("facenet's casia schedule file: epochs count from 1, '91: -1' stops after epoch 90", async () => {
  const schedule = await readLrSchedule(CASIA);
  const p = LearningRatePolicy.fromSchedule({ ...base, learningRate: -1 }, schedule);
  assert.equal(p.baseRate(1), 0.05);
  assert.equal(p.baseRate(59), 0.05);
  assert.equal(p.baseRate(60), 0.005);
  assert.equal(p.baseRate(90), 0.0005);
  assert.ok(p.baseRate(91) <= 0);
  // The decay applies on top of the schedule, as facenet feeds the file's rate into exponential_decay.
  const decayed = LearningRatePolicy.fromSchedule({ ...base, learningRate: -1, learningRateDecayEpochs: 1, learningRateDecayFactor: 0.5, epochSize: 10 }, schedule);
  assert.equal(decayed.rateAt(2, 10), 0.025);
});
