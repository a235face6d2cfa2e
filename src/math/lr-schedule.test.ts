import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { isStopRate, learningRateAt, LR_STOP, parseLrSchedule, staircaseDecay } from './lr-schedule.js';
import { readLrSchedule } from '../io/lr-schedule-file.js';
import { fileURLToPath } from 'node:url';

// shared/ lies beside the repository (here /work/shared; in CI beside the clone).
const SHARED = process.env.FACENET_SHARED ?? fileURLToPath(new URL('../../../shared/', import.meta.url));
const DATA = join(SHARED, 'zoo', 'facenet-data');

test('casia classifier schedule', async () => {
  const s = await readLrSchedule(join(DATA, 'learning_rate_schedule_classifier_casia.txt'));
  assert.deepEqual(s.entries.map((e) => [e.epoch, e.learningRate, e.line]), [[0, 0.05, 3], [60, 0.005, 4], [80, 0.0005, 5], [91, -1, 6]]);
  assert.equal(learningRateAt(s, 0), 0.05);
  assert.equal(learningRateAt(s, 59), 0.05);
  assert.equal(learningRateAt(s, 60), 0.005);
  assert.equal(learningRateAt(s, 90), 0.0005);
  assert.equal(learningRateAt(s, 91), LR_STOP);
  assert.equal(learningRateAt(s, 500), LR_STOP);
  assert.ok(isStopRate(learningRateAt(s, 91)));
  assert.ok(!isStopRate(learningRateAt(s, 90)));
});

test('the other three schedule files', async () => {
  const vgg = await readLrSchedule(join(DATA, 'learning_rate_schedule_classifier_vggface2.txt'));
  assert.deepEqual([0, 99, 100, 199, 200, 275, 276].map((e) => learningRateAt(vgg, e)), [0.05, 0.05, 0.005, 0.005, 0.0005, 0.0005, -1]);
  const ms = await readLrSchedule(join(DATA, 'learning_rate_schedule_classifier_msceleb.txt'));
  assert.deepEqual([0, 150, 180, 250, 251, 10000].map((e) => learningRateAt(ms, e)), [0.1, 0.01, 0.001, 0.001, 0.0001, 0.0001]);
  const tl = await readLrSchedule(join(DATA, 'learning_rate_retrain_tripletloss.txt'));
  assert.deepEqual([0, 299, 300, 400, 999, 1000].map((e) => learningRateAt(tl, e)), [0.1, 0.1, 0.01, 0.001, 0.001, 0.0001]);
});

test('comments, blank lines, "-" and fractional epochs', () => {
  const s = parseLrSchedule('# head\n\n0: 0.1 # start\n  10:1e-2\n\n20: -\n', 'x.txt');
  assert.deepEqual(s.entries.map((e) => [e.epoch, e.learningRate, e.line]), [[0, 0.1, 3], [10, 0.01, 4], [20, -1, 6]]);
  assert.equal(learningRateAt(s, 9.5), 0.1);
});

test('errors name the file and line', () => {
  assert.throws(() => parseLrSchedule('0: 0.1\nten: 0.01\n', 's.txt'), (e: Error & { code?: string }) => e.code === 'BAD_FILE' && e.message.startsWith('s.txt:2: '));
  assert.throws(() => parseLrSchedule('0: 0.1\n5 0.01\n', 's.txt'), /s\.txt:2: /);
  assert.throws(() => parseLrSchedule('0: abc\n', 's.txt'), /s\.txt:1: learning rate/);
  assert.throws(() => parseLrSchedule('10: 0.1\n5: 0.01\n', 's.txt'), /s\.txt:2: epoch 5 does not come after epoch 10 of line 1/);
  assert.throws(() => parseLrSchedule('# nothing\n', 's.txt'), { code: 'BAD_FILE' });
  assert.throws(() => learningRateAt(parseLrSchedule('5: 0.1'), 4), { code: 'BAD_ARGUMENT' });
});

test('a missing schedule file is NOT_FOUND', async () => {
  await assert.rejects(readLrSchedule(join(DATA, 'no-such-schedule.txt')), { code: 'NOT_FOUND' });
});

test('staircase exponential decay', () => {
  assert.equal(staircaseDecay(0.1, 0.5, 10, 25), 0.025);
  assert.equal(staircaseDecay(0.1, 0.5, 10, 9.99), 0.1);
  assert.equal(staircaseDecay(0.1, 0.5, 10, 10), 0.05);
  assert.equal(staircaseDecay(0.1, 1.0, 100, 250), 0.1); // facenet's default factor 1.0
  assert.throws(() => staircaseDecay(0.1, 0.5, 0, 1), { code: 'BAD_ARGUMENT' });
});
