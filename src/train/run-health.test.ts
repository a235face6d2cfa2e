import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunHealth } from './run-health.js';

test('unreadable images are named once, then only counted; unusable batches in a row stop the run', () => {
  const warnings: string[] = [];
  const h = new RunHealth((m) => warnings.push(m), '/data');
  h.noteFailures([{ path: '/data/a/1.png', reason: '/data/a/1.png: bad' }]);
  h.noteFailures([{ path: '/data/a/1.png', reason: '/data/a/1.png: bad' }]);
  assert.deepEqual(warnings, ['skipped unreadable image: /data/a/1.png: bad']);
  for (let i = 0; i < 30; i++) h.noteFailures([{ path: `/data/b/${i}.png`, reason: 'bad' }]);
  assert.equal(warnings.length, 21);
  assert.match(warnings[20]!, /no longer listed/);
  for (let i = 0; i < 4; i++) h.noteBatch(false);
  h.noteBatch(true);
  for (let i = 0; i < 4; i++) h.noteBatch(false);
  assert.throws(() => h.noteBatch(false), /5 batches in a row .* \/data/);
});

test('steps far slower than the fastest, several in a row, suggest fewer threads (once)', () => {
  const warnings: string[] = [];
  const h = new RunHealth((m) => warnings.push(m), '/data');
  for (const ms of [50, 52, 900, 55, 900, 900, 900, 900, 900]) h.noteStep(ms, 2);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /--threads 1/);
  const single = new RunHealth((m) => warnings.push(m), '/data');
  for (const ms of [50, 900, 900, 900]) single.noteStep(ms, 1);
  assert.equal(warnings.length, 1);
});
