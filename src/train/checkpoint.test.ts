import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, renameSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readCheckpoint, writeCheckpoint, CHECKPOINT_FILE, OPTIMIZER_FILE, type CheckpointData } from './checkpoint.js';

const data = (step: number): CheckpointData => ({
  tensors: new Map([['model.w', { dtype: 'float32', shape: [2], data: Float32Array.from([step, step + 0.5]) }]]),
  records: { state: { step }, config: { seed: 666 } },
  optimizerState: Buffer.from(`optimizer state at ${step}`),
});

test('round trip: tensors, JSON records and the optimizer state that belongs to them', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ckpt-'));
  try {
    await writeCheckpoint(dir, data(3));
    const back = await readCheckpoint(dir);
    assert.deepEqual(Array.from(back.tensors.get('model.w')!.data as Float32Array), [3, 3.5]);
    assert.deepEqual(back.records['state'], { step: 3 });
    assert.equal(back.optimizerState.toString(), 'optimizer state at 3');
    await assert.rejects(readCheckpoint(path.join(dir, 'nope')), /no checkpoint to resume from/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failing write leaves the previous checkpoint intact and loadable', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ckpt-'));
  try {
    await writeCheckpoint(dir, data(1));
    mkdirSync(path.join(dir, 'optimizer-state.prev.bin', 'blocker'), { recursive: true }); // the old optimizer state cannot be moved aside
    await assert.rejects(writeCheckpoint(dir, data(2)), (e: Error & { code?: string }) => e.code === 'BAD_FILE' && /previous checkpoint is intact/.test(e.message));
    const back = await readCheckpoint(dir);
    assert.deepEqual(back.records['state'], { step: 1 });
    assert.equal(back.optimizerState.toString(), 'optimizer state at 1');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a crash between the two renames still pairs the checkpoint with its own optimizer state', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ckpt-'));
  const other = mkdtempSync(path.join(os.tmpdir(), 'ckpt-'));
  try {
    await writeCheckpoint(dir, data(1));
    await writeCheckpoint(other, data(2));
    // Simulate: old optimizer state moved to .prev, the new one in place, the checkpoint not yet renamed.
    renameSync(path.join(dir, OPTIMIZER_FILE), path.join(dir, 'optimizer-state.prev.bin'));
    copyFileSync(path.join(other, OPTIMIZER_FILE), path.join(dir, OPTIMIZER_FILE));
    assert.equal((await readCheckpoint(dir)).optimizerState.toString(), 'optimizer state at 1');
    rmSync(path.join(dir, 'optimizer-state.prev.bin'));
    await assert.rejects(readCheckpoint(dir), /does not belong/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(other, { recursive: true, force: true });
  }
});
