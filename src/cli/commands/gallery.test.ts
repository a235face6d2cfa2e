// End to end `facenet gallery` on a small random-weight model and the sample photos: plumbing,
// shapes of the JSON output, files and errors, not recognition quality (same image -> same
// embedding is what makes the identify checks deterministic).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync, copyFileSync, rmSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../test-support/run-cli.js';
import { ZOO } from '../../test-support/shared.js';
import { InceptionResnetV1 } from '../../models/inception-resnet-v1/model.js';
import { saveModel } from '../../models/model-file.js';
import { manualSeed } from '../../tensor/index.js';
import { freshDatabase } from '../../gallery/pg-test-db.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-gallery-cli-'));
const modelFile = path.join(dir, 'tiny.safetensors');
const otherModel = path.join(dir, 'other.safetensors');
const samples = path.join(ZOO, 'samples');
const db = path.join(dir, 'g.db');
const ROC = { thresholds: [0, 0.5, 1, 1.5], fpr: [0, 0.0005, 0.002, 0.1], tpr: [0, 0.5, 0.9, 1] };

before(async () => {
  process.env['FACENET_MIRROR'] = ZOO;
  process.env['FACENET_HOME'] = path.join(dir, 'home');
  manualSeed(1);
  const m = new InceptionResnetV1({ variant: 'inception-resnet-v1-tiny' });
  await saveModel(m, modelFile, { note: 'random weights for tests', threshold: 0.8, roc: ROC });
  await saveModel(m, otherModel, { note: 'same weights, another file' });
  m.dispose();
  for (const [name, files] of [['hopkins', ['Anthony_Hopkins_0001.jpg', 'Anthony_Hopkins_0002.jpg']], ['rudd', ['paul_rudd.jpg']], ['siegel', ['kate_siegel.jpg']]] as const) {
    mkdirSync(path.join(dir, 'people', name), { recursive: true });
    for (const f of files) copyFileSync(path.join(samples, f), path.join(dir, 'people', name, f));
  }
  writeFileSync(path.join(dir, 'people', 'rudd', 'broken.jpg'), 'not a jpeg');
});

after(() => rmSync(dir, { recursive: true, force: true }));

const json = (r: { stdout: string }) => JSON.parse(r.stdout) as unknown;

