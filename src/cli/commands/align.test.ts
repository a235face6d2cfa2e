import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, copyFileSync, writeFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { runCli } from '../../test-support/run-cli.js';
import { ZOO } from '../../test-support/shared.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-align-cli-'));
process.env['FACENET_HOME'] = path.join(dir, 'home');
process.env['FACENET_MIRROR'] = ZOO;
after(() => rmSync(dir, { recursive: true, force: true }));

const input = path.join(dir, 'in');
mkdirSync(path.join(input, 'Anthony_Hopkins'), { recursive: true });
mkdirSync(path.join(input, 'Bad'), { recursive: true });
for (const f of ['Anthony_Hopkins_0001.jpg', 'Anthony_Hopkins_0002.jpg']) copyFileSync(path.join(ZOO, 'samples', f), path.join(input, 'Anthony_Hopkins', f));
writeFileSync(path.join(input, 'Bad', 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3]));

test('facenet align: --json summary, progress on stderr, 160 px crops; a rerun skips everything', async () => {
  const out = path.join(dir, 'out');
  const r = await runCli(['align', input, out, '--image-size', '160', '--margin', '32', '--json']);
  assert.equal(r.code, 3, r.stderr); // one image failed: exit 3 (documented in --help)
  const s = JSON.parse(r.stdout);
  assert.deepEqual([s.images, s.aligned, s.failed, s.noFace, s.interrupted], [3, 2, 1, 0, false]);
  assert.match(r.stderr, /align done: 3\/3 in .* (img\/s|s\/img)/);
  assert.match(r.stderr, /align: .*broken\.jpg: unreadable: /);
  const meta = await sharp(path.join(out, 'Anthony_Hopkins', 'Anthony_Hopkins_0002.png')).metadata();
  assert.deepEqual([meta.width, meta.height], [160, 160]);
  const again = await runCli(['align', input, out, '--image-size', '160', '--margin', '32']);
  assert.equal(again.code, 3, again.stderr);
  assert.match(again.stdout, /^Total number of images: 3\nNumber of successfully aligned images: 0\nskipped \(already aligned\): 2, no face: 0, other failures: 1/);
});

test('facenet align: Ctrl-C (an aborted signal) stops with exit 130; folders without images or unwritable outputs are clear errors', async () => {
  const ac = new AbortController();
  ac.abort();
  const out = path.join(dir, 'stopped');
  const r = await runCli(['align', input, out], ac.signal);
  assert.equal(r.code, 130);
  assert.match(r.stderr, /interrupted; rerun the same command to continue/);
  assert.deepEqual(readdirSync(out).filter((f) => f.endsWith('.png')), []);

  const empty = path.join(dir, 'empty');
  mkdirSync(empty);
  const e = await runCli(['align', empty, path.join(dir, 'o2')]);
  assert.equal(e.code, 2);
  assert.match(e.stderr, /found no images in dataset folder .*empty/);

  const file = path.join(dir, 'plain-file');
  writeFileSync(file, 'x');
  const u = await runCli(['align', input, path.join(file, 'aligned')]);
  assert.equal(u.code, 1);
  assert.match(u.stderr, /facenet align: cannot create the output folder .*plain-file\/aligned/);
});
