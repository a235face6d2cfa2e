import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FacenetError } from '../errors.js';
import { batchShard, defaultThreadsPerProcess, worldEnv, worldFromEnv } from './world.js';
import { configDifferences } from './data-parallel.js';

test('worldFromEnv reads torchrun variables, with LOCAL_* defaults, and rejects bad values naming the variable', () => {
  assert.equal(worldFromEnv({}), null);
  assert.deepEqual(worldFromEnv({ WORLD_SIZE: '4', RANK: '3', MASTER_ADDR: 'h', MASTER_PORT: '1234', LOCAL_WORLD_SIZE: '2' }), {
    rank: 3, worldSize: 4, localRank: 1, localWorldSize: 2, masterAddr: 'h', masterPort: 1234,
  });
  assert.deepEqual(worldFromEnv({ WORLD_SIZE: '1', RANK: '0' }), { rank: 0, worldSize: 1, localRank: 0, localWorldSize: 1, masterAddr: '127.0.0.1', masterPort: 29500 });
  const bad = (env: NodeJS.ProcessEnv, re: RegExp) => assert.throws(() => worldFromEnv(env), (e: unknown) => e instanceof FacenetError && e.code === 'BAD_ARGUMENT' && re.test(e.message));
  bad({ WORLD_SIZE: '2' }, /RANK is not set/);
  bad({ WORLD_SIZE: '2', RANK: '2' }, /RANK=2 must be below WORLD_SIZE=2/);
  bad({ WORLD_SIZE: 'x', RANK: '0' }, /WORLD_SIZE=x/);
  bad({ WORLD_SIZE: '2', RANK: '0', MASTER_PORT: '70000' }, /MASTER_PORT/);
  const w = { rank: 1, worldSize: 2, localRank: 1, localWorldSize: 2, masterAddr: 'a', masterPort: 5 };
  assert.deepEqual(worldFromEnv(worldEnv(w)), w);
});

test('batchShard splits the global batch into equal consecutive parts; uneven splits are refused', () => {
  assert.deepEqual([0, 1, 2, 3].map((r) => batchShard(8, r, 4)), [{ start: 0, count: 2 }, { start: 2, count: 2 }, { start: 4, count: 2 }, { start: 6, count: 2 }]);
  assert.deepEqual(batchShard(90, 0, 1), { start: 0, count: 90 });
  assert.throws(() => batchShard(9, 0, 2), /--batch-size 9 .* 2 processes/);
});

test('defaultThreadsPerProcess shares the cores between the local ranks, at least one each', () => {
  assert.equal(defaultThreadsPerProcess(2, 2), 1);
  assert.equal(defaultThreadsPerProcess(1, 2), 2);
  assert.equal(defaultThreadsPerProcess(3, 16), 5);
  assert.equal(defaultThreadsPerProcess(4, 2), 1);
});

test('configDifferences names the keys that differ, whatever the key order', () => {
  assert.deepEqual(configDifferences({ a: 1, b: { x: 1, y: 2 } }, { b: { y: 2, x: 1 }, a: 1 }), []);
  assert.deepEqual(configDifferences({ a: 1, b: 2, c: [1] }, { a: 1, b: 3, c: [2], d: 0 }), ['b', 'c', 'd']);
});