test('gallery create / enroll / identify / list / export / add / remove', async () => {
  let r = await runCli(['gallery', 'create', db, '--model', modelFile, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(json(r), { db, store: 'sqlite', modelId: modelFile, dim: 64, threshold: 0.8, roc: true });

  r = await runCli(['gallery', 'enroll', db, '--from-folders', path.join(dir, 'people'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const enrolled = json(r) as { enrolled: { subject: string; faceIds: string[] }[]; failures: { subject: string; input: string; code: string }[] };
  assert.deepEqual(enrolled.enrolled.map((e) => [e.subject, e.faceIds.length]), [['hopkins', 2], ['rudd', 1], ['siegel', 1]]);
  assert.deepEqual(enrolled.failures.map((f) => [f.subject, path.basename(f.input), f.code]), [['rudd', 'broken.jpg', 'BAD_IMAGE']]);
  assert.match(r.stderr, /broken\.jpg/);

  // several faces: refused, then the largest with --largest-face
  r = await runCli(['gallery', 'enroll', db, 'crowd', path.join(samples, 'multiface.jpg'), '--json']);
  assert.equal(r.code, 1);
  assert.equal((json(r) as { failures: { code: string }[] }).failures[0]!.code, 'SEVERAL_FACES');
  r = await runCli(['gallery', 'enroll', db, 'crowd', path.join(samples, 'multiface.jpg'), '--largest-face', '--metadata', '{"where":"test"}']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /enrolled 1 faces of 1 subjects/);

  r = await runCli(['gallery', 'identify', db, path.join(samples, 'Anthony_Hopkins_0001.jpg'), '--k', '2', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const ids = json(r) as { query: string; unknown: boolean; matches: { subject: string; faceId: string; distance: number; similarity: number }[] }[];
  assert.equal(ids.length, 1);
  assert.equal(ids[0]!.query, path.join(samples, 'Anthony_Hopkins_0001.jpg'));
  assert.equal(ids[0]!.unknown, false);
  assert.equal(ids[0]!.matches.length, 2);
  assert.equal(ids[0]!.matches[0]!.subject, 'hopkins');
  assert.ok(ids[0]!.matches[0]!.distance < 1e-3);
  assert.deepEqual(Object.keys(ids[0]!.matches[0]!).sort(), ['distance', 'faceId', 'similarity', 'subject']);
  // a threshold of 0 rejects everything; --far takes it from the stored ROC
  r = await runCli(['gallery', 'identify', db, path.join(samples, 'Anthony_Hopkins_0001.jpg'), '--threshold', '0', '--json']);
  assert.equal((json(r) as { unknown: boolean }[])[0]!.unknown, true);
  r = await runCli(['gallery', 'identify', db, path.join(samples, 'Anthony_Hopkins_0001.jpg'), '--far', '0.001']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /hopkins \(distance/);
  r = await runCli(['gallery', 'identify', db, path.join(samples, 'Anthony_Hopkins_0001.jpg'), '--far', '0.001', '--threshold', '1']);
  assert.equal(r.code, 2);

  r = await runCli(['gallery', 'list', db, '--json']);
  const list = json(r) as { faces: number; subjects: { name: string; faces: number }[] };
  assert.equal(list.faces, 5);
  assert.deepEqual(list.subjects.map((s) => s.name), ['crowd', 'hopkins', 'rudd', 'siegel']);

  const out = path.join(dir, 'export.npy');
  r = await runCli(['gallery', 'export', db, '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(json(r), { out, json: path.join(dir, 'export.json'), rows: 5, dim: 64 });
  const side = JSON.parse(readFileSync(path.join(dir, 'export.json'), 'utf8')) as { subjects: string[]; model: string };
  assert.equal(side.model, modelFile);

  // round trip into a second gallery, then identify every exported row
  const db2 = path.join(dir, 'g2.db');
  assert.equal((await runCli(['gallery', 'create', db2, '--model', modelFile])).code, 0);
  r = await runCli(['gallery', 'add', db2, '--embeddings', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(json(r), { subjects: 4, faces: 5 });
  r = await runCli(['gallery', 'identify', db2, '--embeddings', out, '--k', '1', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rows = json(r) as { query: number; matches: { subject: string }[] }[];
  assert.deepEqual(rows.map((x) => x.query), [0, 1, 2, 3, 4]);
  assert.deepEqual(rows.map((x) => x.matches[0]!.subject), side.subjects);

  // an ANN index: built and saved, then used by identify (same answers here), --exact bypasses it, --drop removes it
  r = await runCli(['gallery', 'index', db2, '--connectivity', '8', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const indexed = json(r) as { faces: number; settings: { connectivity: number; quantization: string }; file: string };
  assert.equal(indexed.faces, 5);
  assert.equal(indexed.settings.connectivity, 8);
  assert.equal(indexed.file, `${db2}.ann`);
  r = await runCli(['gallery', 'identify', db2, '--embeddings', out, '--k', '1', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /searching the ANN index \(5 faces/);
  assert.deepEqual((json(r) as typeof rows).map((x) => x.matches[0]!.subject), side.subjects);
  r = await runCli(['gallery', 'identify', db2, '--embeddings', out, '--k', '1', '--exact', '--json']);
  assert.doesNotMatch(r.stderr, /ANN/);
  r = await runCli(['gallery', 'index', db2, '--quantization', 'int4']);
  assert.equal(r.code, 2);
  r = await runCli(['gallery', 'index', db2, '--drop', '--json']);
  assert.deepEqual(json(r), { db: db2, dropped: true });
  r = await runCli(['gallery', 'identify', db2, '--embeddings', out, '--k', '1', '--json']);
  assert.doesNotMatch(r.stderr, /ANN/);

  // names from a file: wrong line count refused; a sidecar of another model refused
  writeFileSync(path.join(dir, 'names.txt'), 'a\nb\n');
  r = await runCli(['gallery', 'add', db2, '--embeddings', out, '--names', path.join(dir, 'names.txt')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /2 lines.*5 rows/);
  const db3 = path.join(dir, 'g3.db');
  assert.equal((await runCli(['gallery', 'create', db3, '--model', otherModel])).code, 0);
  r = await runCli(['gallery', 'add', db3, '--embeddings', out]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /embedded by model .*tiny\.safetensors.*holds .*other\.safetensors/);

  r = await runCli(['gallery', 'remove', db, 'rudd', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(json(r), { subject: 'rudd', removed: 1 });
  r = await runCli(['gallery', 'remove', db, 'rudd']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no subject 'rudd'/);
});

test('gallery: bad input gets clear errors and exit codes', async () => {
  const dbx = path.join(dir, 'x.db');
  assert.equal((await runCli(['gallery', 'create', dbx, '--model', modelFile])).code, 0);
  let r = await runCli(['gallery', 'create', dbx, '--model', modelFile]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /already exists/);
  r = await runCli(['gallery', 'enroll', dbx, 'a/b', path.join(samples, 'paul_rudd.jpg')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /subject name "a\/b"/);
  r = await runCli(['gallery', 'list', path.join(dir, 'missing.db')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /does not exist.*gallery create/);
  writeFileSync(path.join(dir, 'junk.db'), 'x'.repeat(5000));
  r = await runCli(['gallery', 'list', path.join(dir, 'junk.db')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /not a readable SQLite database/);
  r = await runCli(['gallery', 'frobnicate', dbx]);
  assert.equal(r.code, 2);
  r = await runCli(['gallery', 'identify', dbx]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /either IMAGES/);
});

test('gallery on PostgreSQL through a link file: create --store, add, list, identify', async () => {
  const pg = await freshDatabase();
  try {
    const link = path.join(dir, 'pg.gallery');
    let r = await runCli(['gallery', 'create', link, '--model', modelFile, '--store', pg.url, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((json(r) as { store: string }).store, 'postgres');
    r = await runCli(['gallery', 'add', link, '--embeddings', path.join(dir, 'export.npy'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    r = await runCli(['gallery', 'list', pg.url, '--json']);
    assert.equal((json(r) as { faces: number }).faces, 5);
    r = await runCli(['gallery', 'identify', link, '--embeddings', path.join(dir, 'export.npy'), '--k', '1', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((json(r) as unknown[]).length, 5);
    r = await runCli(['gallery', 'index', link]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /PostgreSQL gallery, which keeps no index file/);
  } finally {
    await pg.drop();
  }
});
