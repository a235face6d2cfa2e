/**
 * The shared store: PostgreSQL through `pg`, for several server replicas on one gallery.
 * PostgreSQL is the durable store; every write also sends NOTIFY on one channel, carrying the
 * change itself, and each process LISTENs on its own connection and applies the changes to its
 * matrix as they arrive. Notifications are delivered at commit and in commit order, which a
 * sequence number read from a table would not give (sequences are handed out before commit).
 */
import pg from 'pg';
import { FacenetError } from '../errors.js';
import { GALLERY_KIND, META, SCHEMA_VERSION } from './schema.js';
import { parseRoc } from './far-threshold.js';
import { rowsOf } from './sqlite-store.js';
import type { Change, EnrolledItem, EnrollItem, GalleryStore, StoredRows } from './store.js';
import type { CreateGalleryInfo, FaceRecord, GalleryInfo, SubjectSummary } from './types.js';

const CHANNEL = 'facenet_gallery';
const CHUNK = 16384;

const TABLES = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE subjects (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at TIMESTAMPTZ NOT NULL DEFAULT now());
CREATE TABLE faces (
  id BIGSERIAL PRIMARY KEY,
  subject_id BIGINT NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
  model_id TEXT NOT NULL,
  embedding BYTEA NOT NULL,
  metadata JSONB,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX faces_subject ON faces(subject_id);
`;

/** The notification payload: short keys, so a 128-character subject name stays far below 8000 bytes. */
type Wire = { k: 'a'; f: number; t: number } | { k: 'rs'; s: number } | { k: 'rf'; f: number };

function toWire(c: Change): Wire {
  if (c.kind === 'add') return { k: 'a', f: c.fromFaceId, t: c.toFaceId };
  if (c.kind === 'removeSubject') return { k: 'rs', s: c.subjectId };
  return { k: 'rf', f: c.faceId };
}

function fromWire(payload: string | undefined): Change | null {
  try {
    const w = JSON.parse(payload ?? '') as Wire;
    if (w.k === 'a') return { kind: 'add', fromFaceId: w.f, toFaceId: w.t };
    if (w.k === 'rs') return { kind: 'removeSubject', subjectId: w.s };
    if (w.k === 'rf') return { kind: 'removeFace', faceId: w.f };
  } catch {
    // not ours: ignore
  }
  return null;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

export function pgError(e: unknown, url: string): unknown {
  if (e instanceof FacenetError || !(e instanceof Error)) return e;
  const code = (e as { code?: string }).code ?? '';
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || code === '3D000' || code === '28P01' || code === '28000') {
    return new FacenetError('NOT_FOUND', `cannot reach the PostgreSQL gallery ${redact(url)} (${e.message}): check that the server runs, the database exists and the URL's user may log in`, { cause: e });
  }
  if (code === '55P03' || code === '40P01') return new FacenetError('BUSY', `PostgreSQL gallery ${redact(url)} is locked (${e.message}): retry`, { cause: e });
  return e;
}

/** A pool on `url`; an idle client's error is left for the next query to report. */
export function newPgPool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => undefined);
  return pool;
}

export class PgStore implements GalleryStore {
  private listeners: ((c: Change[]) => void)[] = [];
  private listenClient: pg.Client | null = null;

