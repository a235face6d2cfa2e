/**
 * An ANN index saved beside an SQLite gallery: `<file>.ann` (usearch's own graph file) and
 * `<file>.ann.keys` ('FNAK' + u32 header length + JSON header, padded to 8 bytes, then the face
 * ids as float64). Building an HNSW graph over a large gallery takes minutes, so it is built once
 * (`facenet gallery index`) and reopened; the gallery brings a saved index up to date with the
 * faces added or removed since (AnnIndex.reconcile). A file that does not fit (another gallery,
 * other settings, the two files from different saves) is ignored: it only costs a rebuild.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { AnnIndex, type AnnSettings } from './ann-index.js';

const MAGIC = 'FNAK';
const VERSION = 1;

interface KeysHeader {
  version: number;
  /** Which gallery the graph belongs to (model id and creation time). */
  identity: string;
  dim: number;
  settings: Required<AnnSettings>;
  count: number;
  /** Size of the graph file written with these keys. */
  graphBytes: number;
}

const pad8 = (n: number) => (n + 7) & ~7;

export function annPaths(dbFile: string): { graph: string; keys: string } {
  return { graph: `${dbFile}.ann`, keys: `${dbFile}.ann.keys` };
}

export function annFileExists(dbFile: string): boolean {
  const p = annPaths(dbFile);
  return existsSync(p.graph) && existsSync(p.keys);
}

/** Saves graph and keys, each through a temporary file; the keys (which name the graph's size) land last. */
export function saveAnnFile(dbFile: string, ann: AnnIndex, identity: string): void {
  const p = annPaths(dbFile);
  const graphTmp = `${p.graph}.tmp-${process.pid}`;
  const keysTmp = `${p.keys}.tmp-${process.pid}`;
  try {
    ann.save(graphTmp);
    const graphFd = openSync(graphTmp, 'r+');
    fsyncSync(graphFd);
    closeSync(graphFd);
    const ids = ann.faceIds();
    const header: KeysHeader = { version: VERSION, identity, dim: ann.dim, settings: ann.settings, count: ids.length, graphBytes: statSync(graphTmp).size };
    const json = Buffer.from(JSON.stringify(header));
    const head = Buffer.alloc(pad8(8 + json.length));
    head.write(MAGIC, 0, 'latin1');
    head.writeUInt32LE(json.length, 4);
    json.copy(head, 8);
    const fd = openSync(keysTmp, 'w');
    try {
      writeSync(fd, head);
      writeSync(fd, new Uint8Array(ids.buffer));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(graphTmp, p.graph);
    renameSync(keysTmp, p.keys);
  } finally {
    rmSync(graphTmp, { force: true });
    rmSync(keysTmp, { force: true });
  }
}

/** The saved index when there is one that fits this gallery (`settings` given: those too), else null. */
export async function loadAnnFile(dbFile: string, identity: string, dim: number, settings?: AnnSettings): Promise<AnnIndex | null> {
  const p = annPaths(dbFile);
  if (!annFileExists(dbFile)) return null;
  try {
    const buf = readFileSync(p.keys);
    if (buf.length < 8 || buf.toString('latin1', 0, 4) !== MAGIC) return null;
    const jl = buf.readUInt32LE(4);
    if (8 + jl > buf.length) return null;
    const h = JSON.parse(buf.toString('utf8', 8, 8 + jl)) as KeysHeader;
    const at = pad8(8 + jl);
    if (h.version !== VERSION || h.identity !== identity || h.dim !== dim || buf.length !== at + h.count * 8) return null;
    if (statSync(p.graph).size !== h.graphBytes) return null;
    if (settings && Object.entries(settings).some(([key, v]) => v !== undefined && h.settings[key as keyof AnnSettings] !== v)) return null;
    const ids = new Float64Array(h.count);
    new Uint8Array(ids.buffer).set(buf.subarray(at, at + h.count * 8));
    return await AnnIndex.load(p.graph, dim, h.settings, ids);
  } catch (e) {
    if ((e as { code?: string }).code === 'NOT_FOUND') throw e; // usearch missing: say so
    return null;
  }
}

export function removeAnnFile(dbFile: string): void {
  const p = annPaths(dbFile);
  rmSync(p.graph, { force: true });
  rmSync(p.keys, { force: true });
}
