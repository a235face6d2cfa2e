/**
 * Reading and extracting the LFW tarball (lfw-deepfunneled.tgz: 13,233 JPEGs under
 * lfw-deepfunneled/<Name>/<Name>_NNNN.jpg).
 *
 * Two ways in:
 * - `readTarEntries` / `readArchiveFiles` stream the archive and hand back selected files in
 *   memory, so tests and small jobs (the 40-odd images of the MTCNN fixtures) never unpack
 *   13k files. The whole archive streams in about half a second here.
 * - `extractLfwArchive` unpacks everything once, atomically and resumably, for training and
 *   evaluation code that wants a class-per-folder tree on disk.
 *
 * Development only (tests, `npm run demo`, bench): it lives in test-support/, which the package
 * build leaves out, so `tar` is a devDependency, not a runtime one.
 */

import { createReadStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Parser, Unpack, type ReadEntry } from 'tar';
import { FacenetError } from '../errors.js';

/** Number of images in the deep-funneled LFW archive, for `expectedFiles`. */
export const LFW_DEEPFUNNELED_IMAGES = 13233;

/** Written into the finished folder; its presence means "extraction completed". */
export const EXTRACT_MARKER = '.facenet-extracted.json';

export interface TarFileEntry {
  /** Path inside the archive, '/'-separated, without a leading './'. */
  path: string;
  size: number;
  data: Buffer;
}

export interface ReadTarOptions {
  /** Which regular files to read (by archive path); all when omitted. Others are skipped unread. */
  filter?: (entryPath: string) => boolean;
}

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);
const READ_CHUNK = 256 * 1024;

function normalizeEntryPath(p: string): string {
  return p.replace(/^(\.\/)+/, '');
}

