import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveTrainConfig, stepMemoryBound, optionName } from './config.js';
import { train } from './index.js';
import { writeSyntheticDataset } from '../data/synthetic-dataset.js';
import { setNumThreads, getNumThreads, applyRuntimeOptions } from '../tensor/index.js';

const bad = (re: RegExp) => (e: Error & { code?: string }) => e.code === 'BAD_ARGUMENT' && re.test(e.message);

test('the batch size is bounded by memory: a million images per step is refused before anything starts', () => {
  assert.equal(stepMemoryBound(90, 160), 90 * 3 * 160 * 160 * 4 * 20);
  assert.throws(() => resolveTrainConfig({ dataDir: '/a', batchSize: 1_000_000 }), bad(/--batch-size \(batchSize\) 1000000 does not fit in memory: .* needs more than \d+ GB, this machine has/));
  assert.equal(resolveTrainConfig({ dataDir: '/a', batchSize: 90 }).batchSize, 90, "facenet's default fits");
});

test('threads are bounded by the cores, in the training config and in the engine', () => {
  const cores = os.availableParallelism();
  assert.throws(() => resolveTrainConfig({ dataDir: '/a', threads: 1000 }), bad(new RegExp(`--threads \\(threads\\) is 1000, more than the ${cores} cores`)));
  assert.equal(resolveTrainConfig({ dataDir: '/a', threads: cores }).threads, cores);
  const before = getNumThreads();
  assert.throws(() => setNumThreads(1000), bad(/threads: 1000 is more than the \d+ cores/));
  assert.throws(() => applyRuntimeOptions({ threads: cores + 1 }), bad(/more than the \d+ cores/));
  assert.equal(getNumThreads(), before, 'a refused setting changes nothing');
});

test('the batch size is bounded by the dataset', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bounds-'));
  try {
    await writeSyntheticDataset(path.join(dir, 'data'), { classes: 2, imagesPerClass: 3, size: 32 });
    await assert.rejects(
      train({ dataDir: path.join(dir, 'data'), logsBaseDir: path.join(dir, 'runs'), modelVariant: 'inception-resnet-v1-tiny', imageSize: 80, threads: 1, batchSize: 50 }),
      bad(/--batch-size \(batchSize\) 50 is more than the 6 training images in .*; use --batch-size 6 or fewer/),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('messages name options as the CLI spells them (train without --data-dir)', () => {
  assert.equal(optionName('lfwBatchSize'), '--lfw-batch-size (lfwBatchSize)');
  assert.throws(() => resolveTrainConfig({}), (e: Error) => /^--data-dir is required/.test(e.message) && !/option dataDir/.test(e.message));
  assert.throws(() => resolveTrainConfig({ dataDir: '/a', batchSize: 0 }), /--batch-size \(batchSize\) must be an integer >= 1/);
});
