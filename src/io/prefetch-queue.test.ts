import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PrefetchQueue } from './prefetch-queue.js';
import { loadBatch } from '../data/batch-loader.js';
import { writeSyntheticDataset } from '../data/synthetic-dataset.js';
import { scanImageFolder } from '../data/image-folder.js';

test('items come in order, the next ones are produced ahead, failures surface only when taken', async () => {
  const started: number[] = [];
  const q = new PrefetchQueue(async (i) => {
    started.push(i);
    if (i === 2) throw new Error('item 2 failed');
    return i * 10;
  }, 3, 0, 5);
  let unhandled = 0;
  const onUnhandled = () => unhandled++;
  process.on('unhandledRejection', onUnhandled);
  try {
    assert.equal((await q.take()).value, 0);
    assert.deepEqual(started, [0, 1, 2, 3]); // 1..3 started before the consumer works on 0
    assert.equal((await q.take()).value, 10);
    await new Promise((r) => setTimeout(r, 5));
    await assert.rejects(q.take(), /item 2 failed/);
    assert.equal((await q.take()).value, 30);
    assert.equal((await q.take()).value, 40);
    assert.ok(q.exhausted);
    await assert.rejects(q.take(), /ends at 5/);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  assert.equal(unhandled, 0);
});

test('decoding runs on the thread pool while the main thread is busy (the training step), so the step does not wait', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'prefetch-'));
  try {
    await writeSyntheticDataset(root, { classes: 4, imagesPerClass: 24, size: 96 });
    const files = (await scanImageFolder(root)).classes.flatMap((c) => c.paths);
    const options = {
      augment: { imageSize: 80, randomCrop: true, randomFlip: true, randomRotate: false },
      augmentEnabled: true,
      datasetRoot: root,
    };
    const q = new PrefetchQueue((k) => loadBatch(files.slice(k * 16, k * 16 + 16).map((p, i) => ({ path: p, label: 0, augmentSeed: i })), options), 2, 0, 6);
    const waits: number[] = [];
    for (let k = 0; k < 6; k++) {
      const { value, waitMs } = await q.take();
      assert.equal(value.count, 16);
      waits.push(waitMs);
      const until = performance.now() + 150; // a synchronous "libtorch step"
      while (performance.now() < until);
    }
    const later = waits.slice(1);
    assert.ok(Math.max(...later) < 40, `data wait after the first batch should be near 0, got ${waits.map((w) => w.toFixed(1)).join(', ')} ms`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
