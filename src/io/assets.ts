/**
 * Resolves a named asset (weights file, dataset, schedule file) to a local path, in this order:
 *   1. the cache folder (opts.home ?? $FACENET_HOME ?? ~/.cache/facenet) + relPath;
 *   2. the mirror (opts.mirror ?? $FACENET_MIRROR): a folder or an http(s) base URL, + relPath;
 *   3. the asset's upstream URL.
 * Whatever comes from 2 or 3 is written into the cache through a temp file that is renamed only
 * after it is complete and its sha256 (when known) matches, so the final name never holds a partial
 * or wrong file. Offline machines get one ASSET_MISSING error that says exactly where to put the file.
 */

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FacenetError } from '../errors.js';
import { syncDir, tempPathFor } from './fs-util.js';

export interface AssetRef {
  /** Stable short name used in messages and by the registry. */
  id: string;
  /** Path relative to the cache folder and to a mirror base, with '/' separators. */
  relPath: string;
  /** Upstream download address, when there is one. */
  url?: string;
  /** Lower-case hex sha256 of the file, when known. */
  sha256?: string;
}

export interface ResolveAssetOptions {
  home?: string;
  mirror?: string;
  fetch?: typeof fetch;
  onProgress?: (done: number, total: number | undefined) => void;
}

/** The cache folder: $FACENET_HOME, else ~/.cache/facenet. */
export function defaultAssetHome(): string {
  const env = process.env['FACENET_HOME'];
  return env && env.length > 0 ? resolve(env) : join(homedir(), '.cache', 'facenet');
}

