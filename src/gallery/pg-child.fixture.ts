/** Test fixture: enrolls one subject into the gallery at argv[2] from another process, then exits. */
import { openGallery } from './index.js';
import { unitVectors } from './test-helpers.js';

const [location, subject, seed] = process.argv.slice(2);
const g = await openGallery(location!);
const [v] = unitVectors(1, g.info.dim, Number(seed));
const r = await g.enrollEmbeddings(subject!, [v!]);
process.stdout.write(JSON.stringify(r) + '\n');
await g.close();
