import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeSyntheticDataset } from '../data/synthetic-dataset.js';
import { train, type TrainConfig, type TrainEvent } from './index.js';
import { readCheckpoint, CHECKPOINT_FILE } from './checkpoint.js';

let tmp: string;
let clean: string;

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'train-faults-'));
  clean = path.join(tmp, 'clean');
  await writeSyntheticDataset(clean, { classes: 3, imagesPerClass: 4, size: 32 });
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const config = (dataDir: string, overrides: Partial<TrainConfig> = {}): Partial<TrainConfig> => ({
  dataDir,
  logsBaseDir: path.join(tmp, 'runs'),
  modelVariant: 'inception-resnet-v1-tiny',
  imageSize: 80,
  // One libtorch thread: OpenMP's spinning barriers collapse when a shared 2-core machine is busy.
  threads: 1,
  batchSize: 6,
  epochSize: 2,
  maxNrofEpochs: 1,
  ...overrides,
});

function copyOf(name: string): string {
  const dir = path.join(tmp, name);
  cpSync(clean, dir, { recursive: true });
  return dir;
}

test('an empty or one-class dataset is refused before training, naming the folder', async () => {
  const empty = path.join(tmp, 'empty');
  mkdirSync(empty);
  await assert.rejects(train(config(empty)), (e: Error) => e.message.includes(empty));
  const one = path.join(tmp, 'one');
  await writeSyntheticDataset(one, { classes: 1, imagesPerClass: 3, size: 32 });
  await assert.rejects(train(config(one)), (e: Error & { code?: string }) => e.code === 'BAD_ARGUMENT' && e.message.includes(one) && /at least 2 classes/.test(e.message));
});

test('corrupt images are skipped, counted and reported; training goes on', async () => {
  const dir = copyOf('corrupt');
  const bad = path.join(dir, 'person_001', 'person_001_0002.png');
  writeFileSync(bad, 'this is not a png');
  const png = readFileSync(path.join(dir, 'person_002', 'person_002_0001.png'));
  writeFileSync(path.join(dir, 'person_002', 'person_002_0001.png'), png.subarray(0, 60));
  const warnings: string[] = [];
  const summary = await train(config(dir, { epochSize: 4 }), { onProgress: (e) => e.type === 'warning' && warnings.push(e.message) });
  assert.equal(summary.steps, 4);
  assert.ok(summary.skippedImages >= 2, `skipped ${summary.skippedImages}`);
  assert.ok(warnings.some((w) => w.includes(bad)), warnings.join('\n'));
  assert.ok(Number.isFinite(summary.lastLoss));
});

test('a dataset folder that disappears mid-run: clear error naming it, and a checkpoint to resume from', async () => {
  const dir = copyOf('vanishing');
  let runDir = '';
  const onProgress = (e: TrainEvent) => {
    if (e.type === 'start') runDir = e.runDir;
    if (e.type === 'step' && e.step === 2) rmSync(dir, { recursive: true, force: true });
  };
  await assert.rejects(train(config(dir, { epochSize: 20, prefetchBatches: 1 }), { onProgress }), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'NOT_FOUND');
    assert.ok(e.message.includes(dir) && /disappeared/.test(e.message) && e.message.includes(runDir), e.message);
    return true;
  });
  const ck = await readCheckpoint(runDir);
  const state = ck.records['state'] as { step: number };
  assert.ok(state.step >= 2 && state.step < 20, `checkpoint at step ${state.step}`);
});

test('a checkpoint that cannot be written leaves the previous one intact, and the run can resume from it', async () => {
  let runDir = '';
  const onProgress = (e: TrainEvent) => {
    if (e.type === 'start') runDir = e.runDir;
    // After the first checkpoint, make every later one fail (the old optimizer state cannot be moved aside).
    if (e.type === 'checkpoint' && e.step === 2) mkdirSync(path.join(runDir, 'optimizer-state.prev.bin', 'blocker'), { recursive: true });
  };
  const warnings: string[] = [];
  await assert.rejects(
    train(config(clean, { maxNrofEpochs: 2 }), { onProgress: (e) => (onProgress(e), e.type === 'warning' && warnings.push(e.message)) }),
    (e: Error & { code?: string }) => e.code === 'BAD_FILE' && /previous checkpoint is intact/.test(e.message),
  );
  assert.ok(warnings.some((w) => /could not write checkpoint/.test(w)));
  assert.equal(((await readCheckpoint(runDir)).records['state'] as { step: number }).step, 2);
  rmSync(path.join(runDir, 'optimizer-state.prev.bin'), { recursive: true });
  const resumed = await train({}, { resume: runDir });
  assert.equal(resumed.startStep, 2);
  assert.equal(resumed.steps, 4);
});
