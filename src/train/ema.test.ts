import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, keep, noGrad, liveTensors } from '../tensor/index.js';
import { ExponentialMovingAverage, emaDecay } from './ema.js';

test('the decay follows TF num_updates: min(decay, (1 + n) / (10 + n))', () => {
  assert.equal(emaDecay(0.9999, 0), 0.1);
  assert.equal(emaDecay(0.9999, 10), 11 / 20);
  assert.equal(emaDecay(0.9999, 1e6), 0.9999);
});

test('shadows track the weights; withAveraged swaps them in and always restores', async () => {
  const before = liveTensors().count;
  const w = keep(noGrad(() => tensor([1, 2]).requiresGrad_()));
  const ema = new ExponentialMovingAverage(new Map([['w', w]]), 0.9999);
  noGrad(() => w.fill_(11));
  ema.update(0); // d = 0.1: shadow = 0.1 * shadow + 0.9 * w
  const expected = [0.1 * 1 + 0.9 * 11, 0.1 * 2 + 0.9 * 11];
  Array.from(ema.averages.get('w')!.toFloat32()).forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-5));
  const seen = await ema.withAveraged(() => w.toFloat32());
  assert.ok(Math.abs(seen[0]! - expected[0]!) < 1e-5);
  assert.deepEqual(Array.from(w.toFloat32()), [11, 11]);
  await assert.rejects(ema.withAveraged(() => Promise.reject(new Error('boom'))), /boom/);
  assert.deepEqual(Array.from(w.toFloat32()), [11, 11]);
  ema.dispose();
  w.dispose();
  assert.equal(liveTensors().count, before);
});
