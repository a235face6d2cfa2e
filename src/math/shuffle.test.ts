import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom, shuffleInPlace, shuffled } from './shuffle.js';

test('createRandom: deterministic per seed, in [0, 1), roughly uniform', () => {
  const a = createRandom(666);
  const b = createRandom(666);
  const c = createRandom(667);
  const xs = Array.from({ length: 10000 }, () => a());
  assert.deepEqual(Array.from({ length: 10000 }, () => b()), xs);
  assert.notEqual(c(), xs[0]);
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.02, `mean ${mean}`);
  const buckets = new Array<number>(10).fill(0);
  for (const x of xs) buckets[Math.floor(x * 10)]!++;
  assert.ok(buckets.every((n) => n > 900 && n < 1100), buckets.join(','));
  assert.throws(() => createRandom(Number.NaN), RangeError);
  assert.equal(typeof createRandom(0)(), 'number');
});

test('shuffle: a permutation, reproducible, input of shuffled() untouched', () => {
  const items = Array.from({ length: 100 }, (_, i) => i);
  const s1 = shuffled(items, createRandom(1));
  const s2 = shuffled(items, createRandom(1));
  assert.deepEqual(s1, s2);
  assert.notDeepEqual(s1, items);
  assert.deepEqual([...s1].sort((x, y) => x - y), items);
  assert.deepEqual(items, Array.from({ length: 100 }, (_, i) => i));
  const inPlace = [1, 2, 3];
  assert.equal(shuffleInPlace(inPlace, createRandom(5)), inPlace);
  assert.deepEqual(shuffleInPlace([], createRandom(5)), []);
});

test('shuffle: every permutation of 3 items is reachable with about equal frequency', () => {
  const rnd = createRandom(42);
  const counts = new Map<string, number>();
  for (let i = 0; i < 6000; i++) {
    const key = shuffled(['a', 'b', 'c'], rnd).join('');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  assert.equal(counts.size, 6);
  for (const n of counts.values()) assert.ok(n > 850 && n < 1150, String(n));
});
