import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FacenetError } from '../errors.js';
import { filterMinImages, isImageFileName, scanImageFolder, splitDataset, type ImageDataset } from './image-folder.js';
import { createRandom } from '../math/shuffle.js';

let root = '';

async function touch(...parts: string[]): Promise<void> {
  const file = path.join(root, ...parts);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, 'x');
}

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'facenet-folder-test-'));
  const ds = path.join('ds');
  await touch(ds, 'bob', 'b2.JPG');
  await touch(ds, 'bob', 'b1.jpeg');
  await touch(ds, 'bob', 'notes.txt');
  await touch(ds, 'bob', '.hidden.jpg');
  await touch(ds, 'Alice', 'a.PNG');
  await touch(ds, 'Alice', 'c.webp');
  await touch(ds, 'Alice', 'b.tif');
  await touch(ds, 'carol', 'x.bmp');
  await touch(ds, 'carol', 'y.gif');
  await touch(ds, 'carol', 'z.Tiff');
  await touch(ds, 'empty', 'readme.md');
  await touch(ds, '.git', 'objects.jpg');
  await touch(ds, 'stray.jpg');
  await mkdir(path.join(root, 'linked-class'), { recursive: true });
  await writeFile(path.join(root, 'linked-class', 'l.jpg'), 'x');
  await symlink(path.join(root, 'linked-class'), path.join(root, ds, 'dave'));
  await touch('loose', 'one.jpg');
  await touch('loose', 'two.png');
  await touch('no-images', 'c1', 'a.txt');
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('isImageFileName: extensions case-insensitive, hidden files out', () => {
  for (const n of ['a.jpg', 'a.JPEG', 'a.Png', 'a.webp', 'a.bmp', 'a.GIF', 'a.tif', 'a.tiff']) assert.ok(isImageFileName(n), n);
  for (const n of ['.a.jpg', 'a.txt', 'jpg', 'a.jpg.part', 'a']) assert.ok(!isImageFileName(n), n);
});

test('scanImageFolder: classes and images sorted, non-images and hidden entries skipped', async () => {
  const ds = await scanImageFolder(path.join(root, 'ds'));
  const dsRoot = path.join(root, 'ds');
  // Code-unit order puts upper case first, as Python's sort does.
  assert.deepEqual(
    ds.classes.map((c) => c.name),
    ['Alice', 'bob', 'carol', 'dave'],
  );
  assert.deepEqual(ds.classes[0]?.paths, ['a.PNG', 'b.tif', 'c.webp'].map((f) => path.join(dsRoot, 'Alice', f)));
  assert.deepEqual(ds.classes[1]?.paths, ['b1.jpeg', 'b2.JPG'].map((f) => path.join(dsRoot, 'bob', f)));
  assert.equal(ds.classes[2]?.paths.length, 3);
  assert.deepEqual(ds.classes[3]?.paths, [path.join(dsRoot, 'dave', 'l.jpg')], 'symlinked class folder followed');
  assert.deepEqual(ds.emptyClasses, ['empty']);
  assert.ok(ds.classes.every((c) => c.paths.every((p) => path.isAbsolute(p))));
});

test('scanImageFolder: relative roots resolve', async () => {
  const rel = path.relative(process.cwd(), path.join(root, 'ds'));
  const ds = await scanImageFolder(rel);
  assert.equal(ds.classes.length, 4);
});

test('scanImageFolder errors: missing folder, file, no images', async () => {
  const missing = path.join(root, 'does-not-exist');
  await assert.rejects(scanImageFolder(missing), (err: unknown) => {
    assert.ok(err instanceof FacenetError);
    assert.equal(err.code, 'NOT_FOUND');
    assert.ok(err.message.includes(missing));
    return true;
  });
  await assert.rejects(scanImageFolder(path.join(root, 'ds', 'stray.jpg')), { code: 'BAD_ARGUMENT' });
  await assert.rejects(scanImageFolder(path.join(root, 'no-images')), (err: unknown) => {
    assert.ok(err instanceof FacenetError);
    assert.equal(err.code, 'BAD_ARGUMENT');
    assert.match(err.message, /found no images/);
    assert.match(err.message, /\.jpg .*\.png/);
    assert.ok(err.message.includes(path.join(root, 'no-images')));
    return true;
  });
  await assert.rejects(scanImageFolder(path.join(root, 'loose')), (err: unknown) => {
    assert.ok(err instanceof FacenetError);
    assert.match(err.message, /2 images directly inside it/);
    return true;
  });
});