  private constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
    readonly info: GalleryInfo,
  ) {}

  private async guard<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw pgError(e, this.location);
    }
  }

  private static pool(url: string): pg.Pool {
    return newPgPool(url, 4);
  }

  static async create(url: string, info: CreateGalleryInfo): Promise<PgStore> {
    const pool = PgStore.pool(url);
    try {
      const createdAt = new Date().toISOString();
      await tx(pool, async (c) => {
        const exists = await c.query("SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name IN ('meta', 'subjects', 'faces')");
        if (exists.rowCount) throw new FacenetError('BAD_ARGUMENT', `database ${redact(url)} already has gallery tables (meta, subjects, faces): open it, or use another database`);
        await c.query(TABLES);
        const put = (k: string, v: string) => c.query('INSERT INTO meta (key, value) VALUES ($1, $2)', [k, v]);
        await put(META.kind, GALLERY_KIND);
        await put(META.schemaVersion, String(SCHEMA_VERSION));
        await put(META.modelId, info.modelId);
        await put(META.dim, String(info.dim));
        await put(META.model, info.model);
        await put(META.threshold, JSON.stringify(info.threshold));
        await put(META.roc, JSON.stringify(info.roc ?? null));
        await put(META.createdAt, createdAt);
      });
      const store = new PgStore(pool, url, { modelId: info.modelId, dim: info.dim, model: info.model, threshold: info.threshold, roc: info.roc ?? null, schemaVersion: SCHEMA_VERSION, createdAt });
      await store.listen();
      return store;
    } catch (e) {
      await pool.end();
      throw pgError(e, url);
    }
  }

  static async open(url: string): Promise<PgStore> {
    const pool = PgStore.pool(url);
    try {
      const info = await readInfo(pool, url);
      const store = new PgStore(pool, url, info);
      await store.listen();
      return store;
    } catch (e) {
      await pool.end();
      throw pgError(e, url);
    }
  }

  /** LISTEN before the rows load, so nothing committed after the load's snapshot is missed. */
  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.location });
    client.on('error', () => undefined);
    await client.connect();
    client.on('notification', (n) => {
      if (n.channel !== CHANNEL) return;
      const c = fromWire(n.payload);
      if (c) for (const l of this.listeners) l([c]);
    });
    await client.query(`LISTEN ${CHANNEL}`);
    this.listenClient = client;
  }

  onChanges(listener: (changes: Change[]) => void): void {
    this.listeners.push(listener);
  }

  async subjectNames(): Promise<Map<number, string>> {
    return this.guard(async () => {
      const r = await this.pool.query<{ id: string; name: string }>('SELECT id, name FROM subjects');
      return new Map(r.rows.map((x) => [Number(x.id), x.name]));
    });
  }

  async countFaces(): Promise<number> {
    return this.guard(async () => Number((await this.pool.query<{ n: string }>('SELECT COUNT(*) AS n FROM faces')).rows[0]!.n));
  }

  async loadFaces(onChunk: (rows: StoredRows) => void): Promise<void> {
    await this.guard(() =>
      tx(
        this.pool,
        async (c) => {
          let after = 0;
          for (;;) {
            const r = await c.query({ text: 'SELECT id, subject_id, embedding FROM faces WHERE id > $1 ORDER BY id LIMIT $2', values: [after, CHUNK], rowMode: 'array' });
            if (r.rows.length === 0) break;
            const rows = rowsOf(r.rows as [string, string, Buffer][], this.info.dim);
            onChunk(rows);
            after = rows.faceIds[rows.faceIds.length - 1]!;
            if (r.rows.length < CHUNK) break;
          }
        },
        'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
      ),
    );
  }

  async loadAdded(ch: Extract<Change, { kind: 'add' }>): Promise<StoredRows & { names: Map<number, string> }> {
    return this.guard(async () => {
      // The range may hold rows of other transactions too (sequences interleave): loading them now is harmless.
      const r = await this.pool.query({ text: 'SELECT f.id, f.subject_id, f.embedding, s.name FROM faces f JOIN subjects s ON s.id = f.subject_id WHERE f.id BETWEEN $1 AND $2 ORDER BY f.id', values: [ch.fromFaceId, ch.toFaceId], rowMode: 'array' });
      return rowsOf(r.rows as [string, string, Buffer, string][], this.info.dim);
    });
  }

  async enroll(items: readonly EnrollItem[], modelId: string): Promise<EnrolledItem[]> {
    return this.guard(() =>
      tx(this.pool, async (c) => {
        const out: EnrolledItem[] = [];
        for (const item of items) {
          const s = await c.query<{ id: string }>('INSERT INTO subjects (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id', [item.subject]);
          const sid = Number(s.rows[0]!.id);
          const blobs = item.embeddings.map((e) => Buffer.from(e.buffer, e.byteOffset, e.byteLength));
          const f = await c.query<{ id: string }>('INSERT INTO faces (subject_id, model_id, embedding, metadata) SELECT $1, $2, e, $4::jsonb FROM unnest($3::bytea[]) AS e RETURNING id', [
            sid,
            modelId,
            blobs,
            item.metadata ? JSON.stringify(item.metadata) : null,
          ]);
          // ids of one INSERT come from nextval in row order: ascending is input order
          const faceIds = f.rows.map((x) => Number(x.id)).sort((a, b) => a - b);
          out.push({ subject: item.subject, subjectId: sid, faceIds });
        }
        const ids = out.flatMap((o) => o.faceIds);
        if (ids.length > 0) {
          const change: Change = { kind: 'add', fromFaceId: ids.reduce((a, b) => Math.min(a, b)), toFaceId: ids.reduce((a, b) => Math.max(a, b)) };
          await c.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify(toWire(change))]);
        }
        return out;
      }),
    );
  }

  async subjects(): Promise<SubjectSummary[]> {
    return this.guard(async () => {
      const r = await this.pool.query<{ name: string; faces: string }>('SELECT s.name, COUNT(f.id) AS faces FROM subjects s LEFT JOIN faces f ON f.subject_id = s.id GROUP BY s.id ORDER BY s.name COLLATE "C"');
      return r.rows.map((x) => ({ name: x.name, faces: Number(x.faces) }));
    });
  }

  async faces(subject: string): Promise<FaceRecord[]> {
    return this.guard(async () => {
      const r = await this.pool.query<{ id: string; metadata: Record<string, unknown> | null; created_at: Date }>('SELECT f.id, f.metadata, f.created_at FROM faces f JOIN subjects s ON s.id = f.subject_id WHERE s.name = $1 ORDER BY f.id', [subject]);
      return r.rows.map((x) => ({ faceId: String(x.id), subject, metadata: x.metadata, createdAt: x.created_at.toISOString() }));
    });
  }

  async removeSubject(name: string): Promise<{ subjectId: number; faceIds: number[] } | null> {
    return this.guard(() =>
      tx(this.pool, async (c) => {
        const s = await c.query<{ id: string }>('SELECT id FROM subjects WHERE name = $1 FOR UPDATE', [name]);
        if (!s.rowCount) return null;
        const sid = Number(s.rows[0]!.id);
        const f = await c.query<{ id: string }>('DELETE FROM faces WHERE subject_id = $1 RETURNING id', [sid]);
        await c.query('DELETE FROM subjects WHERE id = $1', [sid]);
        await c.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify(toWire({ kind: 'removeSubject', subjectId: sid }))]);
        return { subjectId: sid, faceIds: f.rows.map((x) => Number(x.id)) };
      }),
    );
  }

  async removeFace(faceId: number): Promise<boolean> {
    return this.guard(() =>
      tx(this.pool, async (c) => {
        const f = await c.query<{ subject_id: string }>('DELETE FROM faces WHERE id = $1 RETURNING subject_id', [faceId]);
        if (!f.rowCount) return false;
        const sid = f.rows[0]!.subject_id;
        await c.query('DELETE FROM subjects WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM faces WHERE subject_id = $1)', [sid]);
        await c.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify(toWire({ kind: 'removeFace', faceId }))]);
        return true;
      }),
    );
  }

  /** Nothing to poll: changes are pushed through onChanges as they are committed. */
  async pollChanges(): Promise<Change[]> {
    return [];
  }

  async close(): Promise<void> {
    this.listeners = [];
    const l = this.listenClient;
    this.listenClient = null;
    await l?.end().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }
}

