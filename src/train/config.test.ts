import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TRAIN_DEFAULTS, resolveTrainConfig } from './config.js';
import { readTrainConfigFile, toCamelCase } from './config-file.js';

test("defaults are facenet's train_softmax / train_tripletloss defaults", () => {
  const config = resolveTrainConfig({ dataDir: '/data' });
  assert.equal(config.imageSize, 160);
  assert.equal(config.batchSize, 90);
  assert.equal(config.embeddingSize, 128);
  assert.equal(config.epochSize, 1000);
  assert.equal(config.maxNrofEpochs, 500);
  assert.equal(config.seed, 666);
  assert.equal(config.optimizer, 'ADAGRAD');
  assert.equal(config.learningRate, 0.1);
  assert.equal(config.movingAverageDecay, 0.9999);
  assert.equal(config.centerLossAlfa, 0.95);
  assert.equal(config.alpha, 0.2);
  assert.equal(config.peoplePerBatch, 45);
  assert.equal(config.imagesPerPerson, 40);
  assert.equal(config.keepProbability, 1.0);
  assert.equal(config.lfwNrofFolds, 10);
  assert.equal(config.randomCrop || config.randomFlip || config.randomRotate || config.useFixedImageStandardization, false);
  assert.equal(resolveTrainConfig({ dataDir: '/d', modelVariant: 'inception-resnet-v1-small' }).imageSize, 112);
  assert.ok(Object.isFrozen(TRAIN_DEFAULTS));
});

test('later layers win, undefined never overrides, and mistakes are named', () => {
  const config = resolveTrainConfig({ dataDir: '/a', batchSize: 30 }, { batchSize: undefined, epochSize: 5 }, { dataDir: '/b' });
  assert.equal(config.dataDir, '/b');
  assert.equal(config.batchSize, 30);
  assert.equal(config.epochSize, 5);
  assert.throws(() => resolveTrainConfig({ dataDir: '/a', bogus: 1 } as never), /unknown training option 'bogus'/);
  assert.throws(() => resolveTrainConfig({}), /--data-dir is required/);
  assert.throws(() => resolveTrainConfig({ dataDir: '/a', batchSize: 0 }), /batchSize\) must be an integer >= 1/);
  assert.throws(() => resolveTrainConfig({ dataDir: '/a', learningRate: -1 }), /learningRateScheduleFile/);
  assert.throws(() => resolveTrainConfig({ dataDir: '/a', loss: 'triplet', batchSize: 32 }), /multiple of 3/);
  assert.throws(() => resolveTrainConfig({ dataDir: '/a', lfwDir: '/lfw' }), /needs both/);
  assert.throws(() => resolveTrainConfig({ dataDir: '/a', loss: 'triplet', validationSetSplitRatio: 0.1 }), /needs --loss softmax/);
  assert.throws(() => resolveTrainConfig({ dataDir: '/a', imageSize: 64 }), /imageSize\) must be an integer >= 75/);
  assert.throws(() => resolveTrainConfig({ dataDir: '/a', optimizer: 'SGD' as never }), /ADAGRAD, ADADELTA/);
});

test('config files accept camelCase, kebab-case and facenet snake_case keys; relative paths follow the file', async () => {
  assert.equal(toCamelCase('learning_rate_schedule_file'), 'learningRateScheduleFile');
  assert.equal(toCamelCase('lfw-every-n-epochs'), 'lfwEveryNEpochs');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
  try {
    const file = path.join(dir, 'train.json');
    writeFileSync(file, JSON.stringify({ data_dir: 'faces', 'batch-size': 30, maxNrofEpochs: 2, pretrained_model: 'vggface2' }));
    const config = await readTrainConfigFile(file);
    assert.deepEqual(config, { dataDir: path.join(dir, 'faces'), batchSize: 30, maxNrofEpochs: 2, pretrainedModel: 'vggface2' });
    writeFileSync(file, JSON.stringify({ batch_sise: 3 }));
    await assert.rejects(readTrainConfigFile(file), /unknown training option 'batch_sise'/);
    writeFileSync(file, '{ not json');
    await assert.rejects(readTrainConfigFile(file), /not valid JSON/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
