import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, readdirSync, rmSync, existsSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { readArchiveFiles } from '../test-support/lfw-archive.js';
import { ZOO } from '../test-support/shared.js';
import { MtcnnDetector } from '../detect/index.js';
import { alignDataset } from './align-dataset.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-align-'));
const input = path.join(dir, 'in');
let detector: MtcnnDetector;

const LFW = ['Shirley_Jones/Shirley_Jones_0001.jpg', 'Bill_Paxton/Bill_Paxton_0001.jpg', 'Don_Henley/Don_Henley_0001.jpg'];

before(async () => {
  detector = await MtcnnDetector.load({ home: path.join(dir, 'home'), mirror: ZOO });
  const files = await readArchiveFiles(path.join(ZOO, 'lfw', 'lfw-deepfunneled.tgz'), LFW.map((p) => `lfw-deepfunneled/${p}`));
  for (const p of LFW) {
    mkdirSync(path.join(input, path.dirname(p)), { recursive: true });
    writeFileSync(path.join(input, p), files.get(`lfw-deepfunneled/${p}`)!);
  }
  const bad = path.join(input, 'Bad');
  mkdirSync(bad);
  writeFileSync(path.join(bad, 'not-an-image.jpg'), 'text, not pixels\n');
  writeFileSync(path.join(bad, 'zero-bytes.jpg'), '');
  await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } }).png().toFile(path.join(bad, 'one-pixel.png'));
  await sharp({ create: { width: 250, height: 250, channels: 3, background: '#777' } }).png().toFile(path.join(bad, 'blank.png'));
  mkdirSync(path.join(input, 'Empty'));
});
after(() => {
  detector.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const lines = (file: string): string[] => readFileSync(file, 'utf8').split('\n').filter(Boolean);

test("alignDataset: facenet's outputs, bounding-box log and failures; a rerun skips what is done", async () => {
  const out = path.join(dir, 'out');
  const s = await alignDataset(detector, input, out);
  assert.deepEqual(
    { images: s.images, processed: s.processed, aligned: s.aligned, faces: s.faces, noFace: s.noFace, failed: s.failed, skipped: s.skipped },
    { images: 7, processed: 7, aligned: 3, faces: 3, noFace: 2, failed: 2, skipped: 0 },
  );
  assert.deepEqual(s.emptyClasses, ['Empty']);
  for (const p of LFW) {
    const png = path.join(out, p.replace(/\.jpg$/, '.png'));
    const meta = await sharp(png).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 182, 182]);
  }
  const log = lines(s.boundingBoxesFile);
  assert.match(path.basename(s.boundingBoxesFile), /^bounding_boxes_\d{5}\.txt$/);
  assert.equal(log.length, 5); // 3 faces + 2 images without a face (path alone); unreadable files get no line
  assert.ok(log.includes(`${path.join(out, 'Shirley_Jones', 'Shirley_Jones_0001.png')} 59 42 206 215`), log.join('\n'));
  assert.ok(log.includes(path.join(out, 'Bad', 'blank.png')));
  const failures = lines(s.failuresFile).map((l) => JSON.parse(l) as { file: string; reason: string; message: string });
  assert.deepEqual(failures.map((f) => [path.basename(f.file), f.reason]).sort(), [
    ['blank.png', 'no face'],
    ['not-an-image.jpg', 'unreadable'],
    ['one-pixel.png', 'no face'],
    ['zero-bytes.jpg', 'unreadable'],
  ]);
  assert.match(failures.find((f) => f.file.endsWith('zero-bytes.jpg'))!.message, /empty \(0 bytes\)/);
  // Bill_Paxton_0001 has two faces; facenet keeps the large central one (box ~ [72, 62, 190, 182]).
  const bill = log.find((l) => l.includes('Bill_Paxton_0001.png'))!.split(' ').slice(1).map(Number);
  assert.ok(bill[0]! > 30 && bill[2]! < 230, bill.join(' '));

  const again = await alignDataset(detector, input, out);
  assert.deepEqual([again.skipped, again.processed, again.aligned], [3, 4, 0]);
  assert.equal(lines(again.failuresFile).length, 4);
  unlinkSync(path.join(out, 'Don_Henley', 'Don_Henley_0001.png'));
  const third = await alignDataset(detector, input, out);
  assert.deepEqual([third.skipped, third.aligned], [2, 1]);
  assert.ok(!readdirSync(path.join(out, 'Don_Henley')).some((f) => f.includes('.tmp')));
});

test('alignDataset: every face with detectMultipleFaces; similarity warp at the requested size', async () => {
  const out = path.join(dir, 'multi');
  const s = await alignDataset(detector, input, out, { detectMultipleFaces: true, mode: 'similarity', imageSize: 112 });
  assert.equal(s.faces, 5); // Shirley 1, Bill 2, Don 2
  assert.deepEqual(readdirSync(path.join(out, 'Bill_Paxton')).sort(), ['Bill_Paxton_0001_0.png', 'Bill_Paxton_0001_1.png']);
  const meta = await sharp(path.join(out, 'Bill_Paxton', 'Bill_Paxton_0001_1.png')).metadata();
  assert.deepEqual([meta.width, meta.height], [112, 112]);
  const again = await alignDataset(detector, input, out, { detectMultipleFaces: true, mode: 'similarity', imageSize: 112 });
  assert.equal(again.skipped, 3);
});

test('alignDataset: an abort stops between images, leaves no partial file, and the rerun completes', async () => {
  const out = path.join(dir, 'abort');
  const ac = new AbortController();
  const s = await alignDataset(detector, input, out, {
    signal: ac.signal,
    onProgress: (p) => {
      if (p.aligned >= 1) ac.abort();
    },
  });
  assert.equal(s.interrupted, true);
  assert.ok(s.processed < 7 && s.aligned >= 1, JSON.stringify(s));
  const written = readdirSync(out, { recursive: true }).map(String);
  assert.ok(!written.some((f) => f.includes('.tmp')), written.join(', '));
  const rest = await alignDataset(detector, input, out);
  assert.equal(rest.interrupted, false);
  assert.equal(rest.skipped + rest.processed, 7);
  assert.equal(rest.skipped, s.aligned);
});

test('alignDataset: an unwritable output is a clear error; an unwritable class folder fails only its images', async () => {
  const file = path.join(dir, 'a-file');
  writeFileSync(file, 'x');
  await assert.rejects(alignDataset(detector, input, path.join(file, 'out')), /cannot create the output folder .*a-file\/out/);
  const out = path.join(dir, 'partly');
  mkdirSync(out);
  writeFileSync(path.join(out, 'Shirley_Jones'), 'a file where the class folder should go');
  const s = await alignDataset(detector, input, out);
  assert.equal(s.aligned, 2);
  const failures = lines(s.failuresFile).map((l) => JSON.parse(l) as { file: string; reason: string });
  assert.deepEqual(failures.filter((f) => f.reason === 'write failed').map((f) => path.basename(f.file)), ['Shirley_Jones_0001.jpg']);
  await assert.rejects(alignDataset(detector, path.join(dir, 'in', 'Empty'), path.join(dir, 'x')), /found no images in dataset folder/);
  assert.ok(!existsSync(path.join(dir, 'x')));
});
