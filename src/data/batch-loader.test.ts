import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadBatch, type BatchLoaderOptions } from './batch-loader.js';
import { writeSyntheticDataset } from './synthetic-dataset.js';
import { augmentImage, NO_AUGMENT } from './augment.js';
import { decodeImageFile } from '../io/image.js';

async function dataset(): Promise<{ root: string; files: string[] }> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'loader-'));
  await writeSyntheticDataset(root, { classes: 2, imagesPerClass: 3, size: 24 });
  const files = ['person_000', 'person_001'].flatMap((c) => [1, 2, 3].map((i) => path.join(root, c, `${c}_000${i}.png`)));
  return { root, files };
}

const options = (root: string, o: Partial<BatchLoaderOptions> = {}): BatchLoaderOptions => ({
  augment: { imageSize: 20, randomCrop: false, randomFlip: false, randomRotate: false },
  augmentEnabled: false,
  datasetRoot: root,
  ...o,
});

test('a batch holds [N, S, S, 3] centre crops in request order, with their labels', async () => {
  const { root, files } = await dataset();
  try {
    const b = await loadBatch(files.slice(0, 4).map((p, i) => ({ path: p, label: i, augmentSeed: 0 })), options(root));
    assert.equal(b.count, 4);
    assert.equal(b.pixels.length, 4 * 20 * 20 * 3);
    assert.deepEqual(Array.from(b.labels), [0, 1, 2, 3]);
    const full = await decodeImageFile(files[1]!);
    const crop = augmentImage(full, options(root).augment, NO_AUGMENT);
    assert.deepEqual(b.pixels.subarray(1200, 2400), crop.data);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('corrupt, truncated and missing images are dropped and reported, never fatal', async () => {
  const { root, files } = await dataset();
  try {
    writeFileSync(files[1]!, 'not an image');
    const png = readFileSync(files[2]!);
    writeFileSync(files[2]!, png.subarray(0, png.length - 40));
    rmSync(files[3]!);
    const b = await loadBatch(files.map((p, i) => ({ path: p, label: i, augmentSeed: 0 })), options(root));
    assert.equal(b.count, 3);
    assert.deepEqual(b.kept, [0, 4, 5]);
    assert.deepEqual(Array.from(b.labels), [0, 4, 5]);
    assert.deepEqual(b.failures.map((f) => f.path), [files[1], files[2], files[3]]);
    // Triplets: a failed image removes its whole group of three.
    const t = await loadBatch(files.map((p, i) => ({ path: p, label: i, augmentSeed: 0 })), options(root, { groupSize: 3 }));
    assert.equal(t.count, 0);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a dataset folder that has disappeared is fatal, with an error naming it', async () => {
  const { root, files } = await dataset();
  rmSync(root, { recursive: true, force: true });
  await assert.rejects(loadBatch([{ path: files[0]!, label: 0, augmentSeed: 0 }], options(root)), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'NOT_FOUND');
    assert.ok(e.message.includes(root) && /disappeared/.test(e.message), e.message);
    return true;
  });
});
