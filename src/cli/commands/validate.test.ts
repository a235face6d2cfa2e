import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../test-support/run-cli.js';
import { FIXTURES, ZOO } from '../../test-support/shared.js';
import { writeNpy } from '../../io/npy.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-validate-'));
const embFile = path.join(dir, 'emb.npy');
const PAIRS = path.join(ZOO, 'lfw/pairs.txt');

test('validate --embeddings reproduces facenet on the fixture (squared L2 and angular, with subtract-mean)', async () => {
  const b = readFileSync(path.join(FIXTURES, 'lfw-protocol/embeddings-12000x128.f32'));
  await writeNpy(embFile, { dtype: 'float32', shape: [12000, 128], data: new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)) });
  const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'lfw-protocol/expected.json'), 'utf8'));
  const plot = path.join(dir, 'roc.svg');
  const r = await runCli(['validate', '--embeddings', embFile, '--pairs', PAIRS, '--json', '--plot', plot]);
  assert.equal(r.code, 0, r.stderr);
  const got = JSON.parse(r.stdout);
  const want = expected.cases.metric0_subtractmean0;
  assert.deepEqual(got.fold_accuracy, want.fold_accuracy);
  for (const k of ['accuracy_mean', 'accuracy_std', 'val', 'val_std', 'far', 'auc', 'eer']) {
    assert.ok(Math.abs(got[k] - want[k]) <= 1e-9, `${k}: ${got[k]} vs ${want[k]}`);
  }
  assert.ok(existsSync(plot) && readFileSync(plot, 'utf8').includes('<polyline'));
  assert.equal(got.settings.distanceMetric, 0);
  assert.equal(got.settings.pairsUsed, 6000);
  assert.equal(got.fold_accuracy.length, 10);
  // The same figures as the library parity test checks against expected.json (metric 0, no mean subtraction).
  const text = await runCli(['validate', '--embeddings', embFile, '--pairs', PAIRS, '--plot', 'none', '--distance-metric', '1', '--subtract-mean']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^Pairs: 6000 used, 0 skipped \(0\.0%\) of 6000\nAccuracy: 0\.\d{5}\+-0\.\d{5}\nValidation rate: .* @ FAR=0\.\d{5}\nArea Under Curve \(AUC\): 0\.\d{3}\nEqual Error Rate \(EER\): 0\.\d{3}\n/);
  assert.match(text.stdout, /distance metric 1 .*subtract mean: yes/);
  const want1 = expected.cases.metric1_subtractmean1;
  assert.ok(text.stdout.includes(`\nAccuracy: ${want1.accuracy_mean.toFixed(5)}+-${want1.accuracy_std.toFixed(5)}`), text.stdout);
});

test('validate: bad inputs are clear errors, not crashes', async () => {
  const short = path.join(dir, 'short.npy');
  await writeNpy(short, { dtype: 'float32', shape: [10, 4], data: new Float32Array(40) });
  let r = await runCli(['validate', '--embeddings', short, '--pairs', PAIRS, '--plot', 'none']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /has shape \[10,4\] but .*pairs.txt has 6000 pairs: expected \[12000, D\]/);

  const badPairs = path.join(dir, 'bad-pairs.txt');
  writeFileSync(badPairs, '1 2\nAlice 1 2\nBob x 3\n');
  r = await runCli(['validate', '--embeddings', short, '--pairs', badPairs, '--plot', 'none']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad-pairs\.txt:3/);

  r = await runCli(['validate', '--pairs', PAIRS]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /give --lfw-dir and --model/);

  r = await runCli(['validate', '--embeddings', path.join(dir, 'missing.npy'), '--pairs', PAIRS]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /missing\.npy/);

  r = await runCli(['validate', '--embeddings', embFile, '--pairs', PAIRS, '--bogus']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option --bogus/);
});