async function assertArchive(archive: string): Promise<number> {
  try {
    const st = await stat(archive);
    if (!st.isFile()) throw new FacenetError('BAD_ARGUMENT', `${archive} is not a file (expected a .tgz archive)`);
    return st.size;
  } catch (err) {
    if (err instanceof FacenetError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new FacenetError('NOT_FOUND', `archive not found: ${archive}`, { cause: err });
    }
    throw new FacenetError('BAD_FILE', `cannot read archive ${archive}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Streams the regular files of a .tar or .tgz archive (gzip is detected), in archive order.
 *
 * Back-pressure is natural: the next compressed chunk is read only when the consumer asks for
 * more, and node-tar's parser works synchronously on each chunk, so at most one chunk's worth of
 * entries is held in memory. Breaking out of the loop closes the file, which is how
 * `readArchiveFiles` stops early.
 */
export async function* readTarEntries(archive: string, opts: ReadTarOptions = {}): AsyncGenerator<TarFileEntry> {
  await assertArchive(archive);
  const queue: TarFileEntry[] = [];
  let failure: Error | undefined;
  const parser = new Parser({
    strict: true, // a damaged archive must fail, not silently yield fewer files
    filter: (p, entry) =>
      FILE_TYPES.has((entry as ReadEntry).type) && (opts.filter ? opts.filter(normalizeEntryPath(p)) : true),
    onReadEntry: (entry: ReadEntry) => {
      const chunks: Buffer[] = [];
      entry.on('data', (c: Buffer) => chunks.push(c));
      entry.on('end', () => {
        queue.push({ path: normalizeEntryPath(entry.path), size: entry.size ?? 0, data: Buffer.concat(chunks) });
      });
    },
  });
  parser.on('error', (err: Error) => {
    failure ??= err;
  });
  const fail = (err: unknown): FacenetError =>
    new FacenetError('BAD_FILE', `${archive} is not a readable .tar/.tgz archive: ${(err as Error).message}`, {
      cause: err,
    });

  const stream = createReadStream(archive, { highWaterMark: READ_CHUNK });
  try {
    for await (const chunk of stream) {
      try {
        parser.write(chunk as Buffer);
      } catch (err) {
        throw fail(err);
      }
      if (failure) throw fail(failure);
      while (queue.length > 0) yield queue.shift() as TarFileEntry;
    }
    try {
      parser.end();
    } catch (err) {
      throw fail(err);
    }
    // node-tar reports a truncated archive from end(), possibly a tick later.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (failure) throw fail(failure);
    while (queue.length > 0) yield queue.shift() as TarFileEntry;
  } finally {
    stream.destroy();
  }
}

/**
 * Reads the named files (archive paths such as 'lfw-deepfunneled/Shirley_Jones/Shirley_Jones_0001.jpg',
 * the format of fixtures/mtcnn/detections.json) and stops reading as soon as all are found.
 * Throws NOT_FOUND naming the entries that the archive does not hold.
 */
export async function readArchiveFiles(archive: string, entryPaths: Iterable<string>): Promise<Map<string, Buffer>> {
  const wanted = new Set([...entryPaths].map(normalizeEntryPath));
  const found = new Map<string, Buffer>();
  if (wanted.size === 0) return found;
  for await (const entry of readTarEntries(archive, { filter: (p) => wanted.has(p) && !found.has(p) })) {
    found.set(entry.path, entry.data);
    if (found.size === wanted.size) break;
  }
  const missing = [...wanted].filter((p) => !found.has(p));
  if (missing.length > 0) {
    const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? `, ... (${missing.length} in all)` : '');
    throw new FacenetError('NOT_FOUND', `${archive} holds no entry ${shown}`);
  }
  return found;
}

export interface ExtractProgress {
  /** Files written so far in this run. */
  files: number;
  /** Files already complete from an interrupted earlier run, not rewritten. */
  skipped: number;
  /** Compressed bytes read, and the archive size: their ratio is the fraction done. */
  bytesRead: number;
  totalBytes: number;
}

export interface ExtractOptions {
  /** Leading path components to drop (default 1: 'lfw-deepfunneled/'), so that `dest` holds the class folders. */
  stripComponents?: number;
  /** Fail with BAD_FILE unless the archive held exactly this many files (e.g. LFW_DEEPFUNNELED_IMAGES). */
  expectedFiles?: number;
  /** Called after each file; its exceptions abort the extraction. */
  onProgress?: (p: ExtractProgress) => void;
  signal?: AbortSignal;
}

export interface ExtractResult {
  dest: string;
  /** Regular files in the finished folder (written now or in an earlier run). */
  files: number;
  /** True when `dest` was already complete and nothing was done. */
  alreadyDone: boolean;
  seconds: number;
}

interface Marker {
  archive: string;
  archiveBytes: number;
  files: number;
  stripComponents: number;
  finishedAt: string;
}

/**
 * Extracts `archive` into `dest` (by default dropping the top folder, so `dest/<Name>/<Name>_0001.jpg`,
 * the layout facenet's lfw_dir expects).
 *
 * Atomic: everything is unpacked into `<dest>.partial`, a marker file is written last, and the
 * folder is then renamed to `dest`. So `dest` either does not exist or is complete.
 * Resumable: after an interruption, the next call reuses `<dest>.partial` and skips every file
 * whose size and mtime already match the archive entry (node-tar sets the mtime only after the
 * data is written, so a half-written file never matches). The archive is still decompressed in
 * full, which is cheap compared with writing 13k files.
 * A finished `dest` (marker present) returns at once with alreadyDone: true. An existing `dest`
 * without a marker is refused rather than overwritten. Two processes must not extract into the
 * same `dest` at the same time.
 */
export async function extractLfwArchive(archive: string, dest: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const t0 = performance.now();
  const strip = opts.stripComponents ?? 1;
  if (!(Number.isInteger(strip) && strip >= 0)) {
    throw new FacenetError('BAD_ARGUMENT', `stripComponents must be an integer >= 0, got ${strip}`);
  }
  const totalBytes = await assertArchive(archive);
  const target = path.resolve(dest);
  const partial = `${target}.partial`;
  const elapsed = (): number => (performance.now() - t0) / 1000;

  const existing = await readMarker(target);
  if (existing === 'missing-dir') {
    // fall through to extraction
  } else if (existing === 'no-marker') {
    if ((await readdir(target)).length > 0) {
      throw new FacenetError(
        'BAD_ARGUMENT',
        `${target} already exists and was not made by a finished extraction (no ${EXTRACT_MARKER}); ` +
          'remove it or choose another destination',
      );
    }
    await rm(target, { recursive: true });
  } else {
    return { dest: target, files: existing.files, alreadyDone: true, seconds: elapsed() };
  }

  await mkdir(partial, { recursive: true });
  const progress: ExtractProgress = { files: 0, skipped: 0, bytesRead: 0, totalBytes };
  await unpackInto(archive, partial, strip, progress, opts);

  const files = progress.files + progress.skipped;
  if (files === 0) {
    throw new FacenetError('BAD_FILE', `${archive} held no files (after dropping ${strip} leading folder(s))`);
  }
  if (opts.expectedFiles !== undefined && files !== opts.expectedFiles) {
    throw new FacenetError(
      'BAD_FILE',
      `${archive} held ${files} files, expected ${opts.expectedFiles}; the archive may be incomplete or a different version`,
    );
  }
  const marker: Marker = {
    archive: path.resolve(archive),
    archiveBytes: totalBytes,
    files,
    stripComponents: strip,
    finishedAt: new Date().toISOString(),
  };
  await writeFile(path.join(partial, EXTRACT_MARKER), JSON.stringify(marker, null, 2) + '\n');
  await rename(partial, target);
  return { dest: target, files, alreadyDone: false, seconds: elapsed() };
}

async function readMarker(dir: string): Promise<Marker | 'missing-dir' | 'no-marker'> {
  try {
    const st = await stat(dir);
    if (!st.isDirectory()) throw new FacenetError('BAD_ARGUMENT', `extraction target ${dir} exists and is not a folder`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing-dir';
    throw err;
  }
  try {
    return JSON.parse(await readFile(path.join(dir, EXTRACT_MARKER), 'utf8')) as Marker;
  } catch {
    return 'no-marker';
  }
}

function stripPath(p: string, strip: number): string | undefined {
  const parts = normalizeEntryPath(p).split('/').filter((s) => s.length > 0);
  if (parts.length <= strip) return undefined;
  return parts.slice(strip).join('/');
}

async function unpackInto(
  archive: string,
  dir: string,
  strip: number,
  progress: ExtractProgress,
  opts: ExtractOptions,
): Promise<void> {
  // The resume check needs fs.stat, which is async, but node-tar's filter is synchronous; so we
  // list the files already present first (one readdir per class folder is cheap).
  const present = await listFiles(dir);

  await new Promise<void>((resolve, reject) => {
    let settled = false;
    // A progress-callback exception or an abort does not cut the stream: that would leave node-tar
    // writing files after we return. Instead every further entry is skipped and we settle on
    // 'close', which node-tar emits once its pending writes are done. Draining the rest of the
    // archive costs a fraction of a second of decompression.
    let stopping = false;
    let stopReason: unknown;
    const requestStop = (reason: unknown): void => {
      if (stopping) return;
      stopping = true;
      stopReason = reason;
    };
    const onAbort = (): void => requestStop(opts.signal?.reason);
    const finish = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      stream.destroy();
      if (err === undefined) resolve();
      else reject(err);
    };
    const report = (): void => {
      if (!opts.onProgress || stopping) return;
      try {
        opts.onProgress({ ...progress });
      } catch (err) {
        requestStop(err);
      }
    };
    const unpack = new Unpack({
      cwd: dir,
      strip,
      strict: true,
      preserveOwner: false, // as root node-tar would chown to the archive's uid/gid otherwise
      filter: (p, entry) => {
        if (stopping) return false;
        const e = entry as ReadEntry;
        if (!FILE_TYPES.has(e.type)) return e.type === 'Directory';
        const rel = stripPath(p, strip);
        if (rel === undefined) return false;
        const have = present.get(rel);
        const mtime = e.mtime ? Math.floor(e.mtime.getTime() / 1000) : undefined;
        if (have && have.size === e.size && (mtime === undefined || have.mtime === mtime)) {
          progress.skipped++;
          report();
          return false;
        }
        return true;
      },
      onReadEntry: (entry: ReadEntry) => {
        if (!FILE_TYPES.has(entry.type)) return;
        entry.on('end', () => {
          progress.files++;
          report();
        });
      },
    });
    const stream = createReadStream(archive, { highWaterMark: READ_CHUNK });
    stream.on('data', (c) => {
      progress.bytesRead += c.length;
    });
    // Errors of the archive itself settle at once: node-tar never emits 'close' after them.
    stream.on('error', (err) =>
      finish(new FacenetError('BAD_FILE', `cannot read archive ${archive}: ${err.message}`, { cause: err })),
    );
    unpack.on('error', (err: Error) =>
      finish(new FacenetError('BAD_FILE', `cannot extract ${archive} into ${dir}: ${err.message}`, { cause: err })),
    );
    unpack.on('close', () => finish(stopping ? (stopReason ?? new Error('extraction stopped')) : undefined));
    if (opts.signal) {
      if (opts.signal.aborted) return finish(opts.signal.reason);
      opts.signal.addEventListener('abort', onAbort, { once: true });
    }
    stream.pipe(unpack);
  });
}

/** Relative path -> {size, mtime in whole seconds} for every regular file under `dir`. */
async function listFiles(dir: string): Promise<Map<string, { size: number; mtime: number }>> {
  const out = new Map<string, { size: number; mtime: number }>();
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  await Promise.all(
    entries
      .filter((d) => d.isFile())
      .map(async (d) => {
        const full = path.join(d.parentPath, d.name);
        const st = await stat(full);
        out.set(path.relative(dir, full).split(path.sep).join('/'), { size: st.size, mtime: Math.floor(st.mtimeMs / 1000) });
      }),
  );
  return out;
}
