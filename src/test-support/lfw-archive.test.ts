import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { create } from 'tar';
import { FacenetError } from '../errors.js';
import { decodeImage } from '../io/image.js';
import {
  EXTRACT_MARKER,
  LFW_DEEPFUNNELED_IMAGES,
  extractLfwArchive,
  readArchiveFiles,
  readTarEntries,
  type ExtractProgress,
} from './lfw-archive.js';

// shared/ lies beside the repository (here /work/shared; in CI beside the clone).
const SHARED = process.env.FACENET_SHARED ?? fileURLToPath(new URL('../../../shared/', import.meta.url));
const LFW_TGZ = path.join(SHARED, 'zoo', 'lfw', 'lfw-deepfunneled.tgz');
const DETECTIONS = path.join(SHARED, 'fixtures', 'mtcnn', 'detections.json');
let dir = '';
let smallTgz = '';

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'facenet-archive-test-'));
  // A miniature LFW: top/<Name>/<Name>_NNNN.jpg with distinct contents.
  const src = path.join(dir, 'src');
  for (const [name, n] of [['Alice_A', 2], ['Bob_B', 1], ['Carol_C', 3]] as const) {
    await mkdir(path.join(src, 'top', name), { recursive: true });
    for (let i = 1; i <= n; i++) {
      await writeFile(path.join(src, 'top', name, `${name}_000${i}.jpg`), `${name} image ${i} `.repeat(100 * i));
    }
  }
  smallTgz = path.join(dir, 'small.tgz');
  await create({ gzip: true, file: smallTgz, cwd: src, portable: true }, ['top']);
});
after(async () => {
  await rm(dir, { recursive: true, force: true, maxRetries: 5 });
});

