import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../main.js';
import { writeSyntheticDataset } from '../../data/synthetic-dataset.js';
import { givenFlags, trainCommand } from './train.js';

let tmp: string;
let dataDir: string;

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cli-train-'));
  dataDir = path.join(tmp, 'faces');
  await writeSyntheticDataset(dataDir, { classes: 3, imagesPerClass: 3, size: 32 });
});
after(() => rmSync(tmp, { recursive: true, force: true }));

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({ write(chunk, _enc, done) { chunks.push(String(chunk)); done(); } });
  return { stream, text: () => chunks.join('') };
}

async function run(argv: string[], signal = new AbortController().signal) {
  const out = sink();
  const err = sink();
  const code = await main(['train', ...argv], { stdout: out.stream, stderr: err.stream, signal });
  return { code, stdout: out.text(), stderr: err.text() };
}

test('--help lists facenet\'s options in kebab-case', async () => {
  const r = await run(['--help']);
  assert.equal(r.code, 0);
  for (const flag of ['--data-dir', '--lfw-every-n-epochs', '--min-nrof-val-images-per-class', '--use-fixed-image-standardization', '--head softmax|arcface', '--max-minutes', '--resume']) {
    assert.ok(r.stdout.includes(flag), flag);
  }
});

test('flags override the config file, which overrides the defaults; --json prints the summary', async () => {
  const cfg = path.join(tmp, 'train.json');
  writeFileSync(cfg, JSON.stringify({ data_dir: 'faces', model_variant: 'inception-resnet-v1-tiny', image_size: 80, batch_size: 6, epoch_size: 3, max_nrof_epochs: 1, random_flip: true, threads: 1 }));
  const r = await run(['--config', cfg, '--epoch_size', '2', '--no-random-flip', '--logs-base-dir', path.join(tmp, 'runs'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { steps: number; runDir: string; stopReason: string };
  assert.equal(summary.steps, 2);
  assert.equal(summary.stopReason, 'max-epochs');
  const saved = JSON.parse(readFileSync(path.join(summary.runDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(saved['batchSize'], 6);
  assert.equal(saved['epochSize'], 2);
  assert.equal(saved['randomFlip'], false);
  assert.equal(saved['optimizer'], 'ADAGRAD');
  assert.ok(r.stderr.includes('run folder'));
});

test('an interrupt (SIGINT) ends with a checkpoint and exit code 130; mistakes exit 2', async () => {
  const r = await run(['--data-dir', dataDir, '--model-variant', 'inception-resnet-v1-tiny', '--image-size', '80', '--batch-size', '6', '--threads', '1', '--logs-base-dir', path.join(tmp, 'runs')], AbortSignal.abort());
  assert.equal(r.code, 130);
  assert.ok(r.stdout.includes('facenet train --resume'), r.stdout);
  const bad = await run(['--data-dir', dataDir, '--optimizer', 'SGD']);
  assert.equal(bad.code, 2);
  assert.ok(bad.stderr.includes('ADAGRAD'));
  const missing = await run(['--epoch-size', '2']);
  assert.equal(missing.code, 2);
  assert.ok(missing.stderr.includes('--data-dir'), missing.stderr);
});

test('givenFlags sees long, snake_case, --no- and --flag=value spellings', () => {
  const g = givenFlags(['--random_flip', '--no-channels-last', '--batch-size=3', 'x', '--', '--seed'], trainCommand.spec.flags);
  assert.deepEqual([...g].sort(), ['batch_size', 'channels_last', 'random_flip']);
});
