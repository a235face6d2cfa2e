/** createGallery / openGallery: a location (SQLite file path or postgres:// URL) to a Gallery. */
import { FacenetError } from '../errors.js';
import { Gallery, type GalleryOptions } from './gallery.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
import type { GalleryStore } from './store.js';
import type { CreateGalleryInfo } from './types.js';
import { readGalleryLink } from './link-file.js';
import { loadPgStoreModule } from './pg-module.js';

export interface OpenGalleryOptions extends GalleryOptions, SqliteStoreOptions {}

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

async function pgStore(): Promise<typeof import('./pg-store.js').PgStore> {
  return (await loadPgStoreModule()).PgStore;
}

function checkInfo(info: CreateGalleryInfo): void {
  if (!info.modelId) throw new FacenetError('BAD_ARGUMENT', 'createGallery: modelId is empty');
  if (!Number.isInteger(info.dim) || info.dim <= 0) throw new FacenetError('BAD_ARGUMENT', `createGallery: dim must be a positive integer, got ${info.dim}`);
  if (info.threshold !== null && !(Number.isFinite(info.threshold) && info.threshold >= 0)) throw new FacenetError('BAD_ARGUMENT', `createGallery: threshold must be null or a squared-L2 distance >= 0, got ${info.threshold}`);
}

/** Creates a new, empty gallery for one model. Fails if one exists at the location. */
export async function createGallery(location: string, info: CreateGalleryInfo, options: OpenGalleryOptions = {}): Promise<Gallery> {
  checkInfo(info);
  let store: GalleryStore;
  if (isPostgresUrl(location)) {
    store = await (await pgStore()).create(location, info);
  } else {
    store = await SqliteStore.create(location, info, options);
  }
  return Gallery.fromStore(store, options);
}

/** A postgres:// URL, a gallery link file's URL, or the SQLite path as given. */
export function resolveGalleryLocation(location: string): string {
  if (isPostgresUrl(location)) return location;
  return readGalleryLink(location) ?? location;
}

/** Opens an existing gallery (NOT_FOUND when there is none) and loads its search matrix. A gallery link file opens the PostgreSQL gallery it names. */
export async function openGallery(location: string, options: OpenGalleryOptions = {}): Promise<Gallery> {
  let store: GalleryStore;
  location = resolveGalleryLocation(location);
  if (isPostgresUrl(location)) {
    store = await (await pgStore()).open(location);
  } else {
    store = await SqliteStore.open(location, options);
  }
  return Gallery.fromStore(store, options);
}
