import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchQueue, QueueClosedError, QueueFullError, type BatchOutcome } from './batch-queue.js';

/** A processor that records its batches and answers each job x with x * 10 after `ms`. */
function recorder(ms = 0) {
  const batches: number[][] = [];
  let release: (() => void) | null = null;
  const process = async (jobs: number[]): Promise<BatchOutcome<number>[]> => {
    batches.push(jobs);
    if (ms < 0) await new Promise<void>((r) => (release = r));
    else await new Promise((r) => setTimeout(r, ms));
    return jobs.map((j) => (j < 0 ? { ok: false, error: new Error(`job ${j} failed`) } : { ok: true, value: j * 10 }));
  };
  return { batches, process, release: () => release?.() };
}

test('BatchQueue: jobs pushed within the window share one batch; results go back to their callers in order', async () => {
  const r = recorder();
  const q = new BatchQueue(r.process, { windowMs: 20, maxBatch: 8, maxQueue: 100 });
  const out = await Promise.all([1, 2, 3].map((j) => q.push(j)));
  assert.deepEqual(out, [10, 20, 30]);
  assert.deepEqual(r.batches, [[1, 2, 3]]);
});

test('BatchQueue: a full batch starts at once, without waiting for the window', async () => {
  const r = recorder();
  const q = new BatchQueue(r.process, { windowMs: 10_000, maxBatch: 2, maxQueue: 100 });
  const t0 = Date.now();
  assert.deepEqual(await Promise.all([q.push(1), q.push(2)]), [10, 20]);
  assert.ok(Date.now() - t0 < 5000, 'did not wait for the 10 s window');
  assert.deepEqual(r.batches, [[1, 2]]);
});

test('BatchQueue: jobs arriving while a batch runs form the next batch, capped at maxBatch', async () => {
  const r = recorder(-1);
  const q = new BatchQueue(r.process, { windowMs: 0, maxBatch: 3, maxQueue: 100 });
  const first = q.push(1);
  await new Promise((res) => setTimeout(res, 5));
  assert.deepEqual(r.batches, [[1]]);
  assert.equal(q.busy, true);
  const rest = [2, 3, 4, 5].map((j) => q.push(j));
  assert.equal(q.depth, 4);
  r.release();
  await first;
  await new Promise((res) => setTimeout(res, 5));
  assert.deepEqual(r.batches, [[1], [2, 3, 4]]);
  r.release();
  await new Promise((res) => setTimeout(res, 5));
  r.release();
  assert.deepEqual(await Promise.all(rest), [20, 30, 40, 50]);
  assert.deepEqual(r.batches, [[1], [2, 3, 4], [5]]);
});

test('BatchQueue: beyond maxQueue waiting jobs, push rejects at once with QueueFullError', async () => {
  const r = recorder(-1);
  const q = new BatchQueue(r.process, { windowMs: 0, maxBatch: 1, maxQueue: 2 });
  const running = q.push(1);
  await new Promise((res) => setTimeout(res, 5));
  const waiting = [q.push(2), q.push(3)];
  await assert.rejects(q.push(4), QueueFullError);
  for (let i = 0; i < 3; i++) {
    r.release();
    await new Promise((res) => setTimeout(res, 5));
  }
  assert.equal(await running, 10);
  assert.deepEqual(await Promise.all(waiting), [20, 30]);
  const again = q.push(5);
  await new Promise((res) => setTimeout(res, 5));
  r.release();
  assert.equal(await again, 50, 'accepts again once drained');
});

test('BatchQueue: one failing job fails alone; a throwing processor fails its whole batch and the queue goes on', async () => {
  const r = recorder();
  const q = new BatchQueue(r.process, { windowMs: 5, maxBatch: 8, maxQueue: 100 });
  const [a, b] = await Promise.allSettled([q.push(1), q.push(-1)]);
  assert.deepEqual(a, { status: 'fulfilled', value: 10 });
  assert.equal(b.status, 'rejected');
  assert.match(String((b as PromiseRejectedResult).reason), /job -1 failed/);
  let calls = 0;
  const q2 = new BatchQueue<number, number>(
    async (jobs) => {
      if (calls++ === 0) throw new Error('worker died');
      return jobs.map((j) => ({ ok: true, value: j }));
    },
    { windowMs: 1, maxBatch: 8, maxQueue: 100 },
  );
  await assert.rejects(q2.push(1), /worker died/);
  assert.equal(await q2.push(2), 2);
});

test('BatchQueue: close() waits for accepted jobs and refuses new ones; onBatch sees each batch size', async () => {
  const sizes: number[] = [];
  const r = recorder(10);
  const q = new BatchQueue(r.process, { windowMs: 50, maxBatch: 8, maxQueue: 100 }, (n) => sizes.push(n));
  const jobs = [q.push(1), q.push(2)];
  await q.close();
  assert.deepEqual(await Promise.all(jobs), [10, 20]);
  await assert.rejects(q.push(3), QueueClosedError);
  assert.deepEqual(sizes, [2]);
});

test('BatchQueue: options are checked', () => {
  const p = async () => [];
  assert.throws(() => new BatchQueue(p, { windowMs: 1, maxBatch: 0, maxQueue: 1 }), /maxBatch/);
  assert.throws(() => new BatchQueue(p, { windowMs: 1, maxBatch: 1, maxQueue: 0 }), /maxQueue/);
  assert.throws(() => new BatchQueue(p, { windowMs: -1, maxBatch: 1, maxQueue: 1 }), /windowMs/);
});
