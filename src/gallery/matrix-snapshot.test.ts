/** The matrix snapshot beside an SQLite gallery: used when it fits, replayed forward, ignored when it does not fit. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createGallery, openGallery } from './index.js';
import { tempDir, unitVectors } from './test-helpers.js';

const DIM = 8;
const INFO = { modelId: 'm', dim: DIM, model: 'm', threshold: null };

test('snapshot written at close, read at open, and the change log after it replayed', async () => {
  const t = tempDir();
  try {
    const file = path.join(t.dir, 'g.db');
    const vecs = unitVectors(301, DIM, 40);
    const g = await createGallery(file, INFO, { snapshotMinRows: 100 });
    await g.enrollMany(vecs.slice(0, 300).map((v, i) => ({ subject: `s${i}`, embeddings: [v] })));
    await g.close();
    assert.ok(existsSync(`${file}.matrix`));
    // Changes after the snapshot, by an instance that writes no snapshot of its own.
    const h = await openGallery(file, { snapshotMinRows: Infinity });
    await h.enrollEmbeddings('late', [vecs[300]!]);
    assert.equal(await h.removeSubject('s7'), 1);
    await h.close();
    // Prove the snapshot is read: change face 1's row behind the gallery's back (no log entry).
    const raw = new Database(file);
    raw.prepare('UPDATE faces SET embedding = ? WHERE id = 1').run(Buffer.from(vecs[300]!.buffer.slice(0)));
    raw.close();
    const fromSnap = await openGallery(file);
    assert.equal(fromSnap.size, 300);
    assert.equal((await fromSnap.identifyEmbeddings([vecs[0]!]))[0]!.matches[0]!.subject, 's0'); // the snapshot's row 1
    assert.equal((await fromSnap.identifyEmbeddings([vecs[300]!]))[0]!.matches[0]!.similarity > 0.9999, true);
    assert.notEqual((await fromSnap.identifyEmbeddings([vecs[7]!], { k: 1 }))[0]!.matches[0]!.subject, 's7'); // replayed removal
    await fromSnap.close();
    const fromRows = await openGallery(file, { useSnapshot: false });
    assert.equal(fromRows.size, 300);
    assert.notEqual((await fromRows.identifyEmbeddings([vecs[0]!], { k: 1 }))[0]!.matches[0]!.subject, 's0'); // the row as changed
    await fromRows.close();
  } finally {
    t.cleanup();
  }
});

test('a truncated snapshot or one of another gallery is ignored', async () => {
  const t = tempDir();
  try {
    const a = path.join(t.dir, 'a.db');
    const b = path.join(t.dir, 'b.db');
    const va = unitVectors(150, DIM, 41);
    const vb = unitVectors(150, DIM, 42);
    for (const [file, vs] of [[a, va], [b, vb]] as const) {
      const g = await createGallery(file, INFO, { snapshotMinRows: 100 });
      await g.enrollMany(vs.map((v, i) => ({ subject: `${path.basename(file)}${i}`, embeddings: [v] })));
      await g.close();
    }
    copyFileSync(`${b}.matrix`, `${a}.matrix`); // b's snapshot beside a
    let g = await openGallery(a);
    assert.equal((await g.identifyEmbeddings([va[3]!], { k: 1 }))[0]!.matches[0]!.subject, 'a.db3');
    await g.close();
    const bytes = readFileSync(`${b}.matrix`);
    writeFileSync(`${b}.matrix`, bytes.subarray(0, bytes.length - 100));
    g = await openGallery(b, { snapshotMinRows: Infinity });
    assert.equal(g.size, 150);
    assert.equal((await g.identifyEmbeddings([vb[5]!], { k: 1 }))[0]!.matches[0]!.subject, 'b.db5');
    await g.close();
  } finally {
    t.cleanup();
  }
});
