import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadTrainingSet, type TrainingSetOptions } from './training-set.js';
import { writeSyntheticDataset } from './synthetic-dataset.js';

const opts = (dataDir: string, o: Partial<TrainingSetOptions> = {}): TrainingSetOptions => ({
  dataDir, minImagesPerClass: 0, validationSetSplitRatio: 0, minNrofValImagesPerClass: 0, seed: 666, ...o,
});

test('classes, labels and per-class indices; a validation split keeps labels aligned', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'set-'));
  try {
    await writeSyntheticDataset(root, { classes: 3, imagesPerClass: 4, size: 16 });
    await writeSyntheticDataset(path.join(root, 'extra'), { classes: 0, imagesPerClass: 0, size: 16 });
    const s = await loadTrainingSet(opts(root));
    assert.deepEqual(s.classNames, ['person_000', 'person_001', 'person_002']);
    assert.equal(s.paths.length, 12);
    assert.deepEqual(s.classImages[1], [4, 5, 6, 7]);
    assert.ok(s.classImages.flat().every((i) => path.basename(path.dirname(s.paths[i]!)) === s.classNames[s.labels[i]!]));
    const split = await loadTrainingSet(opts(root, { validationSetSplitRatio: 0.25 }));
    assert.equal(split.paths.length, 9);
    assert.equal(split.val.paths.length, 3);
    split.val.paths.forEach((p, i) => assert.equal(path.basename(path.dirname(p)), split.classNames[split.val.labels[i]!]));
    assert.equal(new Set([...split.paths, ...split.val.paths]).size, 12);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('an empty or one-class dataset is a clear error naming the folder', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'set-'));
  try {
    await assert.rejects(loadTrainingSet(opts(root)), (e: Error) => e.message.includes(root) && /no images|no class/.test(e.message));
    await writeSyntheticDataset(root, { classes: 1, imagesPerClass: 3, size: 16 });
    await assert.rejects(loadTrainingSet(opts(root)), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'BAD_ARGUMENT');
      assert.ok(e.message.includes(root) && e.message.includes("'person_000'") && /at least 2 classes/.test(e.message), e.message);
      return true;
    });
    mkdirSync(path.join(root, 'solo'));
    await writeSyntheticDataset(path.join(root, 'x'), { classes: 1, imagesPerClass: 1, size: 16, prefix: 'p' });
    await writeSyntheticDataset(root, { classes: 2, imagesPerClass: 1, size: 16, prefix: 'few' });
    await assert.rejects(loadTrainingSet(opts(root, { minImagesPerClass: 2 })), /remain after --min-images-per-class 2/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
