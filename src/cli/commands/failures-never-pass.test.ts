// Issue 10's probes, as tests: failures that used to look like success (exit 0, destroyed
// output, raw errors) and the CLI polish items. One test per numbered defect; the library-level
// ones are in src/train/divergence.test.ts (5), src/io/tensor-integrity.test.ts (11),
// src/train/bounds.test.ts (12, 21), src/facenet-input.test.ts (13), src/eval/lfw-run-check.test.ts
// and src/eval/roc-plot.test.ts (6, 14b).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../test-support/run-cli.js';
import { ZOO } from '../../test-support/shared.js';
import { mountTmpfs } from '../../test-support/tmpfs.js';
import { InceptionResnetV1 } from '../../models/inception-resnet-v1/model.js';
import { saveModel, loadModelFile } from '../../models/model-file.js';
import { manualSeed } from '../../tensor/index.js';
import { COMMANDS } from './index.js';
import { ProgressBar } from '../progress.js';
import { packageVersion } from '../main.js';
import { reportError } from '../define-command.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-issue10-'));
const samples = path.join(ZOO, 'samples');
const modelFile = path.join(dir, 'tiny.safetensors');
const lfw = path.join(dir, 'lfw');
const pairsFile = path.join(dir, 'pairs.txt');

/** Every file under `d` (relative), for "nothing else was left behind" checks. */
const listing = (d: string): string[] => readdirSync(d, { recursive: true }).map(String).sort();

