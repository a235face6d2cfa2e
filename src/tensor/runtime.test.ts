/** Engine facts and settings: version, threads, devices. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { setNumThreads, getNumThreads, useAllCores, cudaAvailable, cudaDeviceCount, defaultDevice, libtorchVersion, parallelInfo, tensor, tidy } from './index.js';

test('libtorch version and parallel info are reported', () => {
  assert.match(libtorchVersion(), /^\d+\.\d+/);
  assert.match(parallelInfo(), /ATen\/Parallel|at::get_num_threads/);
});

test('setNumThreads / getNumThreads / useAllCores', () => {
  const prev = getNumThreads();
  try {
    setNumThreads(1);
    assert.equal(getNumThreads(), 1);
    assert.equal(useAllCores(), os.availableParallelism());
    assert.equal(getNumThreads(), os.availableParallelism());
    // results do not depend on the thread count
    const r = tidy(() => tensor(Array.from({ length: 1000 }, (_, i) => i)).reshape(10, 100).sum(1).toArray());
    setNumThreads(1);
    assert.deepEqual(tidy(() => tensor(Array.from({ length: 1000 }, (_, i) => i)).reshape(10, 100).sum(1).toArray()), r);
  } finally {
    setNumThreads(prev);
  }
});

test('device facts are consistent', () => {
  const n = cudaDeviceCount();
  assert.equal(cudaAvailable(), n > 0);
  assert.equal(defaultDevice(), n > 0 ? 'cuda' : 'cpu');
  assert.equal(tidy(() => tensor([1]).device), 'cpu');
});
