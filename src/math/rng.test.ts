import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from './rng.js';

test('xoshiro128** output matches the reference algorithm (splitmix32 seeding)', () => {
  const r = new Rng(666);
  assert.deepEqual(Array.from({ length: 5 }, () => r.nextUint32()), [1287829797, 2164595297, 3108191928, 1193475878, 838578681]);
  const z = new Rng(0);
  assert.deepEqual(Array.from({ length: 3 }, () => z.nextUint32()), [3809008728, 1133695204, 53579671]);
});

test('same seed, same stream; other seed, other stream', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const sa = Array.from({ length: 20 }, () => a.next());
  assert.deepEqual(sa, Array.from({ length: 20 }, () => b.next()));
  assert.notDeepEqual(sa, Array.from({ length: 20 }, () => c.next()));
  assert.ok(sa.every((v) => v >= 0 && v < 1));
});

test('nextInt is in range and roughly uniform', () => {
  const r = new Rng(1);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 60000; i++) counts[r.nextInt(6)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10000) < 500, `count ${c}`);
  assert.equal(r.nextInt(1), 0);
  assert.throws(() => r.nextInt(0), { code: 'BAD_ARGUMENT' });
  assert.throws(() => r.nextInt(2.5), { code: 'BAD_ARGUMENT' });
});

test('normal has mean 0 and std 1', () => {
  const r = new Rng(3);
  const n = 40000;
  const xs = Array.from({ length: n }, () => r.normal());
  const mean = xs.reduce((s, v) => s + v, 0) / n;
  const sd = Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
  assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(sd - 1) < 0.03, `sd ${sd}`);
  assert.ok(Math.abs(new Rng(3).normal(10, 0.001) - 10) < 0.01);
});

test('shuffle is a deterministic permutation, in place', () => {
  const a = Array.from({ length: 50 }, (_, i) => i);
  const out = new Rng(9).shuffle(a);
  assert.equal(out, a);
  assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assert.notDeepEqual(a, Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(new Rng(9).shuffle(Array.from({ length: 50 }, (_, i) => i)), a);
  const typed = new Rng(9).shuffle(Int32Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual([...typed], a);
  assert.throws(() => new Rng(1.5), { code: 'BAD_ARGUMENT' });
});
