/** Gallery faults: corrupt and locked files, old schema versions, kill -9 during a bulk enroll. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { createGallery, openGallery } from './index.js';
import { tempDir, unitVectors } from './test-helpers.js';

const DIM = 8;
const INFO = { modelId: 'm', dim: DIM, model: 'm', threshold: 1 };
const here = path.dirname(fileURLToPath(import.meta.url));

test('a file that is not SQLite, an SQLite file that is no gallery, a damaged row: BAD_FILE naming the file', async () => {
  const t = tempDir();
  try {
    const junk = path.join(t.dir, 'junk.db');
    writeFileSync(junk, Buffer.alloc(8192, 0x5a));
    await assert.rejects(openGallery(junk), { code: 'BAD_FILE', message: /junk\.db.*not a readable SQLite database/ });
    const other = path.join(t.dir, 'other.db');
    const db = new Database(other);
    db.exec('CREATE TABLE notes (x TEXT)');
    db.close();
    await assert.rejects(openGallery(other), { code: 'BAD_FILE', message: /not a facenet gallery/ });
    const file = path.join(t.dir, 'g.db');
    const g = await createGallery(file, INFO);
    await g.enrollEmbeddings('alice', unitVectors(2, DIM, 1));
    await g.close();
    const raw = new Database(file);
    raw.prepare('UPDATE faces SET embedding = ? WHERE id = 2').run(Buffer.alloc(5));
    raw.close();
    await assert.rejects(openGallery(file), { code: 'BAD_FILE', message: /face 2 has a 5-byte embedding/ });
    // a truncated file (half its pages gone)
    const cut = path.join(t.dir, 'cut.db');
    const h = await createGallery(cut, INFO);
    await h.enrollMany(Array.from({ length: 200 }, (_, i) => ({ subject: `s${i}`, embeddings: unitVectors(4, DIM, i) })));
    await h.close();
    const bytes = (await import('node:fs')).readFileSync(cut);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await assert.rejects(openGallery(cut), (e: { code?: string }) => e.code === 'BAD_FILE');
  } finally {
    t.cleanup();
  }
});

test('a gallery locked by another writer: BUSY after the timeout; readers are not blocked (WAL)', async () => {
  const t = tempDir();
  try {
    const file = path.join(t.dir, 'g.db');
    const g0 = await createGallery(file, INFO);
    await g0.enrollEmbeddings('alice', unitVectors(1, DIM, 2));
    await g0.close();
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    try {
      const g = await openGallery(file, { busyTimeoutMs: 100 });
      assert.equal((await g.identifyEmbeddings(unitVectors(1, DIM, 2)))[0]!.matches[0]!.subject, 'alice');
      const t0 = performance.now();
      await assert.rejects(g.enrollEmbeddings('bob', unitVectors(1, DIM, 3)), { code: 'BUSY', message: /g\.db is locked by another process/ });
      assert.ok(performance.now() - t0 >= 90);
      assert.equal(g.size, 1); // the failed write left the matrix alone
      other.exec('ROLLBACK');
      await g.enrollEmbeddings('bob', unitVectors(1, DIM, 3));
      assert.equal(g.size, 2);
      await g.close();
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    }
  } finally {
    t.cleanup();
  }
});

test('schema version 1 is migrated on open; a newer version is refused with what to do', async () => {
  const t = tempDir();
  try {
    const file = path.join(t.dir, 'v1.db');
    const db = new Database(file);
    // The version-1 layout, as a gallery of that version wrote it (no change log).
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE subjects (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
      CREATE TABLE faces (id INTEGER PRIMARY KEY AUTOINCREMENT, subject_id INTEGER NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
        model_id TEXT NOT NULL, embedding BLOB NOT NULL, metadata TEXT, created_at TEXT NOT NULL);
      CREATE INDEX faces_subject ON faces(subject_id);
      INSERT INTO meta VALUES ('kind', 'facenet-gallery'), ('schema_version', '1'), ('model_id', 'm'), ('dim', '${DIM}'), ('model', 'm'), ('threshold', '1'), ('created_at', '2026-01-01T00:00:00Z');
      INSERT INTO subjects VALUES (1, 'old', '2026-01-01T00:00:00Z');
    `);
    const [v] = unitVectors(1, DIM, 4);
    db.prepare("INSERT INTO faces (subject_id, model_id, embedding, created_at) VALUES (1, 'm', ?, '2026-01-01T00:00:00Z')").run(Buffer.from(v!.buffer));
    db.close();
    const g = await openGallery(file);
    assert.equal(g.info.schemaVersion, 2);
    assert.equal((await g.identifyEmbeddings([v!]))[0]!.matches[0]!.subject, 'old');
    await g.enrollEmbeddings('new', unitVectors(1, DIM, 5)); // writes the change log the migration added
    await g.close();
    const check = new Database(file);
    assert.equal(check.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get(), '2');
    assert.equal(check.prepare('SELECT COUNT(*) FROM changes').pluck().get(), 1);
    check.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
    check.close();
    await assert.rejects(openGallery(file), { code: 'BAD_FILE', message: /schema version 99.*upgrade facenet/ });
  } finally {
    t.cleanup();
  }
});

test('kill -9 during a bulk enroll loses no acknowledged subject and leaves no half-written one', async () => {
  const t = tempDir();
  try {
    const file = path.join(t.dir, 'g.db');
    const g0 = await createGallery(file, { ...INFO, dim: 64 });
    await g0.close();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'kill-child.fixture.ts'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acked: string[] = [];
    let buf = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child acknowledged only ${acked.length} subjects in 60 s`)), 60000);
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) if (l.startsWith('ack ')) acked.push(l.slice(4));
        if (acked.length >= 40) {
          clearTimeout(timer);
          child.kill('SIGKILL'); // mid-stream: the child is inside its next transaction or about to be
          resolve();
        }
      });
      child.on('exit', (code) => {
        if (acked.length < 40) reject(new Error(`child exited early (${code})`));
      });
    });
    await new Promise((r) => child.once('exit', r));
    const g = await openGallery(file);
    const subjects = await g.subjects();
    const byName = new Map(subjects.map((s) => [s.name, s.faces]));
    for (const s of acked) assert.equal(byName.get(s), 3, `acknowledged ${s} has ${byName.get(s)} faces`);
    for (const s of subjects) assert.equal(s.faces, 3, `${s.name} is half-written`);
    assert.ok(subjects.length >= acked.length);
    assert.equal(g.size, subjects.length * 3);
    // the gallery is usable afterwards
    await g.enrollEmbeddings('after', unitVectors(1, 64, 9));
    await g.close();
  } finally {
    t.cleanup();
  }
});
