/**
 * Test fixture: enrolls subjects s0, s1, ... (3 faces each, one transaction each) into the gallery
 * at argv[2] as fast as it can, printing "ack <subject>" after each commit, until killed.
 */
import { openGallery } from './index.js';
import { unitVectors } from './test-helpers.js';

const g = await openGallery(process.argv[2]!);
for (let i = 0; ; i++) {
  const faces = unitVectors(3, g.info.dim, 1000 + i);
  await g.enrollEmbeddings(`s${i}`, faces);
  process.stdout.write(`ack s${i}\n`);
}
