import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EpochOrder, mixSeed } from './sample-order.js';

test('every pass is a permutation, passes differ, and the order is a function of the seed', () => {
  const a = new EpochOrder(10, 666);
  const first = Array.from({ length: 10 }, (_, g) => a.at(g));
  const second = Array.from({ length: 10 }, (_, g) => a.at(10 + g));
  assert.deepEqual([...first].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual([...second].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.notDeepEqual(first, second);
  const b = new EpochOrder(10, 666);
  assert.equal(b.at(37), a.at(37)); // random access, as a resumed run needs
  assert.deepEqual(Array.from({ length: 10 }, (_, g) => b.at(g)), first);
  assert.notDeepEqual(Array.from({ length: 10 }, (_, g) => new EpochOrder(10, 667).at(g)), first);
});

test('mixSeed separates streams and positions', () => {
  const seen = new Set<number>();
  for (let s = 0; s < 3; s++) for (let i = 0; i < 300; i++) seen.add(mixSeed(666, s, i));
  assert.equal(seen.size, 900);
  assert.notEqual(mixSeed(1, 2 ** 33), mixSeed(1, 0));
  assert.equal(mixSeed(1, 2, 3), mixSeed(1, 2, 3));
});
