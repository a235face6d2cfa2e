/** The PostgreSQL store against a real throwaway PostgreSQL 15 cluster (scripts/test-postgres.sh). */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createGallery, openGallery, type Gallery } from './index.js';
import { freshDatabase, postgresUrl } from './pg-test-db.js';
import { jitter, unitVectors } from './test-helpers.js';

const DIM = 16;
const INFO = { modelId: 'test-model', dim: DIM, model: 'test-model.safetensors', threshold: 1.0 };
const here = path.dirname(fileURLToPath(import.meta.url));

/** Polls until f() holds or the time is up; the time it took in ms (Infinity when it never held). */
async function within(ms: number, f: () => Promise<boolean>): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    if (await f()) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 10));
  }
  return Infinity;
}

const top = async (g: Gallery, q: Float32Array) => (await g.identifyEmbeddings([q]))[0]!.matches[0]?.subject;

describe('gallery on PostgreSQL 15', () => {
  before(() => {
    postgresUrl(); // start the cluster once (fails the suite if it cannot)
  });

  test('enroll, identify, list, faces, remove, reopen', async () => {
    const db = await freshDatabase();
    try {
      const g = await createGallery(db.url, INFO);
      const [a, b] = unitVectors(2, DIM, 31);
      const ea = await g.enrollEmbeddings('alice', [a!, jitter(a!, 0.1, 1)], { metadata: { camera: 1 } });
      await g.enrollEmbeddings('bob', [b!]);
      const [r] = await g.identifyEmbeddings([jitter(a!, 0.05, 2)], { k: 2 });
      assert.equal(r!.matches[0]!.subject, 'alice');
      assert.ok(ea.faceIds.includes(r!.matches[0]!.faceId));
      assert.deepEqual(await g.subjects(), [{ name: 'alice', faces: 2 }, { name: 'bob', faces: 1 }]);
      const fa = await g.faces('alice');
      assert.deepEqual(fa.map((f) => f.faceId), ea.faceIds);
      assert.deepEqual(fa[0]!.metadata, { camera: 1 });
      assert.equal(await g.removeFace(ea.faceIds[0]!), true);
      assert.equal(await g.removeSubject('bob'), 1);
      assert.equal(await g.removeSubject('bob'), 0);
      await assert.rejects(createGallery(db.url, INFO), { code: 'BAD_ARGUMENT', message: /already has gallery tables/ });
      await g.close();
      const h = await openGallery(db.url);
      assert.equal(h.info.modelId, 'test-model');
      assert.equal(h.info.threshold, 1.0);
      assert.equal(h.size, 1);
      assert.deepEqual(await h.subjects(), [{ name: 'alice', faces: 1 }]);
      assert.equal((await h.identifyEmbeddings([a!]))[0]!.matches[0]!.faceId, ea.faceIds[1]);
      await assert.rejects(h.identifyEmbeddings([a!], { modelId: 'other' }), { code: 'MODEL_MISMATCH' });
      await h.close();
    } finally {
      await db.drop();
    }
  });

  test('two Gallery instances stay in step through LISTEN/NOTIFY within 1 s', async () => {
    const db = await freshDatabase();
    try {
      const g1 = await createGallery(db.url, INFO);
      const g2 = await openGallery(db.url);
      const [a, b] = unitVectors(2, DIM, 32);
      await g1.enrollEmbeddings('alice', [a!]);
      const tAdd = await within(1000, async () => (await top(g2, a!)) === 'alice');
      assert.ok(tAdd < 1000, `enroll seen by the other instance after ${tAdd} ms`);
      await g2.enrollEmbeddings('bob', [b!]);
      assert.ok((await within(1000, async () => (await top(g1, b!)) === 'bob')) < 1000);
      await g1.removeSubject('bob');
      assert.ok((await within(1000, async () => (await top(g2, b!)) === 'alice')) < 1000);
      assert.equal(g2.size, 1);
      await g1.close();
      await g2.close();
    } finally {
      await db.drop();
    }
  });

  test('a face enrolled by another process is found within 1 s', async () => {
    const db = await freshDatabase();
    try {
      const g = await createGallery(db.url, INFO);
      const [v] = unitVectors(1, DIM, 77); // the child enrolls the same seeded vector
      const child = promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(here, 'pg-child.fixture.ts'), db.url, 'carol', '77'], { timeout: 60000 });
      const { stdout } = await child;
      const acknowledged = performance.now();
      const enrolled = JSON.parse(stdout) as { faceIds: string[] };
      let seenAt = Infinity;
      while (performance.now() - acknowledged < 1000) {
        const [r] = await g.identifyEmbeddings([v!]);
        if (r!.matches[0]?.faceId === enrolled.faceIds[0]) {
          seenAt = performance.now() - acknowledged;
          break;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(seenAt < 1000, `seen ${seenAt} ms after the child acknowledged`);
      await g.close();
    } finally {
      await db.drop();
    }
  });

  test('an unreachable server or a database without a gallery: clear errors', async () => {
    await assert.rejects(openGallery('postgres://facenet@127.0.0.1:1/nothing'), { code: 'NOT_FOUND', message: /cannot reach/ });
    const db = await freshDatabase();
    try {
      // an empty database: NOT_FOUND, as a missing SQLite file (callers such as serve then create it)
      await assert.rejects(openGallery(db.url), { code: 'NOT_FOUND', message: /no facenet gallery yet/ });
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      try {
        await c.query('CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
        await c.query("INSERT INTO meta VALUES ('app', 'something else')");
      } finally {
        await c.end();
      }
      await assert.rejects(openGallery(db.url), { code: 'BAD_FILE', message: /is not a gallery's/ });
    } finally {
      await db.drop();
    }
  });
});
