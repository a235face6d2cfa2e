import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FacenetError } from '../errors.js';
import { parseDevice, resolveDevice } from './device.js';
import { applyRuntimeOptions, cudaAvailable } from './runtime.js';

const no = (code: string, re: RegExp) => (e: unknown) => e instanceof FacenetError && e.code === code && re.test(e.message);

test('parseDevice accepts cpu, cuda, cuda:N and names the flag otherwise', () => {
  assert.equal(parseDevice('cpu'), 'cpu');
  assert.equal(parseDevice('cuda'), 'cuda');
  assert.equal(parseDevice('cuda:3'), 'cuda:3');
  for (const bad of ['gpu', 'cuda:', 'cuda:x', 'CPU', 'cuda:1:2']) assert.throws(() => parseDevice(bad), no('BAD_ARGUMENT', /--device must be cpu, cuda or cuda:N/));
});

test('resolveDevice: cpu runs; CUDA without a CUDA build says how to build one; a missing GPU index is named', () => {
  assert.equal(resolveDevice(undefined), 'cpu');
  assert.equal(resolveDevice('cpu'), 'cpu');
  const cpuBuild = { cuda: false, count: 0, libtorch: '1.13.0' };
  assert.throws(() => resolveDevice('cuda', cpuBuild), no('NO_DEVICE', /without CUDA.*LIBTORCH=.*npm run build:native/));
  assert.throws(() => resolveDevice('cuda:1', { cuda: true, count: 1, libtorch: '2.6.0' }), no('NO_DEVICE', /1 CUDA device\(s\) \(cuda:0 \.\. cuda:0\)/));
  assert.throws(() => resolveDevice('cuda:0', { cuda: true, count: 1, libtorch: '2.6.0' }), no('NO_DEVICE', /CPU only/));
});

test('applyRuntimeOptions checks the device of this build', () => {
  applyRuntimeOptions({ device: 'cpu' });
  if (!cudaAvailable()) assert.throws(() => applyRuntimeOptions({ device: 'cuda' }), no('NO_DEVICE', /npm run build:native/));
});