function isFacenetError(code: string, ...fragments: string[]) {
  return (err: unknown) => {
    assert.ok(err instanceof FacenetError, `expected FacenetError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    for (const f of fragments) assert.ok(err.message.includes(f), `message '${err.message}' should mention '${f}'`);
    return true;
  };
}

test('stream-reads two LFW entries without extracting and they decode as 250x250', async () => {
  const names = [
    'lfw-deepfunneled/Shirley_Jones/Shirley_Jones_0001.jpg',
    'lfw-deepfunneled/Robin_Wright_Penn/Robin_Wright_Penn_0001.jpg',
  ];
  const files = await readArchiveFiles(LFW_TGZ, names);
  assert.deepEqual([...files.keys()].sort(), [...names].sort());
  for (const name of names) {
    const img = await decodeImage(files.get(name) as Buffer, { name });
    assert.deepEqual([img.width, img.height], [250, 250], name);
    assert.equal(img.source, name);
  }
});

test('every LFW image named in fixtures/mtcnn/detections.json is in the archive, in one pass', async () => {
  const fixture = JSON.parse(await readFile(DETECTIONS, 'utf8')) as { images: { image: string; width: number }[] };
  const wanted = fixture.images.map((i) => i.image).filter((p) => p.startsWith('lfw-deepfunneled/'));
  assert.equal(wanted.length, 40);
  const files = await readArchiveFiles(LFW_TGZ, wanted);
  assert.equal(files.size, 40);
  for (const buf of files.values()) assert.equal(buf.subarray(0, 2).toString('hex'), 'ffd8'); // JPEG SOI
});

test('readTarEntries yields regular files in archive order, filtered, with sizes', async () => {
  const all = [];
  for await (const e of readTarEntries(smallTgz)) all.push(e);
  assert.deepEqual(
    all.map((e) => e.path),
    [
      'top/Alice_A/Alice_A_0001.jpg',
      'top/Alice_A/Alice_A_0002.jpg',
      'top/Bob_B/Bob_B_0001.jpg',
      'top/Carol_C/Carol_C_0001.jpg',
      'top/Carol_C/Carol_C_0002.jpg',
      'top/Carol_C/Carol_C_0003.jpg',
    ],
  );
  for (const e of all) assert.equal(e.size, e.data.length);
  assert.equal(all[1]?.data.toString().slice(0, 17), 'Alice_A image 2 A');

  const carol = [];
  for await (const e of readTarEntries(smallTgz, { filter: (p) => p.includes('Carol') })) carol.push(e.path);
  assert.equal(carol.length, 3);
});

test('archive errors: missing entry, missing file, not an archive, truncated archive', async () => {
  await assert.rejects(
    readArchiveFiles(smallTgz, ['top/Bob_B/Bob_B_0001.jpg', 'top/Nobody/Nobody_0001.jpg']),
    isFacenetError('NOT_FOUND', 'top/Nobody/Nobody_0001.jpg', smallTgz),
  );
  const missing = path.join(dir, 'nope.tgz');
  await assert.rejects(readArchiveFiles(missing, ['x']), isFacenetError('NOT_FOUND', missing));
  await assert.rejects(extractLfwArchive(missing, path.join(dir, 'x')), isFacenetError('NOT_FOUND', missing));

  const text = path.join(dir, 'text.tgz');
  await writeFile(text, 'definitely not a tarball\n'.repeat(100));
  await assert.rejects(readArchiveFiles(text, ['x']), isFacenetError('BAD_FILE', text));

  const whole = await readFile(smallTgz);
  const cut = path.join(dir, 'cut.tgz');
  await writeFile(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
  await assert.rejects(async () => {
    for await (const _ of readTarEntries(cut)) {
      // drain
    }
  }, isFacenetError('BAD_FILE', cut));
  await assert.rejects(extractLfwArchive(cut, path.join(dir, 'cut-out')), isFacenetError('BAD_FILE', cut));
});

test('extraction: atomic rename, marker, progress, then alreadyDone', async () => {
  const dest = path.join(dir, 'out1', 'lfw');
  const seen: ExtractProgress[] = [];
  const r = await extractLfwArchive(smallTgz, dest, { expectedFiles: 6, onProgress: (p) => seen.push(p) });
  assert.deepEqual([r.dest, r.files, r.alreadyDone], [dest, 6, false]);
  assert.deepEqual(await readdir(dest), [EXTRACT_MARKER, 'Alice_A', 'Bob_B', 'Carol_C'].sort());
  assert.deepEqual(await readdir(path.join(dest, 'Carol_C')), ['Carol_C_0001.jpg', 'Carol_C_0002.jpg', 'Carol_C_0003.jpg']);
  await assert.rejects(stat(`${dest}.partial`), { code: 'ENOENT' });
  assert.equal(seen.length, 6);
  assert.equal(seen.at(-1)?.files, 6);
  assert.ok(seen.every((p) => p.bytesRead > 0 && p.bytesRead <= p.totalBytes));

  const again = await extractLfwArchive(smallTgz, dest);
  assert.deepEqual([again.files, again.alreadyDone], [6, true]);
});

test('extraction resumes from <dest>.partial, rewriting only incomplete files', async () => {
  const dest = path.join(dir, 'out2');
  const partial = `${dest}.partial`;
  // Simulate a run killed half way: a full tree under the .partial name, without its marker,
  // with one file never written and one cut short.
  await extractLfwArchive(smallTgz, partial);
  await rm(path.join(partial, EXTRACT_MARKER));
  await rm(path.join(partial, 'Bob_B', 'Bob_B_0001.jpg'));
  await truncate(path.join(partial, 'Carol_C', 'Carol_C_0003.jpg'), 10);

  let last: ExtractProgress | undefined;
  const r = await extractLfwArchive(smallTgz, dest, { onProgress: (p) => (last = p) });
  assert.equal(r.files, 6);
  assert.deepEqual([last?.files, last?.skipped], [2, 4]);
  const carol3 = await readFile(path.join(dest, 'Carol_C', 'Carol_C_0003.jpg'), 'utf8');
  assert.ok(carol3.startsWith('Carol_C image 3') && carol3.length > 1000);
});

test('extraction refuses a foreign folder and a wrong file count', async () => {
  const foreign = path.join(dir, 'foreign');
  await mkdir(foreign);
  await writeFile(path.join(foreign, 'keep-me.txt'), 'x');
  await assert.rejects(extractLfwArchive(smallTgz, foreign), isFacenetError('BAD_ARGUMENT', foreign, EXTRACT_MARKER));

  const dest = path.join(dir, 'wrong-count');
  await assert.rejects(extractLfwArchive(smallTgz, dest, { expectedFiles: 7 }), isFacenetError('BAD_FILE', '6 files', '7'));
  await assert.rejects(stat(dest), { code: 'ENOENT' }, 'an unfinished extraction never appears under dest');
});

test('a throwing progress callback or an AbortSignal stops the extraction', async () => {
  const dest = path.join(dir, 'cb-throws');
  await assert.rejects(
    extractLfwArchive(smallTgz, dest, {
      onProgress: () => {
        throw new Error('stop here');
      },
    }),
    /stop here/,
  );
  await assert.rejects(stat(dest), { code: 'ENOENT' });

  const ac = new AbortController();
  await assert.rejects(
    extractLfwArchive(smallTgz, path.join(dir, 'aborted'), { signal: ac.signal, onProgress: () => ac.abort() }),
    { name: 'AbortError' },
  );
  await assert.rejects(stat(path.join(dir, 'aborted')), { code: 'ENOENT' });
});

test(
  'full LFW extraction: all 13,233 images (about 5 s, 250 MB of temporary disk)',
  async () => {
    const dest = path.join(dir, 'lfw-full');
    const t0 = performance.now();
    const r = await extractLfwArchive(LFW_TGZ, dest, { expectedFiles: LFW_DEEPFUNNELED_IMAGES });
    const seconds = (performance.now() - t0) / 1000;
    assert.equal(r.files, LFW_DEEPFUNNELED_IMAGES);
    assert.equal((await readdir(dest)).length, 5749 + 1); // classes + marker
    const img = await decodeImage(path.join(dest, 'Shirley_Jones', 'Shirley_Jones_0001.jpg'));
    assert.deepEqual([img.width, img.height], [250, 250]);
    process.stderr.write(`# full LFW extraction took ${seconds.toFixed(2)} s\n`);
    await rm(dest, { recursive: true, force: true });
  },
);
