/** Image-level enroll / identify / verify through a structural FaceSource (a fake one: no network needed). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createGallery, type FaceSource } from './index.js';
import { FacenetError } from '../errors.js';
import type { Face } from '../detect/face.js';
import { jitter, tempDir, unitVectors } from './test-helpers.js';

const DIM = 8;
const [ALICE, BOB] = unitVectors(2, DIM, 21);

function face(size: number): Face {
  return { box: [0, 0, size, size], prob: 0.99, landmarks: [[1, 1], [2, 1], [1.5, 2], [1, 3], [2, 3]] };
}

/** Images are names; each maps to the faces "found" in it. */
function fakeSource(modelId = 'm'): FaceSource & { calls: number } {
  const images: Record<string, { face: Face; embedding: Float32Array }[]> = {
    'alice1.jpg': [{ face: face(50), embedding: jitter(ALICE!, 0.05, 1) }],
    'alice2.jpg': [{ face: face(50), embedding: jitter(ALICE!, 0.05, 2) }],
    'empty.jpg': [],
    'group.jpg': [{ face: face(20), embedding: BOB! }, { face: face(80), embedding: jitter(ALICE!, 0.05, 3) }],
    'bob.jpg': [{ face: face(40), embedding: jitter(BOB!, 0.05, 4) }],
  };
  const src = {
    modelId,
    calls: 0,
    async faces(image: unknown) {
      src.calls++;
      if (typeof image !== 'string' || !(image in images)) throw new FacenetError('BAD_IMAGE', `cannot decode ${String(image)}`);
      return images[image]!;
    },
  };
  return src;
}

test('enroll from images: per-image failures reported, the others enrolled in one go', async () => {
  const t = tempDir();
  try {
    const g = await createGallery(path.join(t.dir, 'g.db'), { modelId: 'm', dim: DIM, model: 'm', threshold: 1.0 }, { source: fakeSource() });
    const r = await g.enroll('alice', ['alice1.jpg', 'empty.jpg', 'group.jpg', 'broken.jpg', 'alice2.jpg', new Float32Array(DIM + 2), jitter(ALICE!, 0.05, 9)], { metadata: { by: 'test' } });
    assert.equal(r.faceIds.length, 3);
    assert.deepEqual(r.failures.map((f) => [f.index, f.input, f.code]), [
      [1, 'empty.jpg', 'NO_FACE'],
      [2, 'group.jpg', 'SEVERAL_FACES'],
      [3, 'broken.jpg', 'BAD_IMAGE'],
      [5, '#5', 'BAD_EMBEDDING'],
    ]);
    assert.match(r.failures[1]!.reason, /largest-face/);
    assert.deepEqual(await g.subjects(), [{ name: 'alice', faces: 3 }]);
    // with largestFace the group photo enrolls its largest face (alice's)
    const r2 = await g.enroll('alice', ['group.jpg'], { largestFace: true });
    assert.equal(r2.faceIds.length, 1);
    // nothing usable: nothing enrolled, no subject created
    const r3 = await g.enroll('nobody', ['empty.jpg']);
    assert.deepEqual(r3.faceIds, []);
    assert.equal(r3.failures.length, 1);
    assert.deepEqual((await g.subjects()).map((s) => s.name), ['alice']);
    await g.close();
  } finally {
    t.cleanup();
  }
});

test('identify every face of an image; verify one subject', async () => {
  const t = tempDir();
  try {
    const g = await createGallery(path.join(t.dir, 'g.db'), { modelId: 'm', dim: DIM, model: 'm', threshold: 1.0 }, { source: fakeSource() });
    await g.enroll('alice', ['alice1.jpg']);
    await g.enroll('bob', ['bob.jpg']);
    const found = await g.identify('group.jpg', { k: 1 });
    assert.equal(found.length, 2);
    assert.deepEqual(found.map((f) => [f.face!.box[2], f.matches[0]!.subject, f.unknown]), [[20, 'bob', false], [80, 'alice', false]]);
    assert.deepEqual(await g.identify('empty.jpg'), []);
    const [byEmbedding] = await g.identify(ALICE!);
    assert.equal(byEmbedding!.face, null);
    assert.equal(byEmbedding!.matches[0]!.subject, 'alice');
    const yes = await g.verify('alice', 'alice2.jpg');
    assert.equal(yes.match, true);
    assert.ok(yes.distance < 0.2);
    const no = await g.verify('bob', 'alice2.jpg');
    assert.equal(no.match, false);
    assert.ok(no.distance ** 2 >= 1.0);
    await assert.rejects(g.verify('carol', 'alice2.jpg'), { code: 'NOT_FOUND' });
    await assert.rejects(g.verify('alice', 'group.jpg'), { code: 'BAD_IMAGE', message: /2 faces/ });
    assert.equal((await g.verify('alice', 'group.jpg', { largestFace: true })).match, true);
    await g.close();
  } finally {
    t.cleanup();
  }
});

test('a face source of another model is refused; images without a source are refused', async () => {
  const t = tempDir();
  try {
    await assert.rejects(createGallery(path.join(t.dir, 'g.db'), { modelId: 'm', dim: DIM, model: 'm', threshold: null }, { source: fakeSource('other') }), { code: 'MODEL_MISMATCH' });
    const g = await createGallery(path.join(t.dir, 'h.db'), { modelId: 'm', dim: DIM, model: 'm', threshold: null });
    await assert.rejects(g.enroll('alice', ['alice1.jpg']), { code: 'BAD_ARGUMENT', message: /face source/ });
    assert.throws(() => g.attachSource(fakeSource('other')), { code: 'MODEL_MISMATCH' });
    g.attachSource(fakeSource('m'));
    assert.equal((await g.enroll('alice', ['alice1.jpg'])).faceIds.length, 1);
    await g.close();
  } finally {
    t.cleanup();
  }
});
