/** Gallery on SQLite: enroll, identify (exact, best face and centroid), thresholds, removal, reopen, model checks. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createGallery, openGallery } from './index.js';
import { atCosine, bruteForce, dot, jitter, tempDir, unitVectors } from './test-helpers.js';

const DIM = 16;
const INFO = { modelId: 'test-model', dim: DIM, model: 'test-model.safetensors', threshold: 1.0 };

describe('gallery on SQLite', () => {
  test('enroll, identify with ranking and distances, unknown rejection, k', async () => {
    const t = tempDir();
    try {
      const g = await createGallery(path.join(t.dir, 'g.db'), INFO);
      const [alice, bob, carol, stranger] = unitVectors(4, DIM, 1);
      const a = await g.enrollEmbeddings('alice', [alice!, jitter(alice!, 0.2, 11)], { metadata: { source: 'a.jpg' } });
      assert.equal(a.faceIds.length, 2);
      await g.enrollEmbeddings('bob', [bob!]);
      await g.enrollEmbeddings('carol', [carol!]);
      const [res] = await g.identifyEmbeddings([jitter(alice!, 0.1, 12)], { k: 2 });
      assert.equal(res!.unknown, false);
      assert.equal(res!.matches.length, 2);
      assert.equal(res!.matches[0]!.subject, 'alice');
      const m = res!.matches[0]!;
      assert.ok(Math.abs(m.distance * m.distance - (2 - 2 * m.similarity)) < 1e-5);
      assert.ok(a.faceIds.includes(m.faceId));
      assert.ok(res!.matches[1]!.similarity <= m.similarity);
      // a random direction is far from all three (cosine ~0, squared distance ~2 > 1)
      const [far] = await g.identifyEmbeddings([stranger!]);
      assert.equal(far!.unknown, true);
      assert.equal(far!.matches.length, 3);
      // an explicit threshold overrides the stored one
      const [lenient] = await g.identifyEmbeddings([stranger!], { threshold: 4 });
      assert.equal(lenient!.unknown, false);
      // scaling a query does not change the answer (queries are normalised)
      const scaled = alice!.map((x) => x * 7);
      const [s] = await g.identifyEmbeddings([scaled]);
      assert.equal(s!.matches[0]!.subject, 'alice');
      assert.ok(s!.matches[0]!.similarity > 0.999);
      await g.close();
    } finally {
      t.cleanup();
    }
  });

  test('exact: matches a brute-force scan for single and batched queries', async () => {
    const t = tempDir();
    try {
      const g = await createGallery(path.join(t.dir, 'g.db'), { ...INFO, threshold: null });
      const vecs = unitVectors(600, DIM, 2);
      const faces = vecs.map((embedding, i) => ({ subject: `s${i % 97}`, embedding }));
      await g.enrollMany(faces.map((f) => ({ subject: f.subject, embeddings: [f.embedding] })), { facesPerTransaction: 50 });
      assert.equal(g.size, 600);
      const queries = unitVectors(9, DIM, 3);
      const one = await g.identifyEmbeddings([queries[0]!], { k: 10 });
      const batch = await g.identifyEmbeddings(queries, { k: 10 });
      for (let i = 0; i < queries.length; i++) {
        const ref = bruteForce(faces, queries[i]!, 10);
        const got = batch[i]!;
        assert.equal(got.unknown, false); // no threshold: never unknown while the gallery has faces
        assert.deepEqual(got.matches.map((x) => x.subject), ref.map((x) => x.subject));
        got.matches.forEach((x, j) => assert.ok(Math.abs(x.similarity - ref[j]!.similarity) < 1e-5));
      }
      assert.deepEqual(one[0]!.matches.map((x) => x.subject), batch[0]!.matches.map((x) => x.subject));
      await g.close();
    } finally {
      t.cleanup();
    }
  });

  test('best face vs centroid aggregation rank differently', async () => {
    const t = tempDir();
    try {
      const g = await createGallery(path.join(t.dir, 'g.db'), { ...INFO, threshold: null });
      const [q, other] = unitVectors(2, DIM, 4);
      // 'spread' has one face right at q and two far away: best face wins, its centroid is poor.
      await g.enrollEmbeddings('spread', [jitter(q!, 0.05, 1), jitter(other!, 0.1, 2), jitter(other!, 0.1, 3)]);
      // 'tight' has three faces moderately close to q.
      await g.enrollEmbeddings('tight', [jitter(q!, 0.6, 4), jitter(q!, 0.6, 5), jitter(q!, 0.6, 6)]);
      const [best] = await g.identifyEmbeddings([q!], { aggregate: 'best' });
      const [cent] = await g.identifyEmbeddings([q!], { aggregate: 'centroid' });
      assert.equal(best!.matches[0]!.subject, 'spread');
      assert.equal(cent!.matches[0]!.subject, 'tight');
      assert.equal(cent!.matches.length, 2);
      await g.close();
    } finally {
      t.cleanup();
    }
  });

  test('many faces of one subject do not hide the others (top-k widens)', async () => {
    const t = tempDir();
    try {
      const g = await createGallery(path.join(t.dir, 'g.db'), { ...INFO, threshold: null });
      const [q] = unitVectors(1, DIM, 5);
      await g.enrollEmbeddings('crowd', Array.from({ length: 300 }, (_, i) => jitter(q!, 0.01, 100 + i)));
      await g.enrollEmbeddings('loner', [jitter(q!, 1.5, 7)]);
      const [r] = await g.identifyEmbeddings([q!], { k: 3 });
      assert.deepEqual(r!.matches.map((m) => m.subject), ['crowd', 'loner']);
      await g.close();
    } finally {
      t.cleanup();
    }
  });

  test('list, faces with metadata, remove subject and face, reopen sees the same', async () => {
    const t = tempDir();
    const file = path.join(t.dir, 'g.db');
    try {
      const g = await createGallery(file, INFO);
      const [a, b] = unitVectors(2, DIM, 6);
      const ea = await g.enrollEmbeddings('alice', [a!, jitter(a!, 0.1, 1)], { metadata: { camera: 3 } });
      await g.enrollEmbeddings('bob', [b!]);
      assert.deepEqual(await g.subjects(), [{ name: 'alice', faces: 2 }, { name: 'bob', faces: 1 }]);
      const fa = await g.faces('alice');
      assert.deepEqual(fa.map((f) => f.faceId), ea.faceIds);
      assert.deepEqual(fa[0]!.metadata, { camera: 3 });
      assert.ok(!Number.isNaN(Date.parse(fa[0]!.createdAt)));
      assert.deepEqual(await g.faces('nobody'), []);
      assert.equal(await g.removeFace(ea.faceIds[0]!), true);
      assert.equal(await g.removeFace(ea.faceIds[0]!), false);
      assert.equal(await g.removeFace('not-an-id'), false);
      assert.equal(g.size, 2);
      assert.equal(await g.removeSubject('bob'), 1);
      assert.equal(await g.removeSubject('bob'), 0);
      const [r] = await g.identifyEmbeddings([b!], { k: 5 });
      assert.deepEqual(r!.matches.map((m) => m.subject), ['alice']);
      assert.equal(r!.matches[0]!.faceId, ea.faceIds[1]);
      await g.close();
      const h = await openGallery(file);
      assert.equal(h.info.modelId, 'test-model');
      assert.equal(h.info.dim, DIM);
      assert.equal(h.info.threshold, 1.0);
      assert.equal(h.size, 1);
      assert.deepEqual(await h.subjects(), [{ name: 'alice', faces: 1 }]);
      const [r2] = await h.identifyEmbeddings([a!]);
      assert.equal(r2!.matches[0]!.faceId, ea.faceIds[1]);
      await h.close();
    } finally {
      t.cleanup();
    }
  });

  test('a second instance on the same file follows the writes of the first', async () => {
    const t = tempDir();
    const file = path.join(t.dir, 'g.db');
    try {
      const g1 = await createGallery(file, INFO);
      const g2 = await openGallery(file);
      const [a, b] = unitVectors(2, DIM, 8);
      await g1.enrollEmbeddings('alice', [a!]);
      const [r] = await g2.identifyEmbeddings([a!]);
      assert.equal(r!.matches[0]?.subject, 'alice');
      await g2.enrollEmbeddings('bob', [b!]);
      await g1.removeSubject('alice');
      const [r1] = await g1.identifyEmbeddings([b!]);
      assert.deepEqual(r1!.matches.map((m) => m.subject), ['bob']);
      const [r2] = await g2.identifyEmbeddings([a!]);
      assert.deepEqual(r2!.matches.map((m) => m.subject), ['bob']);
      assert.equal(g2.size, 1);
      await g1.close();
      await g2.close();
    } finally {
      t.cleanup();
    }
  });

  test('refusals: model mismatch, wrong size, bad names, bad options, missing file, existing file, closed', async () => {
    const t = tempDir();
    const file = path.join(t.dir, 'g.db');
    try {
      const g = await createGallery(file, INFO);
      const [a] = unitVectors(1, DIM, 9);
      await assert.rejects(g.identifyEmbeddings([a!], { modelId: 'other-model' }), { code: 'MODEL_MISMATCH', message: /other-model.*test-model/ });
      await assert.rejects(g.enrollEmbeddings('x', [a!], { modelId: 'other-model' }), { code: 'MODEL_MISMATCH' });
      await assert.rejects(g.enrollEmbeddings('x', [new Float32Array(DIM + 1)]), { code: 'SHAPE_MISMATCH' });
      await assert.rejects(g.enrollEmbeddings('x', [new Float32Array(DIM)]), { code: 'BAD_ARGUMENT', message: /zeros/ });
      await assert.rejects(g.enrollEmbeddings('x', []), { code: 'BAD_ARGUMENT' });
      for (const bad of ['', 'a'.repeat(129), 'tab\there', 'new\nline', 'a/b', 'a\\b', '..', ' lead']) {
        await assert.rejects(g.enrollEmbeddings(bad, [a!]), { code: 'BAD_ARGUMENT' }, JSON.stringify(bad));
      }
      await g.enrollEmbeddings('a'.repeat(128), [a!]);
      await g.enrollEmbeddings('Zoë O’Brien-Łukasz 李', [a!]);
      await assert.rejects(g.identifyEmbeddings([a!], { k: 0 }), { code: 'BAD_ARGUMENT' });
      await assert.rejects(g.identifyEmbeddings([a!], { threshold: 1, far: 0.01 }), { code: 'BAD_ARGUMENT' });
      await assert.rejects(g.identifyEmbeddings([a!], { far: 0.01 }), { code: 'BAD_ARGUMENT', message: /ROC/ });
      assert.equal(g.size, 2);
      await g.close();
      await assert.rejects(g.identifyEmbeddings([a!]), { code: 'DISPOSED' });
      await assert.rejects(openGallery(path.join(t.dir, 'missing.db')), { code: 'NOT_FOUND' });
      await assert.rejects(createGallery(file, INFO), { code: 'BAD_ARGUMENT', message: /already exists/ });
    } finally {
      t.cleanup();
    }
  });

  test('far picks the threshold from the stored ROC', async () => {
    const t = tempDir();
    try {
      const roc = { thresholds: [0, 0.5, 1, 1.5, 2], fpr: [0, 0, 0.001, 0.01, 0.5], tpr: [0, 0.5, 0.9, 0.99, 1] };
      const g = await createGallery(path.join(t.dir, 'g.db'), { ...INFO, threshold: 1.2, roc });
      assert.equal(g.resolveThreshold({ far: 0.001 }), 1);
      assert.ok(Math.abs(g.resolveThreshold({ far: 0.0055 })! - 1.25) < 1e-12);
      assert.equal(g.resolveThreshold({}), 1.2);
      const [a] = unitVectors(1, DIM, 10);
      await g.enrollEmbeddings('alice', [a!]);
      // a query at squared distance 1.2: accepted at far 1e-2 (threshold 1.5), refused at 1e-3 (1.0)
      const q = atCosine(a!, 0.4, 3);
      assert.ok(Math.abs(2 - 2 * dot(a!, q) - 1.2) < 1e-5);
      assert.equal((await g.identifyEmbeddings([q], { far: 0.01 }))[0]!.unknown, false);
      assert.equal((await g.identifyEmbeddings([q], { far: 0.001 }))[0]!.unknown, true);
      await g.close();
    } finally {
      t.cleanup();
    }
  });

  test('bfloat16 scan with fp32 re-scoring gives the exact (fp32) answers', async () => {
    const t = tempDir();
    try {
      const g = await createGallery(path.join(t.dir, 'g.db'), { ...INFO, threshold: null }, { precision: 'bfloat16' });
      // near-duplicates make many bf16 near-ties: the re-scoring must still order them exactly
      const base = unitVectors(60, DIM, 11);
      const faces = Array.from({ length: 900 }, (_, i) => ({ subject: `s${i % 150}`, embedding: jitter(base[i % 60]!, 0.02, i) }));
      await g.enrollMany(faces.map((f) => ({ subject: f.subject, embeddings: [f.embedding] })));
      const queries = base.slice(0, 6).map((v, i) => jitter(v, 0.01, 1000 + i));
      for (const batch of [queries.slice(0, 1), queries]) {
        const res = await g.identifyEmbeddings(batch, { k: 8 });
        res.forEach((r, i) => {
          const ref = bruteForce(faces, batch[i]!, 8);
          assert.deepEqual(r.matches.map((m) => m.subject), ref.map((x) => x.subject));
          r.matches.forEach((m, j) => assert.ok(Math.abs(m.similarity - ref[j]!.similarity) < 1e-5));
        });
      }
      assert.equal(g.matrixBytes % (DIM * 6), 0);
      await g.close();
    } finally {
      t.cleanup();
    }
  });
});
