/**
 * What the serve tests and the serve bench share: a small random model written to disk, LFW
 * photos read from the offline archive, and `facenet serve` as a child process (for the tests
 * that kill it or measure its memory).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InceptionResnetV1 } from '../models/inception-resnet-v1/model.js';
import { saveModel } from '../models/model-file.js';
import { manualSeed } from '../tensor/index.js';
import { readArchiveFiles } from './lfw-archive.js';
import { ZOO } from './shared.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const LFW_TGZ = path.join(ZOO, 'lfw', 'lfw-deepfunneled.tgz');

/** A tiny Inception-ResNet-v1 with seeded random weights and a stored threshold. */
export async function writeTinyModel(file: string, threshold = 1.0): Promise<string> {
  manualSeed(3);
  const m = new InceptionResnetV1({ variant: 'inception-resnet-v1-tiny' });
  await saveModel(m, file, { threshold });
  m.dispose();
  return file;
}

/** JPEG bytes of LFW images by 'Name/Name_0001.jpg'. */
export async function lfwPhotos(names: readonly string[]): Promise<Map<string, Buffer>> {
  const files = await readArchiveFiles(LFW_TGZ, names.map((n) => `lfw-deepfunneled/${n}`));
  const out = new Map<string, Buffer>();
  for (const n of names) {
    const data = files.get(`lfw-deepfunneled/${n}`);
    if (!data) throw new Error(`${n} is not in ${LFW_TGZ}`);
    out.set(n, data);
  }
  return out;
}

export interface ServeChild {
  child: ChildProcess;
  url: string;
  /** Everything the child wrote, for failure messages. */
  log: () => string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

/** Starts `facenet serve` on a free loopback port and resolves once it listens. */
export async function spawnServe(args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<ServeChild> {
  const child = spawn(process.execPath, [path.join(REPO, 'bin/facenet.js'), 'serve', '--host', '127.0.0.1', '--port', '0', ...args], {
    cwd: REPO,
    env: { ...process.env, FACENET_MIRROR: ZOO, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`facenet serve did not start in ${timeoutMs} ms:\n${text}`)), timeoutMs);
    const look = () => {
      const m = /listening on (http:\/\/[\d.:]+)/.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stderr!.on('data', look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`facenet serve exited (${code}) before listening:\n${text}`));
    });
  });
  return { child, url, log: () => text, exited };
}

/** Resident memory of a process in bytes (Linux /proc). */
export async function rssOf(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!kb) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb[1]) * 1024;
}

/** A multipart body with one image field, as bytes plus its content-type header (for autocannon). */
export async function multipartBody(image: Buffer, field = 'image'): Promise<{ body: Buffer; contentType: string }> {
  const form = new FormData();
  form.append(field, new Blob([image], { type: 'image/jpeg' }), 'photo.jpg');
  const req = new Request('http://127.0.0.1/', { method: 'POST', body: form });
  return { body: Buffer.from(await req.arrayBuffer()), contentType: req.headers.get('content-type')! };
}
