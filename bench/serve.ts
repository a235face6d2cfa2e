/**
 * serve suite: `facenet serve` (a child process, loopback) answering /v1/identify with a 250x250
 * LFW photo against a 10k-face gallery, at 1, 4 and 16 concurrent clients (autocannon): requests/s,
 * p50 and p99 latency. The peer, in the same run and on the same images and threads: the offline
 * pipeline a batch job would run (FaceNet.detect + align on each image, then FaceNet.embed in
 * batches of 16, i.e. what `facenet embed` does after `facenet align`), timed before and after the
 * server runs and averaged. ratio = server images/s / offline images/s (goal >= 0.8 at 16 clients).
 *
 * The model is Inception-ResNet-v1 (160 px, 512-d) with random weights (speed does not depend on
 * them); --quick uses the tiny variant, a 1k gallery and short runs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { FaceNet } from '../src/facenet.js';
import { createGallery } from '../src/gallery/index.js';
import { decodeImage, type RgbImage } from '../src/io/image.js';
import { InceptionResnetV1 } from '../src/models/inception-resnet-v1/model.js';
import { saveModel } from '../src/models/model-file.js';
import { manualSeed, ompWaitPolicyInfo } from '../src/tensor/index.js';
import { ZOO } from '../src/test-support/shared.js';
import { lfwPhotos, multipartBody, rssOf, spawnServe } from '../src/test-support/serve-fixture.js';
import type { SuiteOptions } from './suite-options.js';

const round = (x: number, digits = 4): number => Number(x.toPrecision(digits));
const PHOTO = 'Aaron_Peirsol/Aaron_Peirsol_0001.jpg';

/** Offline images/s: detect + align each image, embed the crops in batches of 16. */
async function offlineRate(fn: FaceNet, img: RgbImage, images: number): Promise<{ facesPerS: number; embedOnlyPerS: number }> {
  const t0 = performance.now();
  const crops: RgbImage[] = [];
  for (let i = 0; i < images; i++) {
    const faces = await fn.detect(img);
    crops.push(await fn.align(img, faces[0]!));
  }
  const t1 = performance.now();
  for (let i = 0; i < crops.length; i += 16) await fn.embed(crops.slice(i, i + 16));
  const t2 = performance.now();
  return { facesPerS: (images * 1000) / (t2 - t0), embedOnlyPerS: (images * 1000) / (t2 - t1) };
}

export async function runServeSuite(o: SuiteOptions): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'facenet-bench-serve-'));
  const variant = o.quick ? 'inception-resnet-v1-tiny' : 'inception-resnet-v1';
  const galleryFaces = o.quick ? 1000 : 10_000;
  const seconds = o.quick ? 10 : 30;
  const offlineImages = o.quick ? 32 : 64;
  // One precision per run (server and offline peer alike): fp32 unless `--precision bf16` alone.
  const precision = o.precisions?.length === 1 ? o.precisions[0]! : 'fp32';
  try {
    manualSeed(1);
    const net = new InceptionResnetV1({ variant });
    const modelFile = path.join(dir, 'model.safetensors');
    await saveModel(net, modelFile, { threshold: 1.1 });
    const dim = net.config.embeddingSize;
    net.dispose();
    const photo = (await lfwPhotos([PHOTO])).get(PHOTO)!;
    const fn = await FaceNet.load({ model: modelFile, threads: o.threads, precision, mirror: process.env['FACENET_MIRROR'] ?? ZOO, home: path.join(dir, 'home') });
    const img = await decodeImage(photo);

    // A gallery of random unit embeddings plus the photo's own face, for the model's id.
    const gallery = path.join(dir, 'gallery.db');
    const g = await createGallery(gallery, { modelId: fn.modelId, dim, model: modelFile, threshold: 1.1 });
    manualSeed(2);
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const items = Array.from({ length: galleryFaces - 1 }, (_, i) => {
      const e = Float32Array.from({ length: dim }, rand);
      const n = Math.hypot(...e);
      return { subject: `subject-${i}`, embeddings: [e.map((v) => v / n)] };
    });
    const own = (await fn.faces(img))[0]!;
    items.push({ subject: 'Aaron_Peirsol', embeddings: [own.embedding] });
    await g.enrollMany(items);
    await g.close();

    await offlineRate(fn, img, 4); // warm-up
    const before = await offlineRate(fn, img, offlineImages);
    o.emit({ suite: 'serve', meta: true, model: `${variant} (random weights)`, gallery_faces: galleryFaces, photo: `LFW ${PHOTO} (${img.width}x${img.height})`, threads: o.threads, precision, omp_wait: ompWaitPolicyInfo(), seconds, note: 'machine shared with other jobs: compare the ratios, not absolute figures' });

    // The server gets this process's OpenMP wait policy (inherited when it is PASSIVE; told to keep
    // libgomp's default otherwise): left to choose, it would see the load of the offline runs just
    // before it and pick PASSIVE, and the ratio would compare two policies.
    const waitPolicy = process.env['OMP_WAIT_POLICY'] === undefined && process.env['GOMP_SPINCOUNT'] === undefined ? { FACENET_OMP_WAIT: 'keep' } : {};
    const server = await spawnServe(['--gallery', gallery, '--threads', String(o.threads), '--precision', precision, '--log-level', 'warn'], { FACENET_HOME: path.join(dir, 'home'), ...waitPolicy });
    const runs: { clients: number; rps: number; p50: number; p99: number; errors: number; non2xx: number; requests: number }[] = [];
    try {
      const { body, contentType } = await multipartBody(photo);
      const hit = (connections: number, duration: number) => autocannon({ url: `${server.url}/v1/identify`, method: 'POST', headers: { 'content-type': contentType }, body, connections, duration, timeout: 30 });
      const check = await fetch(`${server.url}/v1/identify`, { method: 'POST', headers: { 'content-type': contentType }, body });
      const answer = (await check.json()) as { faces: { matches: { subject: string }[] }[] };
      if (answer.faces[0]?.matches[0]?.subject !== 'Aaron_Peirsol') throw new Error(`identify did not find the enrolled photo: ${JSON.stringify(answer).slice(0, 300)}`);
      await hit(4, 3); // warm-up
      for (const clients of [1, 4, 16]) {
        const r = await hit(clients, seconds);
        runs.push({ clients, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx, requests: r.requests.total });
      }
      o.emit({ suite: 'serve', case: 'server_rss', rss_mb: round((await rssOf(server.child.pid!)) / 2 ** 20) });
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    const after = await offlineRate(fn, img, offlineImages);
    fn.dispose();
    const offline = (before.facesPerS + after.facesPerS) / 2;
    const embedOnly = (before.embedOnlyPerS + after.embedOnlyPerS) / 2;
    o.emit({ suite: 'serve', case: 'offline', precision, images_per_s: round(offline), before: round(before.facesPerS), after: round(after.facesPerS), embed_only_images_per_s: round(embedOnly), what: 'detect + align each image, embed in batches of 16 (same images, same threads)' });
    for (const r of runs) {
      o.emit({ suite: 'serve', case: 'identify', precision, clients: r.clients, requests_per_s: round(r.requests / seconds), p50_ms: r.p50, p99_ms: r.p99, requests: r.requests, errors: r.errors, non2xx: r.non2xx, offline_images_per_s: round(offline), ratio: round(r.requests / seconds / offline, 3) });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
