import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeSyntheticDataset } from '../data/synthetic-dataset.js';
import { train, type TrainEvent } from './index.js';
import { readCheckpoint, CHECKPOINT_FILE } from './checkpoint.js';

let tmp: string;
let data: string;
before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'diverge-'));
  data = path.join(tmp, 'data');
  await writeSyntheticDataset(data, { classes: 3, imagesPerClass: 4, size: 32 });
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test('a run whose loss becomes NaN stops with advice, keeps the last finite checkpoint and writes no model', async () => {
  const base = { dataDir: data, logsBaseDir: path.join(tmp, 'runs'), modelVariant: 'inception-resnet-v1-tiny', imageSize: 80, threads: 1, batchSize: 6, epochSize: 2 };
  // one sane epoch first, so that there is a finite checkpoint to keep
  const sane = await train({ ...base, runName: 'run', maxNrofEpochs: 1 });
  assert.ok(sane.modelFile && existsSync(sane.modelFile));
  rmSync(sane.modelFile);
  const steps: number[] = [];
  await assert.rejects(
    train({ learningRate: 1e6, maxNrofEpochs: 30 }, { resume: sane.runDir, onProgress: (e: TrainEvent) => e.type === 'step' && steps.push(e.loss) }),
    (e: Error & { code?: string }) => {
      assert.equal(e.code, 'NON_FINITE', e.message);
      assert.match(e.message, /training diverged: the (loss is (NaN|-?Infinity)|weights hold NaN\/Inf) at step \d+/);
      assert.match(e.message, /the last finite checkpoint \(step \d+\) is kept in /);
      assert.match(e.message, /lower --learning-rate/);
      return true;
    },
  );
  assert.ok(steps.length < 30 * 2, `stopped early (${steps.length} steps)`);
  assert.ok(!existsSync(path.join(sane.runDir, 'model.safetensors')), 'no model from a diverged run');
  const kept = await readCheckpoint(sane.runDir); // finite, checksums valid
  assert.ok(existsSync(path.join(sane.runDir, CHECKPOINT_FILE)) && kept.tensors.size > 0);
});
