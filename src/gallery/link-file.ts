/**
 * A gallery link: a small JSON file `{ "facenetGallery": "postgres://…" }` standing for a gallery
 * that lives in PostgreSQL, so that `facenet gallery create DB --store postgres://…` and every
 * later `facenet gallery … DB` name the gallery the same way. (SQLite files start with
 * "SQLite format 3", so the two never mix.) It holds the URL as given: prefer PGPASSWORD or
 * ~/.pgpass to a password in it.
 */
import { openSync, readSync, closeSync, existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { FacenetError } from '../errors.js';

export const LINK_KEY = 'facenetGallery';

/** The URL a link file names, or null when `file` is not a link file. */
export function readGalleryLink(file: string): string | null {
  if (!existsSync(file)) return null;
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.subarray(0, n).toString('utf8').trim();
    if (!text.startsWith('{')) return null;
    const url = (JSON.parse(text) as Record<string, unknown>)[LINK_KEY];
    return typeof url === 'string' ? url : null;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export async function writeGalleryLink(file: string, url: string): Promise<void> {
  if (existsSync(file)) throw new FacenetError('BAD_ARGUMENT', `${file} already exists: choose another name for the gallery link, or remove the file`);
  await writeFile(file, JSON.stringify({ [LINK_KEY]: url }) + '\n', { flag: 'wx', mode: 0o600 });
}
