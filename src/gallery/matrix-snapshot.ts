/**
 * A snapshot of the search matrix beside an SQLite gallery (`<file>.matrix`), so that opening a
 * large gallery reads one flat file instead of a million SQLite rows (better-sqlite3 makes a
 * Buffer per row: about 5 µs a row on an idle core, 15-30 µs on this loaded machine). The
 * snapshot records the change-log position it reflects and the gallery's id; at open the store
 * replays the log after that position, so a stale snapshot costs a replay, never a wrong answer.
 * A snapshot that does not fit (other gallery, newer than the log, wrong size) is ignored.
 *
 * Layout: 'FNGM' + u32 header length + JSON header { version, galleryId, dim, rows, lastSeq },
 * padded to 8 bytes; then rows float64 face ids, rows int32 subject ids (padded to 8 bytes),
 * rows x dim float32 embeddings.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync, renameSync, rmSync, writeSync, fsyncSync } from 'node:fs';
import type { StoredRows } from './store.js';

const MAGIC = 'FNGM';
const VERSION = 1;

export interface SnapshotHeader {
  version: number;
  galleryId: string;
  dim: number;
  rows: number;
  lastSeq: number;
}

const pad8 = (n: number) => (n + 7) & ~7;

export function snapshotPath(dbFile: string): string {
  return `${dbFile}.matrix`;
}

/** Writes the snapshot atomically (temporary file, fsync, rename). */
export function writeSnapshot(file: string, header: Omit<SnapshotHeader, 'version' | 'rows'>, rows: number, faceIdAt: (r: number) => number, subjectAt: (r: number) => number, chunks: Iterable<{ start: number; embeddings: Float32Array }>): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    const json = Buffer.from(JSON.stringify({ ...header, version: VERSION, rows }));
    const head = Buffer.alloc(pad8(8 + json.length));
    head.write(MAGIC, 0, 'latin1');
    head.writeUInt32LE(json.length, 4);
    json.copy(head, 8);
    writeSync(fd, head);
    const ids = new Float64Array(rows);
    const subj = new Int32Array(pad8(rows * 4) / 4);
    for (let r = 0; r < rows; r++) {
      ids[r] = faceIdAt(r);
      subj[r] = subjectAt(r);
    }
    writeSync(fd, new Uint8Array(ids.buffer));
    writeSync(fd, new Uint8Array(subj.buffer));
    for (const { embeddings } of chunks) writeSync(fd, new Uint8Array(embeddings.buffer, embeddings.byteOffset, embeddings.byteLength));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, file);
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Reads a snapshot whose header passes `accept`, in chunks; null (nothing delivered) when there
 * is none or it does not fit. Reading is all-or-nothing up to the size checks done first.
 * The arrays handed to onChunk are reused for the next chunk: it must copy what it keeps.
 */
export function readSnapshot(file: string, accept: (h: SnapshotHeader) => boolean, onChunk: (rows: StoredRows) => void, rowsPerChunk = 65536): SnapshotHeader | null {
  if (!existsSync(file)) return null;
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const pre = Buffer.alloc(8);
    if (readSync(fd, pre, 0, 8, 0) !== 8 || pre.toString('latin1', 0, 4) !== MAGIC) return null;
    const jl = pre.readUInt32LE(4);
    if (jl > 1 << 20) return null;
    const jb = Buffer.alloc(jl);
    readSync(fd, jb, 0, jl, 8);
    let h: SnapshotHeader;
    try {
      h = JSON.parse(jb.toString('utf8')) as SnapshotHeader;
    } catch {
      return null;
    }
    if (h.version !== VERSION || !Number.isInteger(h.rows) || h.rows < 0 || !Number.isInteger(h.dim) || !accept(h)) return null;
    const idsAt = pad8(8 + jl);
    const subjAt = idsAt + h.rows * 8;
    const embAt = subjAt + pad8(h.rows * 4);
    if (size !== embAt + h.rows * h.dim * 4) return null;
    const ids = new Float64Array(h.rows);
    const subj = new Int32Array(h.rows);
    readFully(fd, new Uint8Array(ids.buffer), idsAt);
    readFully(fd, new Uint8Array(subj.buffer), subjAt);
    // One chunk buffer for the whole read (onChunk copies what it keeps): a fresh 128 MB array per
    // chunk cost as much in page faults as the read itself.
    const chunk = new Float32Array(Math.min(rowsPerChunk, h.rows) * h.dim);
    for (let s = 0; s < h.rows; s += rowsPerChunk) {
      const m = Math.min(rowsPerChunk, h.rows - s);
      const emb = chunk.subarray(0, m * h.dim);
      readFully(fd, new Uint8Array(emb.buffer, 0, emb.byteLength), embAt + s * h.dim * 4);
      onChunk({ faceIds: ids.subarray(s, s + m), subjectIds: subj.subarray(s, s + m), embeddings: emb });
    }
    return h;
  } finally {
    closeSync(fd);
  }
}

function readFully(fd: number, into: Uint8Array, position: number): void {
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, Math.min(into.length - done, 1 << 30), position + done);
    if (n <= 0) throw new Error('snapshot ended early');
    done += n;
  }
}