async function tx<T>(pool: pg.Pool, f: (c: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query(begin);
    const out = await f(c);
    await c.query('COMMIT');
    return out;
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    c.release();
  }
}

async function readInfo(pool: pg.Pool, url: string): Promise<GalleryInfo> {
  const t = await pool.query("SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'meta'");
  const create = `create one with \`facenet gallery create ${redact(url)} --model M\``;
  // No gallery tables at all is NOT_FOUND, as a missing SQLite file is (so `facenet serve --model M`
  // creates the gallery there); other tables named meta are BAD_FILE.
  if (!t.rowCount) throw new FacenetError('NOT_FOUND', `database ${redact(url)} holds no facenet gallery yet: ${create}`);
  const notGallery = () => new FacenetError('BAD_FILE', `database ${redact(url)} holds no facenet gallery (its table meta is not a gallery's): ${create}, in another database`);
  const m = new Map((await pool.query<{ key: string; value: string }>('SELECT key, value FROM meta')).rows.map((r) => [r.key, r.value]));
  if (m.get(META.kind) !== GALLERY_KIND) throw notGallery();
  const version = Number(m.get(META.schemaVersion));
  if (version > SCHEMA_VERSION) throw new FacenetError('BAD_FILE', `gallery ${redact(url)} has schema version ${version}, newer than this facenet understands (${SCHEMA_VERSION}): upgrade facenet`);
  // PostgreSQL galleries start at version 2 (the change log is NOTIFY): nothing to migrate yet.
  const dim = Number(m.get(META.dim));
  const modelId = m.get(META.modelId);
  if (!modelId || !Number.isInteger(dim) || dim <= 0) throw new FacenetError('BAD_FILE', `gallery ${redact(url)} lacks its model id or embedding size`);
  const threshold = JSON.parse(m.get(META.threshold) ?? 'null') as unknown;
  return {
    modelId,
    dim,
    model: m.get(META.model) ?? modelId,
    threshold: typeof threshold === 'number' ? threshold : null,
    roc: parseRoc(JSON.parse(m.get(META.roc) ?? 'null')),
    schemaVersion: SCHEMA_VERSION,
    createdAt: m.get(META.createdAt) ?? '',
  };
}
