/**
 * pg is an optional dependency: the PostgreSQL store (and `facenet serve`'s key table on such a
 * gallery) load it through here, with one message when it is not installed. Its own file, kept
 * out of the package's public declarations: its type names pg-store.js, whose declarations import
 * pg's, which a consumer without pg cannot resolve.
 */
import { FacenetError } from '../errors.js';

export async function loadPgStoreModule(): Promise<typeof import('./pg-store.js')> {
  try {
    return await import('./pg-store.js');
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') throw new FacenetError('NOT_FOUND', 'PostgreSQL galleries need the optional package pg, which is not installed: run `npm install pg` beside facenet', { cause: e });
    throw e;
  }
}
