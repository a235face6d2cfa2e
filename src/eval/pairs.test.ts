import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLfwPaths, lfwImageStem, parsePairs, readPairs } from './pairs.js';
import { fileURLToPath } from 'node:url';

// shared/ lies beside the repository (here /work/shared; in CI beside the clone).
const SHARED = process.env.FACENET_SHARED ?? fileURLToPath(new URL('../../../shared/', import.meta.url));
const PAIRS = join(SHARED, 'zoo', 'lfw', 'pairs.txt');

test('the real pairs.txt: 10 folds of 300 same then 300 different pairs', async () => {
  const p = await readPairs(PAIRS);
  assert.deepEqual(p.header, [10, 300]);
  assert.equal(p.pairs.length, 6000);
  assert.deepEqual(p.pairs[0], { issame: true, name1: 'Abel_Pacheco', index1: 1, name2: 'Abel_Pacheco', index2: 4, line: 2 });
  assert.equal(p.pairs[299]!.issame, true);
  assert.equal(p.pairs[300]!.issame, false);
  assert.equal(p.pairs[5999]!.line, 6001);
  // the fixture's issame bytes are laid out exactly like pairs.txt
  const fixture = readFileSync(join(SHARED, 'fixtures', 'lfw-protocol', 'issame-6000.u8'));
  assert.deepEqual(p.pairs.map((x) => (x.issame ? 1 : 0)), [...fixture]);
});

test('malformed lines and headers are BAD_FILE with file:line', () => {
  const bad = (text: string, re: RegExp) => assert.throws(() => parsePairs(text, 'p.txt'), (e: Error & { code?: string }) => e.code === 'BAD_FILE' && re.test(e.message));
  bad('1\t1\nA\t1\t2\nB 1\n', /^p\.txt:3: 2 fields/);
  bad('1\t1\nA\t1\t2\nB 1 C x\n', /^p\.txt:3: image number "x"/);
  bad('1\t1\nA\t0\t2\nB 1 C 1\n', /^p\.txt:2: image number "0"/);
  bad('ten 300\n', /^p\.txt:1: header/);
  bad('1 2\nA 1 2\nB 1 C 1\n', /announces 4 pairs but the file has 2/);
  bad('', /empty/);
});

test('dev-file header (one count) and blank lines', () => {
  const p = parsePairs('2\nA 1 2\n\nB 3 4\r\nC 1 D 2\nE 1 F 1\n\n');
  assert.deepEqual(p.header, [2]);
  assert.deepEqual(p.pairs.map((x) => [x.issame, x.line]), [[true, 2], [true, 4], [false, 5], [false, 6]]);
});

test('paths as lfw.get_paths: %04d numbers, .jpg else .png, missing pairs reported', () => {
  const { pairs } = parsePairs('2 1\nA 1 2\nB 3 C 12\nD 1 2\nE 1 F 2\n');
  const files = new Set([
    join('/lfw', 'A', 'A_0001.jpg'), join('/lfw', 'A', 'A_0002.png'),
    join('/lfw', 'B', 'B_0003.png'), join('/lfw', 'C', 'C_0012.png'),
    join('/lfw', 'D', 'D_0001.jpg'),
    join('/lfw', 'F', 'F_0002.jpg'),
  ]);
  const r = getLfwPaths('/lfw', pairs, (f) => files.has(f));
  assert.deepEqual(r.paths, ['/lfw/A/A_0001.jpg', '/lfw/A/A_0002.png', '/lfw/B/B_0003.png', '/lfw/C/C_0012.png']);
  assert.deepEqual(r.issame, [true, false]);
  assert.deepEqual(r.pairIndices, [0, 1]);
  assert.deepEqual(r.skipped.map((s) => [s.pairIndex, s.missing]), [
    [2, ['/lfw/D/D_0002.jpg|.png']],
    [3, ['/lfw/E/E_0001.jpg|.png']],
  ]);
  assert.equal(lfwImageStem('x', 'N', 7), join('x', 'N', 'N_0007'));
});

test('getLfwPaths on a real directory', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lfw-pairs-'));
  try {
    await mkdir(join(dir, 'A'));
    await writeFile(join(dir, 'A', 'A_0001.png'), '');
    await writeFile(join(dir, 'A', 'A_0002.png'), '');
    const r = getLfwPaths(dir, parsePairs('1\nA 1 2\nA 1 B 1\n').pairs);
    assert.deepEqual(r.paths, [join(dir, 'A', 'A_0001.png'), join(dir, 'A', 'A_0002.png')]);
    assert.equal(r.skipped.length, 1);
    assert.deepEqual(r.skipped[0]!.missing, [`${join(dir, 'B', 'B_0001')}.jpg|.png`]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a missing pairs file is NOT_FOUND', async () => {
  await assert.rejects(readPairs(join(SHARED, 'zoo', 'lfw', 'no-such-pairs.txt')), { code: 'NOT_FOUND' });
});
