import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { runCli } from '../../test-support/run-cli.js';
import { FIXTURES, ZOO } from '../../test-support/shared.js';
import { iou } from '../../math/boxes.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-detect-cli-'));
process.env['FACENET_HOME'] = path.join(dir, 'home');
process.env['FACENET_MIRROR'] = ZOO;
after(() => rmSync(dir, { recursive: true, force: true }));

const SAMPLES = path.join(ZOO, 'samples');

test('detect --json: the schema of detections.json, values matching the reference; --draw writes annotated copies', async () => {
  const files = ['multiface.jpg', 'Anthony_Hopkins_0001.jpg'].map((f) => path.join(SAMPLES, f));
  const drawDir = path.join(dir, 'drawn');
  const r = await runCli(['detect', ...files, '--json', '--draw', drawDir]);
  assert.equal(r.code, 0, r.stderr);
  const got = JSON.parse(r.stdout) as { image: string; width: number; height: number; faces: { box: number[]; prob: number; landmarks: number[][] }[] }[];
  const ref = JSON.parse(readFileSync(path.join(FIXTURES, 'mtcnn', 'detections.json'), 'utf8')).images as typeof got;
  assert.equal(got.length, 2);
  for (const g of got) {
    assert.deepEqual(Object.keys(g).sort(), ['faces', 'height', 'image', 'width']);
    const want = ref.find((x) => x.image === `samples/${path.basename(g.image)}`)!;
    assert.deepEqual([g.width, g.height, g.faces.length], [want.width, want.height, want.faces.length]);
    g.faces.forEach((f, k) => {
      assert.deepEqual(Object.keys(f).sort(), ['box', 'landmarks', 'prob']);
      assert.equal(f.landmarks.length, 5);
      assert.ok(iou(f.box, want.faces[k]!.box) > 0.999);
      assert.ok(Math.abs(f.prob - want.faces[k]!.prob) < 1e-4);
    });
  }
  for (const name of ['multiface.png', 'Anthony_Hopkins_0001.png']) {
    const meta = await sharp(path.join(drawDir, name)).metadata();
    assert.equal(meta.format, 'png');
  }
  const table = await runCli(['detect', files[1]!]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /Anthony_Hopkins_0001\.jpg {2}250x250 {2}1 face\n +# +prob +x1 +y1 +x2 +y2 +left eye/);
});

test('detect: bad inputs are per-file errors and the other images still get their result', async () => {
  const bad = path.join(dir, 'bad');
  mkdirSync(bad);
  writeFileSync(path.join(bad, 'not-an-image.jpg'), 'hello, I am text\n');
  writeFileSync(path.join(bad, 'empty.jpg'), '');
  await sharp({ create: { width: 1, height: 1, channels: 3, background: '#808080' } }).png().toFile(path.join(bad, 'one-pixel.png'));
  const emptyFolder = path.join(dir, 'no-images');
  mkdirSync(emptyFolder);
  const r = await runCli([
    'detect',
    '--json',
    path.join(bad, 'not-an-image.jpg'),
    path.join(bad, 'empty.jpg'),
    path.join(bad, 'one-pixel.png'),
    path.join(dir, 'missing.jpg'),
    emptyFolder,
    path.join(SAMPLES, 'Anthony_Hopkins_0002.jpg'),
  ]);
  assert.equal(r.code, 1);
  const got = JSON.parse(r.stdout) as { image: string; faces: unknown[] }[];
  assert.deepEqual(
    got.map((g) => [path.basename(g.image), g.faces.length]),
    [['one-pixel.png', 0], ['Anthony_Hopkins_0002.jpg', 1]],
  );
  assert.match(r.stderr, /not-an-image\.jpg: not a readable image/);
  assert.match(r.stderr, /empty\.jpg: the file is empty \(0 bytes\)/);
  assert.match(r.stderr, /image file not found: .*missing\.jpg/);
  assert.match(r.stderr, /no-images: folder holds no images/);
  const opts = await runCli(['detect', '--thresholds', '0.6,0.7', path.join(SAMPLES, 'Anthony_Hopkins_0002.jpg')]);
  assert.equal(opts.code, 2);
  assert.match(opts.stderr, /thresholds must be three numbers/);
});

test('detect: a 10000x10000 image gives a result', async () => {
  const big = path.join(dir, 'big.jpg');
  await sharp({ create: { width: 10000, height: 10000, channels: 3, background: '#6a6a6a' } }).jpeg().toFile(big);
  // --min-face-size 100 keeps this test short (the pyramid starts at 1200x1200). With the default 20
  // the same image takes ~17 s and ~3 GB here (P-Net runs on stripes of large levels).
  const r = await runCli(['detect', '--json', '--min-face-size', '100', big]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [{ image: big, width: 10000, height: 10000, faces: [] }]);
  assert.ok(!existsSync(path.join(dir, 'drawn-big')));
});