function errMessage(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** sha256 of a file, streamed (the LFW archive is 100+ MB). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function checkRelPath(asset: AssetRef): void {
  const rel = asset.relPath;
  const norm = normalize(rel);
  if (!rel || isAbsolute(rel) || norm === '..' || norm.startsWith(`..${sep}`) || rel.split(/[\\/]/).includes('..')) {
    throw new FacenetError('BAD_ARGUMENT', `asset "${asset.id}": relPath must be a relative path inside the cache, got ${JSON.stringify(rel)}`);
  }
}

function checksumError(asset: AssetRef, source: string, expected: string, actual: string, target: string): FacenetError {
  return new FacenetError(
    'CHECKSUM_MISMATCH',
    `asset "${asset.id}": ${basename(asset.relPath)} from ${source} has sha256 ${actual}, expected ${expected}; ` +
      `the bad copy was deleted and nothing was written to ${target}. The source file is corrupt or a different version.`,
  );
}

async function* webChunks(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value) yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

type Outcome = { ok: true } | { ok: false; reason: string };

/**
 * Streams `chunks` into a temp file next to `target`, hashing on the way; renames it to `target` only
 * when complete and (if `sha256` is set) matching. Throws CHECKSUM_MISMATCH on a wrong hash.
 */
async function install(
  asset: AssetRef,
  chunks: AsyncIterable<Uint8Array>,
  total: number | undefined,
  target: string,
  source: string,
  onProgress: ResolveAssetOptions['onProgress'],
): Promise<Outcome> {
  await mkdir(dirname(target), { recursive: true });
  // Streamed (assets are large), so not writeFileAtomic; same temp names and fsyncs.
  const tmp = tempPathFor(target);
  const hash = createHash('sha256');
  let done = 0;
  const handle = await open(tmp, 'w');
  try {
    try {
      for await (const chunk of chunks) {
        hash.update(chunk);
        let written = 0;
        while (written < chunk.length) written += (await handle.write(chunk, written, chunk.length - written)).bytesWritten;
        done += chunk.length;
        onProgress?.(done, total);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    return { ok: false, reason: `reading it failed part-way (${errMessage(err)})` };
  }
  if (total !== undefined && done !== total) {
    await unlink(tmp).catch(() => undefined);
    return { ok: false, reason: `the transfer stopped after ${done} of ${total} bytes` };
  }
  const actual = hash.digest('hex');
  if (asset.sha256 && actual !== asset.sha256.toLowerCase()) {
    await unlink(tmp).catch(() => undefined);
    throw checksumError(asset, source, asset.sha256.toLowerCase(), actual, target);
  }
  await rename(tmp, target);
  await syncDir(dirname(target));
  return { ok: true };
}

async function download(asset: AssetRef, url: string, target: string, opts: ResolveAssetOptions): Promise<Outcome> {
  const fetchImpl = opts.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function') return { ok: false, reason: 'no fetch() is available in this runtime' };
  let res: Response;
  try {
    res = await fetchImpl(url);
  } catch (err) {
    return { ok: false, reason: `the download failed (${errMessage(err)})` };
  }
  if (!res.ok || !res.body) return { ok: false, reason: `the server answered HTTP ${res.status}` };
  const length = Number(res.headers.get('content-length'));
  // With a content-encoding, fetch decodes the body and content-length no longer counts its bytes.
  const total = Number.isFinite(length) && length > 0 && !res.headers.get('content-encoding') ? length : undefined;
  return install(asset, webChunks(res.body as ReadableStream<Uint8Array>), total, target, url, opts.onProgress);
}

async function copyFromFolder(asset: AssetRef, source: string, target: string, opts: ResolveAssetOptions): Promise<Outcome> {
  if (!(await isFile(source))) return { ok: false, reason: `it has no ${source}` };
  const { size } = await stat(source);
  return install(asset, createReadStream(source), size, target, source, opts.onProgress);
}

function joinUrl(base: string, rel: string): string {
  const encoded = rel.split(/[\\/]/).map(encodeURIComponent).join('/');
  return `${base.replace(/\/+$/, '')}/${encoded}`;
}

/** Returns the absolute path of the asset's file, fetching it into the cache when needed. */
export async function resolveAsset(asset: AssetRef, opts: ResolveAssetOptions = {}): Promise<string> {
  checkRelPath(asset);
  const home = resolve(opts.home ?? defaultAssetHome());
  const target = join(home, ...asset.relPath.split(/[\\/]/));
  const fileName = basename(target);
  const tried: string[] = [];
  let cachedHash: string | undefined;

  if (await isFile(target)) {
    if (!asset.sha256) return target;
    cachedHash = await sha256File(target);
    if (cachedHash === asset.sha256.toLowerCase()) return target;
    // A stale or damaged cached copy: drop it and fetch a good one from the other sources.
    await unlink(target).catch(() => undefined);
    tried.push(`the cached copy had sha256 ${cachedHash} instead of ${asset.sha256.toLowerCase()} and was deleted`);
  } else {
    tried.push(`it is not in the cache (${target})`);
  }

  const envMirror = process.env['FACENET_MIRROR'];
  const mirror = opts.mirror ?? (envMirror && envMirror.length > 0 ? envMirror : undefined);
  if (mirror) {
    let outcome: Outcome;
    let where: string;
    if (/^https?:\/\//i.test(mirror)) {
      where = joinUrl(mirror, asset.relPath);
      outcome = await download(asset, where, target, opts);
    } else {
      const folder = /^file:/i.test(mirror) ? fileURLToPath(mirror) : resolve(mirror);
      where = join(folder, ...asset.relPath.split(/[\\/]/));
      outcome = await copyFromFolder(asset, where, target, opts);
    }
    if (outcome.ok) return target;
    tried.push(`the mirror ${mirror} did not provide it: ${outcome.reason}`);
  } else {
    tried.push('no mirror is set (FACENET_MIRROR)');
  }

  if (asset.url) {
    const outcome = await download(asset, asset.url, target, opts);
    if (outcome.ok) return target;
    tried.push(`${asset.url}: ${outcome.reason}`);
  } else {
    tried.push('it has no upstream download address');
  }

  const howToFix =
    `Upstream: ${asset.url ?? '(none)'}\n` +
    `To fix it, download ${fileName} yourself and put it at ${target}, ` +
    `or set FACENET_MIRROR to a folder or http(s) URL that holds ${asset.relPath}.`;
  if (cachedHash !== undefined) {
    // The only copy there was had the wrong content: that, not absence, is what the user must fix.
    throw new FacenetError(
      'CHECKSUM_MISMATCH',
      `asset "${asset.id}": ${fileName} in the cache (${target}) has sha256 ${cachedHash}, expected ${asset.sha256!.toLowerCase()}; ` +
        `it was deleted and no good copy could be fetched: ${tried.slice(1).join('; ')}.\n${howToFix}`,
    );
  }
  throw new FacenetError('ASSET_MISSING', `asset "${asset.id}" (${fileName}) is not available: ${tried.join('; ')}.\n${howToFix}`);
}