function fakeDataset(sizes: number[]): ImageDataset {
  return {
    classes: sizes.map((n, c) => ({ name: `c${c}`, paths: Array.from({ length: n }, (_, i) => `/d/c${c}/${i}.jpg`) })),
  };
}

test('filterMinImages keeps classes with at least n images and copies', () => {
  const ds = fakeDataset([1, 5, 3, 10]);
  const f = filterMinImages(ds, 3);
  assert.deepEqual(f.classes.map((c) => c.name), ['c1', 'c2', 'c3']);
  f.classes[0]?.paths.pop();
  assert.equal(ds.classes[1]?.paths.length, 5);
  assert.throws(() => filterMinImages(ds, -1), { code: 'BAD_ARGUMENT' });
});

test('splitDataset SPLIT_IMAGES follows facenet: floor, at least one val image, min on the train share', () => {
  const ds = fakeDataset([10, 1, 2, 4]);
  const snapshot = JSON.stringify(ds);
  const { train, val } = splitDataset(ds, 0.2, 0, 'SPLIT_IMAGES', createRandom(666));
  // n=10: floor(8) train, 2 val. n=1: split 0 (at least one val image) => 0 train, 1 val.
  // n=2: floor(1.6)=1. n=4: floor(3.2)=3.
  assert.deepEqual(train.classes.map((c) => c.paths.length), [8, 0, 1, 3]);
  assert.deepEqual(val.classes.map((c) => c.paths.length), [2, 1, 1, 1]);
  for (let i = 0; i < train.classes.length; i++) {
    const all = [...(train.classes[i]?.paths ?? []), ...(val.classes[i]?.paths ?? [])].sort();
    assert.deepEqual(all, [...(ds.classes[i]?.paths ?? [])].sort(), 'a partition of the class');
  }
  assert.equal(JSON.stringify(ds), snapshot, 'input untouched');

  const strict = splitDataset(ds, 0.2, 3, 'SPLIT_IMAGES', createRandom(666));
  assert.deepEqual(strict.train.classes.map((c) => c.name), ['c0', 'c3']);
  assert.deepEqual(strict.val.classes.map((c) => c.name), ['c0', 'c3']);
});

test('splitDataset is reproducible for a seed and shuffles', () => {
  const ds = fakeDataset([50]);
  const a = splitDataset(ds, 0.5, 0, 'SPLIT_IMAGES', createRandom(1));
  const b = splitDataset(ds, 0.5, 0, 'SPLIT_IMAGES', createRandom(1));
  const c = splitDataset(ds, 0.5, 0, 'SPLIT_IMAGES', createRandom(2));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.notDeepEqual(a.train.classes[0]?.paths, ds.classes[0]?.paths.slice(0, 25));
});

test('splitDataset SPLIT_CLASSES: round half to even, keeps every class (unlike facenet [split:-1])', () => {
  const ds = fakeDataset([1, 2, 3, 4, 5]);
  const { train, val } = splitDataset(ds, 0.5, 0, 'SPLIT_CLASSES', createRandom(3));
  // 5 * 0.5 = 2.5 rounds to 2 in Python 3.
  assert.equal(train.classes.length, 2);
  assert.equal(val.classes.length, 3);
  const names = [...train.classes, ...val.classes].map((c) => c.name).sort();
  assert.deepEqual(names, ['c0', 'c1', 'c2', 'c3', 'c4']);
  assert.equal(splitDataset(fakeDataset([1, 1, 1, 1, 1, 1, 1]), 0.5, 0, 'SPLIT_CLASSES', createRandom(3)).train.classes.length, 4); // 3.5 -> 4
});

test('splitDataset rejects bad arguments', () => {
  const ds = fakeDataset([3]);
  assert.throws(() => splitDataset(ds, 1.5, 0, 'SPLIT_IMAGES', createRandom(1)), { code: 'BAD_ARGUMENT' });
  assert.throws(() => splitDataset(ds, 0.5, 0, 'SPLIT_PEOPLE' as 'SPLIT_IMAGES', createRandom(1)), /invalid mode/);
});
