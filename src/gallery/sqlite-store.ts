/**
 * The embedded store: one SQLite file through better-sqlite3 v12 (v13 needs Node 22), in WAL mode
 * so readers (the server, a second process) never block the writer, synchronous=FULL so a
 * committed enroll survives a crash, each enroll one transaction. Face ids are AUTOINCREMENT rows,
 * never reused, so that a process catching up on the change log cannot mistake a new face for an
 * old one.
 */
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { readSnapshot, snapshotPath, writeSnapshot } from './matrix-snapshot.js';
import type Database from 'better-sqlite3';
import { FacenetError } from '../errors.js';
import { GALLERY_KIND, META, SCHEMA_VERSION } from './schema.js';
import { parseRoc } from './far-threshold.js';
import type { Change, EnrolledItem, EnrollItem, GalleryStore, StoredRows } from './store.js';
import type { CreateGalleryInfo, FaceRecord, GalleryInfo, SubjectSummary } from './types.js';

type DB = Database.Database;

export interface SqliteStoreOptions {
  /** How long a write waits for another process's lock before failing with BUSY (default 5000 ms). */
  busyTimeoutMs?: number;
  /** 'full' (default): every commit is on disk; 'normal': survives a process crash, not a power cut. */
  synchronous?: 'full' | 'normal';
  /** Read the matrix snapshot beside the file at open, when it fits (default true). */
  useSnapshot?: boolean;
}

const TABLES_V1 = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE subjects (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
CREATE TABLE faces (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  subject_id INTEGER NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
  model_id TEXT NOT NULL,
  embedding BLOB NOT NULL,
  metadata TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX faces_subject ON faces(subject_id);
`;
const MIGRATE_1_TO_2 = `
CREATE TABLE changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, subject_id INTEGER, subject TEXT, from_id INTEGER, to_id INTEGER);
`;

/** Wraps SQLite's errors into ones that name the file and the fix. */
export function sqliteError(e: unknown, file: string): unknown {
  const code = (e as { code?: string }).code ?? '';
  if (e instanceof FacenetError) return e;
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code.startsWith('SQLITE_BUSY')) {
    return new FacenetError('BUSY', `gallery ${file} is locked by another process (${(e as Error).message}): wait for it to finish, or stop it, and retry`, { cause: e });
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || code.startsWith('SQLITE_CORRUPT')) {
    return new FacenetError('BAD_FILE', `gallery ${file} is not a readable SQLite database (${(e as Error).message}): restore it from a backup or \`facenet gallery export\`, or create a new one`, { cause: e });
  }
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY') {
    return new FacenetError('BAD_FILE', `gallery ${file} cannot be opened for writing (${(e as Error).message}): check the path and its permissions`, { cause: e });
  }
  return e;
}

function now(): string {
  return new Date().toISOString();
}

