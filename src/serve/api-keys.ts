/**
 * API keys of `facenet serve`, kept in the gallery's own database in a table of their own (never
 * the gallery's tables): the SQLite file, or the PostgreSQL database that several replicas share
 * (so a key created once works on every replica, and a revocation reaches all of them at once,
 * since keys are read per request). Only a key's SHA-256 is stored; the key itself is shown once,
 * at creation. A key is 32 random bytes, so a plain hash (no salt, no slow KDF) is enough: there
 * is no dictionary to attack.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { FacenetError } from '../errors.js';
import { isPostgresUrl, resolveGalleryLocation } from '../gallery/index.js';
import { loadPgStoreModule } from '../gallery/pg-module.js';

export interface ApiKeyInfo {
  id: string;
  name: string;
  createdAt: string;
  revokedAt: string | null;
}

const KEY_PREFIX = 'fnk_';

function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** The key table's storage: the same five operations on SQLite or PostgreSQL. */
interface KeyTable {
  insert(k: ApiKeyInfo, sha256: string): Promise<void>;
  all(): Promise<ApiKeyInfo[]>;
  setRevoked(id: string, revokedAt: string): Promise<void>;
  countActive(): Promise<number>;
  /** The id of the active key with this hash, or null. */
  findActive(sha256: string): Promise<string | null>;
  close(): Promise<void>;
}

// created_at / revoked_at are ISO strings in both databases, so listings read the same.
const COLUMNS = `id TEXT PRIMARY KEY, name TEXT NOT NULL, key_sha256 TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, revoked_at TEXT`;
type Row = { id: string; name: string; created_at: string; revoked_at: string | null };
const toInfo = (r: Row): ApiKeyInfo => ({ id: r.id, name: r.name, createdAt: r.created_at, revokedAt: r.revoked_at });