before(async () => {
  process.env['FACENET_MIRROR'] = ZOO;
  process.env['FACENET_HOME'] = path.join(dir, 'home');
  manualSeed(10);
  const m = new InceptionResnetV1({ variant: 'inception-resnet-v1-tiny' });
  await saveModel(m, modelFile);
  m.dispose();
  // An LFW-like folder (<name>/<name>_NNNN.jpg) with 4 of the 40 pairs of pairs.txt.
  const put = (name: string, n: number, src: string) => {
    mkdirSync(path.join(lfw, name), { recursive: true });
    copyFileSync(path.join(samples, src), path.join(lfw, name, `${name}_${String(n).padStart(4, '0')}.jpg`));
  };
  put('Anthony_Hopkins', 1, 'Anthony_Hopkins_0001.jpg');
  put('Anthony_Hopkins', 2, 'Anthony_Hopkins_0002.jpg');
  put('Paul_Rudd', 1, 'paul_rudd.jpg');
  put('Kate_Siegel', 1, 'kate_siegel.jpg');
  put('Kate_Siegel', 2, 'kate_siegel.jpg');
  put('Shea_Whigham', 1, 'shea_whigham.jpg');
  const lines = ['20', 'Anthony_Hopkins\t1\t2', 'Anthony_Hopkins\t1\tPaul_Rudd\t1', 'Kate_Siegel\t1\t2', 'Kate_Siegel\t1\tShea_Whigham\t1'];
  for (let i = 0; i < 18; i++) lines.push(`Ghost_${i}\t1\t2`, `Ghost_${i}\t1\tPhantom_${i}\t1`);
  writeFileSync(pairsFile, lines.join('\n') + '\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('6: validate with most pairs skipped: pairs in the headline, exit 1, single-class warnings, no threshold stored', async () => {
  const model = path.join(dir, 'validate-model.safetensors');
  copyFileSync(modelFile, model);
  const r = await runCli(['validate', '--lfw-dir', lfw, '--pairs', pairsFile, '--model', model, '--nrof-folds', '2', '--save-threshold', '--plot', 'none', '--threads', '1']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^Pairs: 4 used, 36 skipped \(90\.0%\) of 40\nAccuracy: /);
  assert.match(r.stderr, /threshold NOT stored in .*: 36 of 40 pairs \(90\.0%\) were skipped, more than --max-skipped 0\.01/);
  assert.match(r.stderr, /validate: FAILED: 36 of 40 pairs \(90\.0%\) were skipped/);
  assert.equal((await loadModelFile(model)).facts.threshold, undefined, 'no threshold in the model');
  // --max-skipped lets the run count, and then the threshold is stored
  const ok = await runCli(['validate', '--lfw-dir', lfw, '--pairs', pairsFile, '--model', model, '--nrof-folds', '2', '--save-threshold', '--plot', 'none', '--max-skipped', '0.95', '--threads', '1']);
  assert.equal(ok.code, 0, ok.stderr);
  const stored = await loadModelFile(model);
  assert.equal(typeof stored.facts.threshold, 'number');
  stored.model.dispose();
  // the same 4 pairs in one block of 'same' then 'different': every fold is one kind -> warned, not stored
  const blocky = path.join(dir, 'pairs-blocky.txt');
  writeFileSync(blocky, ['2', 'Anthony_Hopkins\t1\t2', 'Kate_Siegel\t1\t2', 'Anthony_Hopkins\t1\tPaul_Rudd\t1', 'Kate_Siegel\t1\tShea_Whigham\t1'].join('\n') + '\n');
  const model2 = path.join(dir, 'validate-model-2.safetensors');
  copyFileSync(modelFile, model2);
  const one = await runCli(['validate', '--lfw-dir', lfw, '--pairs', blocky, '--model', model2, '--nrof-folds', '2', '--save-threshold', '--plot', 'none', '--threads', '1']);
  assert.equal(one.code, 1, one.stderr);
  assert.match(one.stderr, /warning: fold 1 holds only "same" pairs \(2\)/);
  assert.match(one.stderr, /warning: fold 2 holds only "different" pairs \(2\)/);
  assert.match(one.stderr, /threshold NOT stored .*2 of 2 folds hold a single kind of pair/);
  assert.equal((await loadModelFile(model2)).facts.threshold, undefined);
});

test("22: validate --embeddings takes embed's output and maps pair images to rows through the sidecar", async () => {
  const emb = path.join(dir, 'lfw-emb.npy');
  const e = await runCli(['embed', lfw, '--model', modelFile, '--out', emb, '--threads', '1']);
  assert.equal(e.code, 0, e.stderr);
  const r = await runCli(['validate', '--embeddings', emb, '--pairs', pairsFile, '--nrof-folds', '2', '--max-skipped', '0.95', '--plot', 'none', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const got = JSON.parse(r.stdout);
  assert.deepEqual(got.pairs, { used: 4, skipped: 36, total: 40, skippedShare: 0.9 });
  assert.equal(got.settings.pairsUsed, 4);
  // the default share fails the same run
  assert.equal((await runCli(['validate', '--embeddings', emb, '--pairs', pairsFile, '--nrof-folds', '2', '--plot', 'none'])).code, 1);
});

test('7: align exits 1 when nothing aligned, 3 when some images failed (documented); a failures.jsonl that cannot be written is an error', async () => {
  const bad = path.join(dir, 'align-bad');
  mkdirSync(path.join(bad, 'x'), { recursive: true });
  for (const n of ['a', 'b', 'c']) writeFileSync(path.join(bad, 'x', `${n}.jpg`), 'not an image');
  const none = await runCli(['align', bad, path.join(dir, 'align-bad-out'), '--threads', '1']);
  assert.equal(none.code, 1, none.stderr);
  assert.match(none.stderr, /align: FAILED: none of the 3 images could be aligned/);
  const help = await runCli(['align', '--help']);
  assert.match(help.stdout.replace(/\s+/g, ' '), /Exit codes: 0 every image aligned; 3 some images failed/);

  const mixed = path.join(dir, 'align-mixed');
  mkdirSync(path.join(mixed, 'p'), { recursive: true });
  copyFileSync(path.join(samples, 'Anthony_Hopkins_0001.jpg'), path.join(mixed, 'p', 'good.jpg'));
  writeFileSync(path.join(mixed, 'p', 'broken.jpg'), 'not an image');
  const out = path.join(dir, 'align-mixed-out');
  mkdirSync(path.join(out, 'failures.jsonl'), { recursive: true }); // a folder where the log goes: its write must fail
  const r = await runCli(['align', mixed, out, '--image-size', '96', '--threads', '1']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /align: ERROR: cannot write the failures log: .*failures\.jsonl is a folder where a file was expected.*the list of failed images on disk is incomplete/);
  rmSync(path.join(out, 'failures.jsonl'), { recursive: true });
  const again = await runCli(['align', mixed, out, '--image-size', '96', '--threads', '1']);
  assert.equal(again.code, 3, again.stderr);
  assert.match(again.stderr, /align: 1 of 2 images failed .*exit code 3/);
  assert.match(readFileSync(path.join(out, 'failures.jsonl'), 'utf8'), /broken\.jpg/);
});

test('7/8/14: on a full disk, align and embed fail with a clear ENOSPC message; embed keeps the earlier pair intact and leaves no temporary file', async () => {
  const fs = mountTmpfs(256);
  try {
    // embed: a good pair first, then fill the disk, then a bigger run
    const keep = path.join(fs.dir, 'keep.npy');
    const first = await runCli(['embed', path.join(samples, 'Anthony_Hopkins_0001.jpg'), '--model', modelFile, '--out', keep, '--threads', '1']);
    assert.equal(first.code, 0, first.stderr);
    const before = [readFileSync(keep), readFileSync(path.join(fs.dir, 'keep.json'))];
    fs.fill();
    const full = await runCli(['embed', samples, '--model', modelFile, '--out', keep, '--flip', 'concat', '--threads', '1']);
    assert.equal(full.code, 1, full.stderr);
    assert.match(full.stderr, /facenet embed: cannot write the embeddings .*keep\.npy .*no space left on the device holding .*keep\.npy.*\(ENOSPC\)/);
    assert.doesNotMatch(full.stderr, /unexpected error|    at /);
    assert.deepEqual([readFileSync(keep), readFileSync(path.join(fs.dir, 'keep.json'))], before, 'the earlier pair is untouched');
    assert.deepEqual(listing(fs.dir), ['filler', 'keep.json', 'keep.npy'], 'no temporary file left');
    // align onto the full disk: non-zero, and the reason is named
    rmSync(path.join(fs.dir, 'filler'));
    const input = path.join(dir, 'align-enospc');
    mkdirSync(path.join(input, 'p'), { recursive: true });
    for (let i = 0; i < 4; i++) copyFileSync(path.join(samples, 'Anthony_Hopkins_0001.jpg'), path.join(input, 'p', `img${i}.jpg`));
    const out = path.join(fs.dir, 'aligned');
    mkdirSync(out);
    writeFileSync(path.join(out, 'align-settings.json'), JSON.stringify({ imageSize: 160, margin: 44, mode: 'box', detectMultipleFaces: false }));
    fs.fill();
    const a = await runCli(['align', input, out, '--image-size', '160', '--threads', '1']);
    assert.notEqual(a.code, 0, a.stderr);
    assert.match(a.stderr, /no space left on the device/);
    assert.doesNotMatch(a.stderr, /unexpected error/);
  } finally {
    fs.unmount();
  }
});

test('8: a failed embed does not touch an earlier result (missing input: exit 1, files identical)', async () => {
  const keep = path.join(dir, 'keep.npy');
  assert.equal((await runCli(['embed', path.join(samples, 'paul_rudd.jpg'), '--model', modelFile, '--out', keep, '--threads', '1'])).code, 0);
  const side = JSON.parse(readFileSync(path.join(dir, 'keep.json'), 'utf8'));
  assert.equal(side.format, 'facenet-embeddings/1');
  assert.match(side.npySha256, /^[0-9a-f]{64}$/);
  const before = [readFileSync(keep), readFileSync(path.join(dir, 'keep.json'))];
  const r = await runCli(['embed', path.join(dir, 'missing.png'), '--model', modelFile, '--out', keep, '--threads', '1']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /none of the 1 images could be embedded; .*keep\.npy and .*keep\.json were not written/);
  assert.deepEqual([readFileSync(keep), readFileSync(path.join(dir, 'keep.json'))], before);
});

test('9: align resumed with another --image-size or --margin is refused unless --overwrite', async () => {
  const input = path.join(dir, 'align-settings-in');
  mkdirSync(path.join(input, 'p'), { recursive: true });
  copyFileSync(path.join(samples, 'Anthony_Hopkins_0001.jpg'), path.join(input, 'p', 'a.jpg'));
  const out = path.join(dir, 'align-settings-out');
  assert.equal((await runCli(['align', input, out, '--image-size', '96', '--margin', '20', '--threads', '1'])).code, 0);
  const r = await runCli(['align', input, out, '--image-size', '64', '--threads', '1']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /was aligned with other settings: --image-size 96 \(now 64\), --margin 20 \(now 44\); .*--overwrite to realign every image/);
  const o = await runCli(['align', input, out, '--image-size', '64', '--overwrite', '--json', '--threads', '1']);
  assert.equal(o.code, 0, o.stderr);
  assert.equal(JSON.parse(o.stdout).aligned, 1, 'realigned');
  assert.deepEqual(JSON.parse(readFileSync(path.join(out, 'align-settings.json'), 'utf8')), { imageSize: 64, margin: 44, mode: 'box', detectMultipleFaces: false });
});

test("10: a second align or train on the same folder / run name is refused, naming the holder's pid; a stale lock is taken over", async () => {
  const input = path.join(dir, 'align-settings-in');
  const out = path.join(dir, 'align-locked');
  mkdirSync(out, { recursive: true });
  const lock = (pid: number, what: string) => JSON.stringify({ pid, host: os.hostname(), since: '2026-12-01T00:00:00Z', what });
  writeFileSync(path.join(out, '.facenet-align.lock'), lock(1, 'facenet align')); // pid 1 is always alive
  const r = await runCli(['align', input, out, '--threads', '1']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /is in use by another facenet align \(pid 1 on .*\): wait for it to finish or stop it/);
  writeFileSync(path.join(out, '.facenet-align.lock'), lock(2 ** 22 + 12345, 'facenet align')); // no such process
  const stale = await runCli(['align', input, out, '--threads', '1']);
  assert.equal(stale.code, 0, stale.stderr);
  assert.equal(existsSync(path.join(out, '.facenet-align.lock')), false, 'released at the end');

  const runs = path.join(dir, 'runs');
  mkdirSync(path.join(runs, 'dup'), { recursive: true });
  writeFileSync(path.join(runs, 'dup', '.facenet-train.lock'), lock(1, 'facenet train'));
  const t = await runCli(['train', '--data-dir', lfw, '--logs-base-dir', runs, '--run-name', 'dup', '--model-variant', 'inception-resnet-v1-tiny', '--batch-size', '2']);
  assert.equal(t.code, 2, t.stderr);
  assert.match(t.stderr, /dup is in use by another facenet train \(pid 1 /);
});

test('14: a read-only run folder, a corrupt classifier, an unwritable --plot: one clear message with the path, checked before the work', async () => {
  const fs = mountTmpfs(64);
  try {
    mkdirSync(path.join(fs.dir, 'runs'));
    fs.readOnly();
    const t = await runCli(['train', '--data-dir', lfw, '--logs-base-dir', path.join(fs.dir, 'runs'), '--model-variant', 'inception-resnet-v1-tiny', '--batch-size', '2']);
    assert.equal(t.code, 1, t.stderr);
    assert.match(t.stderr, /facenet train: cannot create the run folder: .*runs\/\d{8}-\d{6}.* is on a read-only file system: choose an output folder on a writable disk \(EROFS\)/);
    assert.doesNotMatch(t.stderr, /unexpected error|    at /);
    const started = Date.now();
    const v = await runCli(['validate', '--lfw-dir', lfw, '--pairs', pairsFile, '--model', modelFile, '--plot', path.join(fs.dir, 'roc.svg'), '--threads', '1']);
    assert.equal(v.code, 1, v.stderr);
    assert.match(v.stderr, /facenet validate: cannot write --plot into .* is on a read-only file system/);
    assert.doesNotMatch(v.stderr, /embed LFW/, 'refused before embedding');
    assert.ok(Date.now() - started < 20_000);
  } finally {
    fs.unmount();
  }
  const clf = path.join(dir, 'corrupt-classifier.json');
  writeFileSync(clf, '{"kind": "svm", ');
  const c = await runCli(['classify', 'predict', path.join(samples, 'paul_rudd.jpg'), '--model', modelFile, '--classifier', clf]);
  assert.equal(c.code, 1);
  assert.match(c.stderr, /classifier .*corrupt-classifier\.json is not valid JSON .*train it again/);
  assert.doesNotMatch(c.stderr, /SyntaxError|unexpected error/);
  // a --plot in a missing folder: the folder is made; the report is printed; no stray temporary file
  const plotDir = path.join(dir, 'plots', 'deeper');
  const e = await runCli(['validate', '--embeddings', path.join(dir, 'lfw-emb.npy'), '--pairs', pairsFile, '--nrof-folds', '2', '--max-skipped', '1', '--plot', path.join(plotDir, 'roc.svg')]);
  assert.equal(e.code, 0, e.stderr);
  assert.match(e.stdout, /Accuracy: /);
  assert.deepEqual(readdirSync(plotDir), ['roc.svg']);
  assert.deepEqual(readdirSync(path.join(dir, 'plots')), ['deeper']);
});

test('12: train --batch-size 1000000 and --threads 1000 are clear errors (exit 2), not a crash or a 1000x slower run', async () => {
  const b = await runCli(['train', '--data-dir', lfw, '--batch-size', '1000000']);
  assert.equal(b.code, 2);
  assert.match(b.stderr, /--batch-size \(batchSize\) 1000000 does not fit in memory/);
  const t = await runCli(['train', '--data-dir', lfw, '--threads', '1000']);
  assert.equal(t.code, 2);
  assert.match(t.stderr, /--threads .*1000, more than the \d+ cores/);
});

test('15: every command that runs a network takes --threads, bounded by the cores', async () => {
  for (const name of ['detect', 'align', 'classify', 'compare', 'embed', 'train', 'validate']) {
    const help = await runCli([name, '--help']);
    assert.match(help.stdout, /--threads/, `${name} --help lists --threads`);
  }
  const r = await runCli(['embed', path.join(samples, 'paul_rudd.jpg'), '--model', modelFile, '--out', path.join(dir, 't.npy'), '--threads', '1000']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /threads: 1000 is more than the \d+ cores of this machine/);
});

test('17: facenet --version and facenet help CMD', async () => {
  const v = await runCli(['--version']);
  assert.equal(v.code, 0);
  assert.equal(v.stdout, `${JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).version}\n`);
  assert.equal(packageVersion(), v.stdout.trim());
  for (const name of Object.keys(COMMANDS).filter((n) => ['detect', 'embed', 'validate', 'train'].includes(n))) {
    const a = await runCli(['help', name]);
    const b = await runCli([name, '--help']);
    assert.equal(a.code, 0);
    assert.equal(a.stdout, b.stdout, `help ${name} is ${name} --help`);
  }
  assert.match((await runCli(['help'])).stdout, /facenet help <command>/);
});

test('18: detect --draw says where it wrote, and two inputs with the same file name do not overwrite each other', async () => {
  const a = path.join(dir, 'draw-a');
  const b = path.join(dir, 'draw-b');
  mkdirSync(a);
  mkdirSync(b);
  copyFileSync(path.join(samples, 'paul_rudd.jpg'), path.join(a, 'face.jpg'));
  copyFileSync(path.join(samples, 'kate_siegel.jpg'), path.join(b, 'face.jpg'));
  const drawn = path.join(dir, 'drawn');
  const r = await runCli(['detect', path.join(a, 'face.jpg'), path.join(b, 'face.jpg'), '--draw', drawn, '--json', '--threads', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readdirSync(drawn).sort(), ['face-2.png', 'face.png']);
  assert.match(r.stderr, new RegExp(`detect: drew 1 face of .*draw-a/face\\.jpg into ${drawn.replace(/[/\\.]/g, '\\$&')}/face\\.png`));
  assert.match(r.stderr, /draw-b\/face\.jpg into .*face-2\.png/);
});

test("19/23: embed's sidecar is named as its help says; photos that are not aligned crops get a warning", async () => {
  const help = await runCli(['embed', '--help']);
  assert.match(help.stdout.replace(/\s+/g, ' '), /output E\.npy; its sidecar E\.json/);
  const out = path.join(dir, 'photos.npy');
  const r = await runCli(['embed', path.join(samples, 'multiface.jpg'), path.join(samples, 'Anthony_Hopkins_0001.jpg'), '--model', modelFile, '--out', out, '--json', '--threads', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).json, path.join(dir, 'photos.json'));
  assert.ok(existsSync(path.join(dir, 'photos.json')));
  assert.match(r.stderr, /embed: 1 of 2 images are not square \(first: .*multiface\.jpg\): they look like photos, not aligned face crops.*facenet align IN OUT --image-size 96/);
});

test("20: the progress bar's first rate is not inflated by the step that was running when it was made, and a cut-off bar reads 'stopped'", () => {
  let now = 0;
  const lines: string[] = [];
  const stream = { write: (s: string) => (lines.push(s), true), isTTY: false } as unknown as NodeJS.WritableStream;
  const bar = new ProgressBar({ label: 'epoch 1/1', total: 1000, unit: 'img', stream, mode: 'plain', clock: () => now, initialDone: 32 });
  now = 1000;
  bar.update(64); // 32 images in the second after the bar was made
  now = 2000;
  bar.update(96);
  bar.finish();
  assert.equal(lines.at(-1), 'epoch 1/1 stopped: 96/1000 in 0:00:02 (32.0 img/s)\n');
});

test('21: train without --data-dir names the flag', async () => {
  const r = await runCli(['train']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--data-dir is required/);
  assert.doesNotMatch(r.stderr, /option dataDir/);
});

test('24: npm test runs node\'s test runner with the spec reporter (a readable summary: ℹ tests / pass / fail)', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
  assert.match(pkg.scripts['test']!, /^node --import tsx --test --test-reporter=spec /);
});

test('a command that needs a missing optional package says which one to install', () => {
  let text = '';
  const stream = { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream;
  const missing = Object.assign(new Error("Cannot find package 'better-sqlite3' imported from /app/node_modules/facenet/dist/gallery/sqlite-store.js"), { code: 'ERR_MODULE_NOT_FOUND' });
  assert.equal(reportError('gallery', missing, stream), 1);
  assert.equal(text, 'facenet gallery: this command needs the optional package better-sqlite3, which is not installed: run `npm install better-sqlite3` beside facenet\n');
  const eacces = Object.assign(new Error("EACCES: permission denied, open '/x/y.npy'"), { code: 'EACCES', path: '/x/y.npy' });
  text = '';
  assert.equal(reportError('embed', eacces, stream), 1);
  assert.match(text, /^facenet embed: permission denied for \/x\/y\.npy: check its owner and mode \(ls -ld \/x\/y\.npy\) or use a folder you can write to \(EACCES\)\n$/);
});
