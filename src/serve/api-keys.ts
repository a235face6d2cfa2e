/**
 * API keys of `facenet serve`, kept in the gallery's SQLite database in a table of their own
 * (never the gallery's tables). Only a key's SHA-256 is stored; the key itself is shown once, at
 * creation. A key is 32 random bytes, so a plain hash (no salt, no slow KDF) is enough: there is
 * no dictionary to attack.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { FacenetError } from '../errors.js';

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

export class ApiKeyStore {
  private constructor(private readonly db: Database.Database) {}

  /** Opens the key table of the gallery at `location` (an existing SQLite file). */
  static async open(location: string): Promise<ApiKeyStore> {
    if (/^postgres(ql)?:\/\//.test(location)) {
      throw new FacenetError('BAD_ARGUMENT', `API keys are kept in SQLite galleries only for now; ${location.replace(/\/\/[^@]*@/, '//***@')} is PostgreSQL (serve it on a loopback host without keys, or use a SQLite gallery)`);
    }
    if (!existsSync(location)) {
      throw new FacenetError('NOT_FOUND', `no gallery at ${location}: start \`facenet serve --model M --gallery ${location}\` once to create it, then add keys`);
    }
    // better-sqlite3 is an optional dependency of the package: loaded here, when keys are used.
    let Sqlite: typeof Database;
    try {
      Sqlite = (await import('better-sqlite3')).default;
    } catch (e) {
      throw new FacenetError('NOT_FOUND', 'API keys need the optional package better-sqlite3 (v12), which is not installed: run `npm install better-sqlite3@12` beside facenet', { cause: e });
    }
    const db = new Sqlite(location, { fileMustExist: true, timeout: 5000 });
    db.pragma('journal_mode = WAL');
    db.exec(`CREATE TABLE IF NOT EXISTS serve_api_keys (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      key_sha256 TEXT NOT NULL UNIQUE,
      created_at TEXT NOT NULL,
      revoked_at TEXT
    )`);
    return new ApiKeyStore(db);
  }

  /** A new key; `key` is returned only here. */
  create(name: string): ApiKeyInfo & { key: string } {
    const label = name.trim();
    if (label.length === 0 || label.length > 64 || /[\u0000-\u001f\u007f]/.test(label)) {
      throw new FacenetError('BAD_ARGUMENT', `key name must be 1-64 printable characters, got '${name}'`);
    }
    const key = KEY_PREFIX + randomBytes(32).toString('base64url');
    const id = randomBytes(6).toString('hex');
    const createdAt = new Date().toISOString();
    this.db.prepare('INSERT INTO serve_api_keys (id, name, key_sha256, created_at) VALUES (?, ?, ?, ?)').run(id, label, hashKey(key), createdAt);
    return { id, name: label, createdAt, revokedAt: null, key };
  }

  list(): ApiKeyInfo[] {
    const rows = this.db.prepare('SELECT id, name, created_at, revoked_at FROM serve_api_keys ORDER BY created_at, id').all() as { id: string; name: string; created_at: string; revoked_at: string | null }[];
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, revokedAt: r.revoked_at }));
  }

  /** Revokes the key with this id (or, when unique, this name). */
  revoke(idOrName: string): ApiKeyInfo {
    const matches = this.list().filter((k) => k.revokedAt === null && (k.id === idOrName || k.name === idOrName));
    if (matches.length === 0) throw new FacenetError('NOT_FOUND', `no active API key with id or name '${idOrName}' (see \`facenet serve keys list\`)`);
    if (matches.length > 1 && !matches.some((k) => k.id === idOrName)) {
      throw new FacenetError('BAD_ARGUMENT', `${matches.length} active keys are named '${idOrName}'; revoke by id: ${matches.map((k) => k.id).join(', ')}`);
    }
    const chosen = matches.find((k) => k.id === idOrName) ?? matches[0]!;
    const revokedAt = new Date().toISOString();
    this.db.prepare('UPDATE serve_api_keys SET revoked_at = ? WHERE id = ?').run(revokedAt, chosen.id);
    return { ...chosen, revokedAt };
  }

  activeCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM serve_api_keys WHERE revoked_at IS NULL').get() as { n: number }).n;
  }

  /** The active key's id, or null. Read per request, so a revocation takes effect at once. */
  verify(key: string): string | null {
    if (!key.startsWith(KEY_PREFIX)) return null;
    const row = this.db.prepare('SELECT id FROM serve_api_keys WHERE key_sha256 = ? AND revoked_at IS NULL').get(hashKey(key)) as { id: string } | undefined;
    return row?.id ?? null;
  }

  close(): void {
    this.db.close();
  }
}
