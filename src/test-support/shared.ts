/**
 * Where tests find ../shared (fixtures and the offline asset mirror): beside the repository, in
 * development and in CI alike, or wherever FACENET_SHARED points. Tests read it in place.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const SHARED = process.env['FACENET_SHARED'] ?? path.resolve(repoRoot, '../shared');
export const ZOO = path.join(SHARED, 'zoo');
export const FIXTURES = path.join(SHARED, 'fixtures');