async function sqliteKeyTable(file: string): Promise<KeyTable> {
  if (!existsSync(file)) {
    throw new FacenetError('NOT_FOUND', `no gallery at ${file}: start \`facenet serve --model M --gallery ${file}\` once to create it, then add keys`);
  }
  // better-sqlite3 is an optional dependency of the package: loaded here, when keys are used.
  let Sqlite: typeof Database;
  try {
    Sqlite = (await import('better-sqlite3')).default;
  } catch (e) {
    throw new FacenetError('NOT_FOUND', 'API keys need the optional package better-sqlite3 (v12), which is not installed: run `npm install better-sqlite3@12` beside facenet', { cause: e });
  }
  const db = new Sqlite(file, { fileMustExist: true, timeout: 5000 });
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE IF NOT EXISTS serve_api_keys (${COLUMNS})`);
  return {
    insert: async (k, sha256) => void db.prepare('INSERT INTO serve_api_keys (id, name, key_sha256, created_at) VALUES (?, ?, ?, ?)').run(k.id, k.name, sha256, k.createdAt),
    all: async () => (db.prepare('SELECT id, name, created_at, revoked_at FROM serve_api_keys ORDER BY created_at, id').all() as Row[]).map(toInfo),
    setRevoked: async (id, revokedAt) => void db.prepare('UPDATE serve_api_keys SET revoked_at = ? WHERE id = ?').run(revokedAt, id),
    countActive: async () => (db.prepare('SELECT count(*) AS n FROM serve_api_keys WHERE revoked_at IS NULL').get() as { n: number }).n,
    findActive: async (sha256) => (db.prepare('SELECT id FROM serve_api_keys WHERE key_sha256 = ? AND revoked_at IS NULL').get(sha256) as { id: string } | undefined)?.id ?? null,
    close: async () => void db.close(),
  };
}

async function pgKeyTable(url: string): Promise<KeyTable> {
  // the gallery's own pool and error wording (and its message when the optional pg is missing)
  const { newPgPool, pgError } = await loadPgStoreModule();
  const pool = newPgPool(url, 2);
  const query = async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> => {
    try {
      return (await pool.query<R>(sql, params)).rows;
    } catch (e) {
      throw pgError(e, url);
    }
  };
  try {
    await query(`CREATE TABLE IF NOT EXISTS serve_api_keys (${COLUMNS})`);
  } catch (e) {
    await pool.end();
    throw e;
  }
  return {
    insert: async (k, sha256) => void (await query('INSERT INTO serve_api_keys (id, name, key_sha256, created_at) VALUES ($1, $2, $3, $4)', [k.id, k.name, sha256, k.createdAt])),
    all: async () => (await query<Row>('SELECT id, name, created_at, revoked_at FROM serve_api_keys ORDER BY created_at, id')).map(toInfo),
    setRevoked: async (id, revokedAt) => void (await query('UPDATE serve_api_keys SET revoked_at = $1 WHERE id = $2', [revokedAt, id])),
    countActive: async () => Number((await query<{ n: string }>('SELECT count(*) AS n FROM serve_api_keys WHERE revoked_at IS NULL'))[0]!.n),
    findActive: async (sha256) => (await query<{ id: string }>('SELECT id FROM serve_api_keys WHERE key_sha256 = $1 AND revoked_at IS NULL', [sha256]))[0]?.id ?? null,
    close: () => pool.end(),
  };
}

export class ApiKeyStore {
  private constructor(private readonly table: KeyTable) {}

  /** Opens the key table of the gallery at `location`: a SQLite file, a postgres:// URL or a gallery link file. */
  static async open(location: string): Promise<ApiKeyStore> {
    const resolved = resolveGalleryLocation(location);
    return new ApiKeyStore(isPostgresUrl(resolved) ? await pgKeyTable(resolved) : await sqliteKeyTable(resolved));
  }

  /** A new key; `key` is returned only here. */
  async create(name: string): Promise<ApiKeyInfo & { key: string }> {
    const label = name.trim();
    if (label.length === 0 || label.length > 64 || /[\u0000-\u001f\u007f]/.test(label)) {
      throw new FacenetError('BAD_ARGUMENT', `key name must be 1-64 printable characters, got '${name}'`);
    }
    const key = KEY_PREFIX + randomBytes(32).toString('base64url');
    const info: ApiKeyInfo = { id: randomBytes(6).toString('hex'), name: label, createdAt: new Date().toISOString(), revokedAt: null };
    await this.table.insert(info, hashKey(key));
    return { ...info, key };
  }

  list(): Promise<ApiKeyInfo[]> {
    return this.table.all();
  }

  /** Revokes the key with this id (or, when unique, this name). */
  async revoke(idOrName: string): Promise<ApiKeyInfo> {
    const matches = (await this.list()).filter((k) => k.revokedAt === null && (k.id === idOrName || k.name === idOrName));
    if (matches.length === 0) throw new FacenetError('NOT_FOUND', `no active API key with id or name '${idOrName}' (see \`facenet serve keys list\`)`);
    if (matches.length > 1 && !matches.some((k) => k.id === idOrName)) {
      throw new FacenetError('BAD_ARGUMENT', `${matches.length} active keys are named '${idOrName}'; revoke by id: ${matches.map((k) => k.id).join(', ')}`);
    }
    const chosen = matches.find((k) => k.id === idOrName) ?? matches[0]!;
    const revokedAt = new Date().toISOString();
    await this.table.setRevoked(chosen.id, revokedAt);
    return { ...chosen, revokedAt };
  }

  activeCount(): Promise<number> {
    return this.table.countActive();
  }

  /** The active key's id, or null. Read per request, so a revocation takes effect at once. */
  async verify(key: string): Promise<string | null> {
    if (!key.startsWith(KEY_PREFIX)) return null;
    return this.table.findActive(hashKey(key));
  }

  close(): Promise<void> {
    return this.table.close();
  }
}
