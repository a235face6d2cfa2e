import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { FacenetError } from '../errors.js';
import { cropImage, decodeImage, decodeImageFile, decodeImageFileFast, encodePng, resizeBilinear, type RgbImage } from './image.js';

// shared/ lies beside the repository (here /work/shared; in CI beside the clone).
const SHARED = process.env.FACENET_SHARED ?? fileURLToPath(new URL('../../../shared/', import.meta.url));
const SAMPLES = path.join(SHARED, 'zoo', 'samples');
let dir = '';

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'facenet-image-test-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function isFacenetError(code: string, ...fragments: string[]) {
  return (err: unknown) => {
    assert.ok(err instanceof FacenetError, `expected FacenetError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    for (const f of fragments) assert.ok(err.message.includes(f), `message '${err.message}' should mention '${f}'`);
    return true;
  };
}

function pixel(img: RgbImage, x: number, y: number): number[] {
  const i = (y * img.width + x) * 3;
  return [img.data[i], img.data[i + 1], img.data[i + 2]] as number[];
}

test('decodes every sample JPEG at its stored size', async () => {
  const expected: Record<string, [number, number]> = {
    'Anthony_Hopkins_0001.jpg': [250, 250],
    'Anthony_Hopkins_0002.jpg': [250, 250],
    'angelina_jolie.jpg': [1665, 2048],
    'kate_siegel.jpg': [1125, 1612],
    'multiface.jpg': [1200, 630],
    'paul_rudd.jpg': [1638, 2048],
    'shea_whigham.jpg': [2048, 1991],
  };
  const files = (await readdir(SAMPLES)).filter((f) => f.endsWith('.jpg')).sort();
  assert.deepEqual(files, Object.keys(expected).sort());
  for (const f of files) {
    const img = await decodeImage(path.join(SAMPLES, f));
    assert.deepEqual([img.width, img.height], expected[f], f);
    assert.equal(img.data.length, img.width * img.height * 3);
    assert.equal(img.source, path.join(SAMPLES, f));
  }
});

test('Buffer input decodes the same pixels as the path', async () => {
  const file = path.join(SAMPLES, 'Anthony_Hopkins_0001.jpg');
  const a = await decodeImageFile(file);
  const b = await decodeImage(await readFile(file), { name: 'hopkins.jpg' });
  assert.equal(b.source, 'hopkins.jpg');
  assert.deepEqual(Buffer.from(a.data), Buffer.from(b.data));
  assert.equal((await decodeImage(await readFile(file))).source, '<buffer>');
});

test('the training entry point (decodeImageFileFast) gives the same pixels as decodeImageFile on every sample image', async () => {
  // Before issue 9 the training decoder converted through embedded ICC profiles: 85% of
  // paul_rudd.jpg's bytes differed, by up to 28 levels, from what embed and validate saw.
  const files = (await readdir(SAMPLES)).sort();
  assert.ok(files.length >= 7, `expected the sample images in ${SAMPLES}`);
  for (const f of files) {
    const file = path.join(SAMPLES, f);
    const a = await decodeImageFile(file);
    const b = await decodeImageFileFast(file);
    assert.deepEqual([b.width, b.height, b.source], [a.width, a.height, a.source], f);
    assert.ok(Buffer.from(a.data).equals(Buffer.from(b.data)), `${f}: pixels differ between the two entry points`);
  }
  // The profile matters on this sample: converting through it gives other pixels.
  const rudd = path.join(SAMPLES, 'paul_rudd.jpg');
  const withIcc = await sharp(rudd).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer();
  assert.ok(!withIcc.equals(Buffer.from((await decodeImageFileFast(rudd)).data)), 'paul_rudd.jpg should carry a colour profile that changes pixels');
});

test('decodeImageFileFast: a missing file is NOT_FOUND, garbage is BAD_IMAGE, both naming the file', async () => {
  await assert.rejects(decodeImageFileFast(path.join(dir, 'nope.jpg')), isFacenetError('NOT_FOUND', 'nope.jpg'));
  const junk = path.join(dir, 'junk.jpg');
  await writeFile(junk, 'not an image');
  await assert.rejects(decodeImageFileFast(junk), isFacenetError('BAD_IMAGE', 'junk.jpg', 'cannot decode image'));
});

test('greyscale PNG is expanded to RGB', async () => {
  const file = path.join(dir, 'grey.png');
  await sharp(Buffer.from([0, 50, 100, 150, 200, 250]), { raw: { width: 3, height: 2, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toFile(file);
  assert.equal((await sharp(file).metadata()).channels, 1, 'fixture must really be single-channel');
  const img = await decodeImage(file);
  assert.deepEqual([img.width, img.height], [3, 2]);
  assert.deepEqual(pixel(img, 1, 0), [50, 50, 50]);
  assert.deepEqual(pixel(img, 2, 1), [250, 250, 250]);
});

test('RGBA PNG: alpha is dropped, colour under transparency kept (facenet img[:, :, 0:3])', async () => {
  const file = path.join(dir, 'rgba.png');
  await sharp(Buffer.from([10, 20, 30, 0, 40, 50, 60, 128, 70, 80, 90, 255]), { raw: { width: 3, height: 1, channels: 4 } })
    .png()
    .toFile(file);
  const img = await decodeImage(file);
  assert.deepEqual(Array.from(img.data), [10, 20, 30, 40, 50, 60, 70, 80, 90]);
});

test('GIF decodes (first frame) to RGB', async () => {
  const file = path.join(dir, 'img.gif');
  await sharp({ create: { width: 8, height: 5, channels: 3, background: { r: 255, g: 0, b: 0 } } }).gif().toFile(file);
  const img = await decodeImage(file);
  assert.deepEqual([img.width, img.height, img.data.length], [8, 5, 8 * 5 * 3]);
  assert.deepEqual(pixel(img, 3, 2), [255, 0, 0]);
});

test('WebP and TIFF decode', async () => {
  for (const ext of ['webp', 'tiff'] as const) {
    const file = path.join(dir, `img.${ext}`);
    await sharp({ create: { width: 6, height: 4, channels: 3, background: { r: 0, g: 128, b: 255 } } })
      .toFormat(ext, { quality: 100, lossless: true })
      .toFile(file);
    const img = await decodeImage(file);
    assert.deepEqual([img.width, img.height], [6, 4], ext);
    assert.deepEqual(pixel(img, 0, 0), [0, 128, 255], ext);
  }
});

test('16-bit PNG is reduced to 8 bits per channel', async () => {
  const file = path.join(dir, 'rgb16.png');
  await sharp({ create: { width: 4, height: 3, channels: 3, background: { r: 10, g: 200, b: 30 } } })
    .toColourspace('rgb16')
    .png()
    .toFile(file);
  assert.equal((await sharp(file).metadata()).depth, 'ushort');
  const img = await decodeImage(file);
  assert.equal(img.data.length, 4 * 3 * 3);
  assert.deepEqual(pixel(img, 2, 1), [10, 200, 30]);
});

test('EXIF orientation 6 is applied: width and height swap', async () => {
  const file = path.join(dir, 'rotated.jpg');
  // Left half black, right half white, stored 40x20 with "rotate 90 CW to display".
  const raw = Buffer.alloc(40 * 20 * 3);
  for (let y = 0; y < 20; y++) for (let x = 20; x < 40; x++) raw.fill(255, (y * 40 + x) * 3, (y * 40 + x) * 3 + 3);
  await sharp(raw, { raw: { width: 40, height: 20, channels: 3 } }).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toFile(file);
  assert.equal((await sharp(file).metadata()).orientation, 6);
  const img = await decodeImage(file);
  assert.deepEqual([img.width, img.height], [20, 40]);
  // After a 90 degree clockwise turn the stored right half (white) is at the bottom.
  assert.ok((pixel(img, 10, 35)[0] as number) > 200);
  assert.ok((pixel(img, 10, 5)[0] as number) < 50);
});

test('a 10000x10000 image decodes within the default pixel limit', async () => {
  const file = path.join(dir, 'huge.png');
  await sharp({ create: { width: 10000, height: 10000, channels: 3, background: { r: 1, g: 2, b: 3 } } })
    .png({ compressionLevel: 1 })
    .toFile(file);
  const img = await decodeImage(file);
  assert.deepEqual([img.width, img.height, img.data.length], [10000, 10000, 300_000_000]);
  assert.deepEqual(pixel(img, 9999, 9999), [1, 2, 3]);
});

/** A PNG whose header claims width x height but whose data is one tiny zlib stream: a bomb. */
function bombPng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(width * 3 + 1))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

test('a decompression bomb above the pixel limit is a clear BAD_IMAGE', async () => {
  const file = path.join(dir, 'bomb.png');
  await writeFile(file, bombPng(30000, 30000));
  await assert.rejects(decodeImage(file), isFacenetError('BAD_IMAGE', file, '30000x30000', 'limit'));
  // The limit is configurable.
  await assert.rejects(
    decodeImage(path.join(SAMPLES, 'multiface.jpg'), { maxPixels: 1000 }),
    isFacenetError('BAD_IMAGE', 'multiface.jpg', '1200x630', '1000'),
  );
});

test('bad inputs give FacenetErrors naming the file', async () => {
  const empty = path.join(dir, 'empty.jpg');
  await writeFile(empty, Buffer.alloc(0));
  await assert.rejects(decodeImage(empty), isFacenetError('BAD_IMAGE', empty, 'empty'));

  const text = path.join(dir, 'notes.jpg');
  await writeFile(text, 'this is not an image at all\n');
  await assert.rejects(decodeImage(text), isFacenetError('BAD_IMAGE', text, 'not a readable image'));

  const jpg = await readFile(path.join(SAMPLES, 'Anthony_Hopkins_0001.jpg'));
  const truncated = path.join(dir, 'truncated.jpg');
  await writeFile(truncated, jpg.subarray(0, jpg.length >> 1));
  await assert.rejects(decodeImage(truncated), isFacenetError('BAD_IMAGE', truncated));

  const missing = path.join(dir, 'no-such-file.png');
  await assert.rejects(decodeImage(missing), isFacenetError('NOT_FOUND', missing));

  await assert.rejects(decodeImage(dir), isFacenetError('BAD_ARGUMENT', 'directory'));

  const svg = path.join(dir, 'shape.svg');
  await writeFile(svg, '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>');
  await assert.rejects(decodeImage(svg), isFacenetError('BAD_IMAGE', svg, "'svg'"));
});

test('raw RGB input is validated and passed through', async () => {
  const data = new Uint8Array(2 * 2 * 3).fill(7);
  const img = await decodeImage({ data, width: 2, height: 2, channels: 3 });
  assert.equal(img.data, data);
  assert.equal(img.source, '<raw pixels>');
  await assert.rejects(decodeImage({ data, width: 3, height: 2, channels: 3 }), isFacenetError('BAD_ARGUMENT', '18 bytes'));
});

test('encodePng writes atomically and round-trips pixels', async () => {
  const data = new Uint8Array(5 * 3 * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37) & 255;
  const img: RgbImage = { width: 5, height: 3, data, source: 'test' };
  const file = path.join(dir, 'out', 'nested', 'x.png');
  await encodePng(img, file);
  await encodePng(img, file); // overwrite in place
  const back = await decodeImage(file);
  assert.deepEqual(Buffer.from(back.data), Buffer.from(data));
  assert.deepEqual(await readdir(path.dirname(file)), ['x.png'], 'no temporary file left behind');
  await assert.rejects(encodePng({ ...img, width: 6 }, file), isFacenetError('BAD_ARGUMENT'));
});

test('resizeBilinear: exact target size, flat colour stays flat, halves average', async () => {
  const flat: RgbImage = { width: 10, height: 7, data: new Uint8Array(10 * 7 * 3).fill(90), source: 'flat' };
  const up = await resizeBilinear(flat, 33, 21);
  assert.deepEqual([up.width, up.height], [33, 21]);
  assert.ok(up.data.every((v) => v === 90));

  // Two columns 0 | 200 shrunk to one pixel wide: a triangle filter mixes both.
  const two: RgbImage = { width: 2, height: 1, data: new Uint8Array([0, 0, 0, 200, 200, 200]), source: 'two' };
  const one = await resizeBilinear(two, 1, 1);
  assert.ok(Math.abs((one.data[0] as number) - 100) <= 2, `got ${one.data[0]}`);

  const lfw = await decodeImage(path.join(SAMPLES, 'Anthony_Hopkins_0001.jpg'));
  const small = await resizeBilinear(lfw, 160, 120);
  assert.deepEqual([small.width, small.height, small.data.length], [160, 120, 160 * 120 * 3]);
  await assert.rejects(resizeBilinear(lfw, 0, 10), isFacenetError('BAD_ARGUMENT'));
});

test('cropImage clips like facenet and is pure', () => {
  const w = 6;
  const h = 4;
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x, y, 9], (y * w + x) * 3);
  const img: RgbImage = { width: w, height: h, data, source: 'grid' };
  const before = Buffer.from(data);

  const c = cropImage(img, [1, 1, 4, 3]);
  assert.deepEqual([c.width, c.height], [3, 2]);
  assert.deepEqual(pixel(c, 0, 0), [1, 1, 9]);
  assert.deepEqual(pixel(c, 2, 1), [3, 2, 9]);

  const clipped = cropImage(img, [-5.5, 2.7, 100, 100]);
  assert.deepEqual([clipped.width, clipped.height], [6, 2]);
  assert.deepEqual(pixel(clipped, 0, 0), [0, 2, 9]);

  assert.throws(() => cropImage(img, [10, 0, 20, 4]), isFacenetError('BAD_ARGUMENT', 'leaves nothing'));
  assert.throws(() => cropImage(img, [0, 0, Number.NaN, 4]), isFacenetError('BAD_ARGUMENT'));
  assert.deepEqual(Buffer.from(img.data), before);
});