function blobOf(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

export class SqliteStore implements GalleryStore {
  private lastSeq = 0;
  private dataVersion = 0;
  loadedFromSnapshot = false;

  get sidecarBase(): string {
    return this.location;
  }

  private constructor(
    private readonly db: DB,
    readonly location: string,
    readonly info: GalleryInfo,
    private readonly galleryId: string,
    private readonly useSnapshot: boolean,
  ) {}

  private guard<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      throw sqliteError(e, this.location);
    }
  }

  static async create(file: string, info: CreateGalleryInfo, o: SqliteStoreOptions = {}): Promise<SqliteStore> {
    if (existsSync(file)) throw new FacenetError('BAD_ARGUMENT', `gallery ${file} already exists: open it, or remove the file first`);
    const db = await openDb(file, o, false);
    try {
      const createdAt = now();
      const galleryId = randomUUID();
      db.transaction(() => {
        db.exec(TABLES_V1 + MIGRATE_1_TO_2);
        const put = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
        put.run(META.kind, GALLERY_KIND);
        put.run(META.schemaVersion, String(SCHEMA_VERSION));
        put.run(META.modelId, info.modelId);
        put.run(META.dim, String(info.dim));
        put.run(META.model, info.model);
        put.run(META.threshold, JSON.stringify(info.threshold));
        put.run(META.roc, JSON.stringify(info.roc ?? null));
        put.run(META.createdAt, createdAt);
        put.run(META.galleryId, galleryId);
      }).immediate();
      return new SqliteStore(db, file, { modelId: info.modelId, dim: info.dim, model: info.model, threshold: info.threshold, roc: info.roc ?? null, schemaVersion: SCHEMA_VERSION, createdAt }, galleryId, o.useSnapshot ?? true);
    } catch (e) {
      db.close();
      throw sqliteError(e, file);
    }
  }

  static async open(file: string, o: SqliteStoreOptions = {}): Promise<SqliteStore> {
    if (!existsSync(file)) throw new FacenetError('NOT_FOUND', `gallery ${file} does not exist: create it with \`facenet gallery create ${file} --model M\``);
    let db: DB | undefined;
    try {
      db = await openDb(file, o, true);
      const { info, galleryId } = readInfo(db, file);
      return new SqliteStore(db, file, info, galleryId, o.useSnapshot ?? true);
    } catch (e) {
      db?.close();
      throw sqliteError(e, file);
    }
  }

  async subjectNames(): Promise<Map<number, string>> {
    return this.guard(() => {
      const m = new Map<number, string>();
      for (const r of this.db.prepare('SELECT id, name FROM subjects').raw().iterate() as IterableIterator<[number, string]>) m.set(r[0], r[1]);
      return m;
    });
  }

  async countFaces(): Promise<number> {
    return this.guard(() => (this.db.prepare('SELECT COUNT(*) FROM faces').pluck().get() as number) ?? 0);
  }

  async loadFaces(onChunk: (rows: StoredRows) => void): Promise<void> {
    if (this.useSnapshot && this.loadSnapshot(onChunk)) return;
    const dim = this.info.dim;
    const CHUNK = 16384;
    this.guard(() =>
      this.db.transaction(() => {
        // The change log's position in the same snapshot as the rows, so that catching up later
        // starts exactly after what was loaded.
        this.lastSeq = (this.db.prepare('SELECT COALESCE(MAX(seq), 0) FROM changes').pluck().get() as number) ?? 0;
        this.dataVersion = this.db.pragma('data_version', { simple: true }) as number;
        let ids = new Float64Array(CHUNK);
        let subj = new Int32Array(CHUNK);
        let emb = new Float32Array(CHUNK * dim);
        let bytes = new Uint8Array(emb.buffer);
        let n = 0;
        const flush = () => {
          if (n === 0) return;
          onChunk({ faceIds: ids.subarray(0, n), subjectIds: subj.subarray(0, n), embeddings: emb.subarray(0, n * dim) });
          ids = new Float64Array(CHUNK);
          subj = new Int32Array(CHUNK);
          emb = new Float32Array(CHUNK * dim);
          bytes = new Uint8Array(emb.buffer);
          n = 0;
        };
        const it = this.db.prepare('SELECT id, subject_id, embedding FROM faces ORDER BY id').raw().iterate() as IterableIterator<[number, number, Buffer]>;
        for (const [id, s, blob] of it) {
          if (blob.length !== dim * 4) throw new FacenetError('BAD_FILE', `gallery ${this.location}: face ${id} has a ${blob.length}-byte embedding, expected ${dim * 4} (${dim} float32): the file is damaged`);
          ids[n] = id;
          subj[n] = s;
          bytes.set(blob, n * dim * 4);
          if (++n === CHUNK) flush();
        }
        flush();
      })(),
    );
  }

  /** Rows from the snapshot when it is of this gallery and not ahead of its log; then the log replays from there. */
  private loadSnapshot(onChunk: (rows: StoredRows) => void): boolean {
    const maxSeq = this.guard(() => (this.db.prepare('SELECT COALESCE(MAX(seq), 0) FROM changes').pluck().get() as number) ?? 0);
    let h;
    try {
      h = readSnapshot(snapshotPath(this.location), (x) => x.galleryId === this.galleryId && x.dim === this.info.dim && x.lastSeq <= maxSeq, onChunk);
    } catch {
      h = null; // unreadable snapshot: the rows are the truth
    }
    if (!h) return false;
    this.lastSeq = h.lastSeq;
    this.dataVersion = Number.NaN; // the next poll reads the log after the snapshot
    this.loadedFromSnapshot = true;
    return true;
  }

  saveSnapshot(rows: number, faceIdAt: (r: number) => number, subjectAt: (r: number) => number, chunks: Iterable<{ start: number; embeddings: Float32Array }>): void {
    writeSnapshot(snapshotPath(this.location), { galleryId: this.galleryId, dim: this.info.dim, lastSeq: this.lastSeq }, rows, faceIdAt, subjectAt, chunks);
  }

  async loadAdded(c: Extract<Change, { kind: 'add' }>): Promise<StoredRows & { names: Map<number, string> }> {
    return this.guard(() => {
      const rows = this.db.prepare('SELECT f.id, f.subject_id, f.embedding, s.name FROM faces f JOIN subjects s ON s.id = f.subject_id WHERE f.id BETWEEN ? AND ? ORDER BY f.id').raw().all(c.fromFaceId, c.toFaceId) as [number, number, Buffer, string][];
      return rowsOf(rows, this.info.dim);
    });
  }

  async enroll(items: readonly EnrollItem[], modelId: string): Promise<EnrolledItem[]> {
    const db = this.db;
    const findSubject = db.prepare('SELECT id FROM subjects WHERE name = ?').pluck();
    const addSubject = db.prepare('INSERT INTO subjects (name, created_at) VALUES (?, ?)');
    const addFace = db.prepare('INSERT INTO faces (subject_id, model_id, embedding, metadata, created_at) VALUES (?, ?, ?, ?, ?)');
    const logChange = db.prepare('INSERT INTO changes (kind, subject_id, subject, from_id, to_id) VALUES (?, ?, ?, ?, ?)');
    const one = (item: EnrollItem): EnrolledItem => {
      const t = now();
      let sid = findSubject.get(item.subject) as number | undefined;
      if (sid === undefined) sid = Number(addSubject.run(item.subject, t).lastInsertRowid);
      const meta = item.metadata ? JSON.stringify(item.metadata) : null;
      const faceIds = item.embeddings.map((e) => Number(addFace.run(sid, modelId, blobOf(e), meta, t).lastInsertRowid));
      return { subject: item.subject, subjectId: sid, faceIds };
    };
    // One change-log entry per call: its faces' ids are one range (SQLite has a single writer).
    const all = () => {
      const out = items.map(one);
      const ids = out.flatMap((o) => o.faceIds);
      if (ids.length > 0) logChange.run('add', null, null, ids[0], ids[ids.length - 1]);
      return out;
    };
    // BEGIN IMMEDIATE: take the write lock first (waiting up to the busy timeout), rather than
    // failing at once when a read transaction cannot be upgraded under another writer.
    // All items of one call in one transaction: a caller that wants one transaction per subject
    // calls once per subject; bulk import groups rows to amortise the commit's fsync.
    return this.guard(() => this.writeTx(all));
  }

  /**
   * A write transaction (BEGIN IMMEDIATE). When no other connection committed since the last
   * poll, this one's change-log entries are the next ones, so the poll position moves past them:
   * a snapshot saved later then needs no replay of this process's own writes.
   */
  private writeTx<T>(f: () => T): T {
    let foreign = false;
    const out = this.db
      .transaction(() => {
        foreign = (this.db.pragma('data_version', { simple: true }) as number) !== this.dataVersion;
        return f();
      })
      .immediate();
    if (!foreign) this.lastSeq = (this.db.prepare('SELECT COALESCE(MAX(seq), 0) FROM changes').pluck().get() as number) ?? this.lastSeq;
    return out;
  }

  async subjects(): Promise<SubjectSummary[]> {
    return this.guard(() =>
      (this.db.prepare('SELECT s.name AS name, COUNT(f.id) AS faces FROM subjects s LEFT JOIN faces f ON f.subject_id = s.id GROUP BY s.id ORDER BY s.name').all() as SubjectSummary[]),
    );
  }

  async faces(subject: string): Promise<FaceRecord[]> {
    return this.guard(() => {
      const rows = this.db.prepare('SELECT f.id AS id, f.metadata AS metadata, f.created_at AS createdAt FROM faces f JOIN subjects s ON s.id = f.subject_id WHERE s.name = ? ORDER BY f.id').all(subject) as { id: number; metadata: string | null; createdAt: string }[];
      return rows.map((r) => ({ faceId: String(r.id), subject, metadata: r.metadata === null ? null : (JSON.parse(r.metadata) as Record<string, unknown>), createdAt: r.createdAt }));
    });
  }

  async removeSubject(name: string): Promise<{ subjectId: number; faceIds: number[] } | null> {
    const db = this.db;
    return this.guard(() =>
      this.writeTx(() => {
        const sid = db.prepare('SELECT id FROM subjects WHERE name = ?').pluck().get(name) as number | undefined;
        if (sid === undefined) return null;
        const faceIds = db.prepare('SELECT id FROM faces WHERE subject_id = ?').pluck().all(sid) as number[];
        db.prepare('DELETE FROM faces WHERE subject_id = ?').run(sid);
        db.prepare('DELETE FROM subjects WHERE id = ?').run(sid);
        db.prepare('INSERT INTO changes (kind, subject_id) VALUES (?, ?)').run('removeSubject', sid);
        return { subjectId: sid, faceIds };
      }),
    );
  }

  async removeFace(faceId: number): Promise<boolean> {
    const db = this.db;
    return this.guard(() =>
      this.writeTx(() => {
        const sid = db.prepare('SELECT subject_id FROM faces WHERE id = ?').pluck().get(faceId) as number | undefined;
        if (sid === undefined) return false;
        db.prepare('DELETE FROM faces WHERE id = ?').run(faceId);
        // A subject without faces is no subject: drop it with its last face.
        db.prepare('DELETE FROM subjects WHERE id = ? AND NOT EXISTS (SELECT 1 FROM faces WHERE subject_id = ?)').run(sid, sid);
        db.prepare('INSERT INTO changes (kind, from_id) VALUES (?, ?)').run('removeFace', faceId);
        return true;
      }),
    );
  }

  async pollChanges(): Promise<Change[]> {
    return this.guard(() => {
      const v = this.db.pragma('data_version', { simple: true }) as number;
      if (v === this.dataVersion) return [];
      this.dataVersion = v;
      const rows = this.db.prepare('SELECT seq, kind, subject_id, subject, from_id, to_id FROM changes WHERE seq > ? ORDER BY seq').raw().all(this.lastSeq) as [number, string, number | null, string | null, number | null, number | null][];
      const out: Change[] = [];
      for (const [seq, kind, sid, subject, from, to] of rows) {
        this.lastSeq = seq;
        if (kind === 'add') out.push({ kind, fromFaceId: from!, toFaceId: to! });
        else if (kind === 'removeSubject') out.push({ kind, subjectId: sid! });
        else if (kind === 'removeFace') out.push({ kind, faceId: from! });
      }
      return out;
    });
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** better-sqlite3 is an optional dependency: loaded when a gallery file is opened, not with the package. */
async function openDb(file: string, o: SqliteStoreOptions, mustExist: boolean): Promise<DB> {
  let Sqlite: typeof Database;
  try {
    Sqlite = (await import('better-sqlite3')).default;
  } catch (e) {
    throw new FacenetError('NOT_FOUND', `SQLite galleries need the optional package better-sqlite3 (v12), which is not installed: run \`npm install better-sqlite3@12\` beside facenet`, { cause: e });
  }
  const db = new Sqlite(file, { fileMustExist: mustExist, timeout: o.busyTimeoutMs ?? 5000 });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${(o.synchronous ?? 'full').toUpperCase()}`);
    db.pragma('foreign_keys = ON');
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

function readInfo(db: DB, file: string): { info: GalleryInfo; galleryId: string } {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").pluck().get();
  const notGallery = () => new FacenetError('BAD_FILE', `${file} is an SQLite database but not a facenet gallery (no gallery facts in it): name a gallery file, or create one with \`facenet gallery create\``);
  if (!hasMeta) throw notGallery();
  const meta = () => new Map((db.prepare('SELECT key, value FROM meta').raw().all() as [string, string][]).map(([k, v]) => [k, v]));
  let m = meta();
  if (m.get(META.kind) !== GALLERY_KIND) throw notGallery();
  const version = Number(m.get(META.schemaVersion));
  if (!Number.isInteger(version) || version < 1) throw new FacenetError('BAD_FILE', `gallery ${file} has a bad schema version (${m.get(META.schemaVersion)}): the file is damaged`);
  if (version > SCHEMA_VERSION) throw new FacenetError('BAD_FILE', `gallery ${file} has schema version ${version}, newer than this facenet understands (${SCHEMA_VERSION}): upgrade facenet`);
  if (version < SCHEMA_VERSION) {
    db.transaction(() => {
      if (version < 2) db.exec(MIGRATE_1_TO_2);
      db.prepare('UPDATE meta SET value = ? WHERE key = ?').run(String(SCHEMA_VERSION), META.schemaVersion);
    }).immediate();
    m = meta();
  }
  const dim = Number(m.get(META.dim));
  const modelId = m.get(META.modelId);
  if (!modelId || !Number.isInteger(dim) || dim <= 0) throw new FacenetError('BAD_FILE', `gallery ${file} lacks its model id or embedding size: the file is damaged`);
  let galleryId = m.get(META.galleryId);
  if (!galleryId) {
    galleryId = randomUUID();
    db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run(META.galleryId, galleryId);
    galleryId = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(META.galleryId) as string;
  }
  const info: GalleryInfo = {
    modelId,
    dim,
    model: m.get(META.model) ?? modelId,
    threshold: parseThreshold(m.get(META.threshold)),
    roc: parseRoc(m.get(META.roc) ? JSON.parse(m.get(META.roc)!) : null),
    schemaVersion: SCHEMA_VERSION,
    createdAt: m.get(META.createdAt) ?? '',
  };
  return { info, galleryId };
}

function parseThreshold(v: string | undefined): number | null {
  if (v === undefined) return null;
  const x = JSON.parse(v) as unknown;
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

/** Rows of (id, subject id, embedding blob[, subject name]) into StoredRows (+ the names seen). */
export function rowsOf(rows: readonly (readonly [number | string, number | string, Uint8Array, string?])[], dim: number): StoredRows & { names: Map<number, string> } {
  const out = { faceIds: new Float64Array(rows.length), subjectIds: new Int32Array(rows.length), embeddings: new Float32Array(rows.length * dim), names: new Map<number, string>() };
  const bytes = new Uint8Array(out.embeddings.buffer);
  rows.forEach(([id, s, blob, name], i) => {
    if (blob.length !== dim * 4) throw new FacenetError('BAD_FILE', `face ${id} has a ${blob.length}-byte embedding, expected ${dim * 4}`);
    out.faceIds[i] = Number(id);
    out.subjectIds[i] = Number(s);
    bytes.set(blob, i * dim * 4);
    if (name !== undefined) out.names.set(Number(s), name);
  });
  return out;
}
