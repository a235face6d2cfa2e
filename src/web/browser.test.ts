/**
 * facenet/web in headless Chromium: the bundle built by scripts/build-web.mjs, the models exported
 * by src/export, served from a loopback server. Embeddings computed in the page match our engine's
 * (<= 1e-3), detections match our detector's (same counts, IoU >= 0.99), the demo page compares
 * two photos (screenshot in .cache/artifacts/web-demo.png), and a corrupt .onnx is a clear error.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { FIXTURES, ZOO } from '../test-support/shared.js';
import { serveStatic, type StaticServer } from '../test-support/static-server.js';
import { launchChromium, type Browser } from '../test-support/browser.js';
import { InceptionResnetV1 } from '../models/inception-resnet-v1/model.js';
import { saveModel } from '../models/model-file.js';
import { exportModelFile, exportMtcnnFiles } from '../export/index.js';
import { MtcnnDetector } from '../detect/index.js';
import { standardizeInto } from '../embed/standardize.js';
import { readArchiveFiles } from '../test-support/lfw-archive.js';
import { manualSeed, noGrad, rand, randn, setNumThreads, tensor, tidy } from '../tensor/index.js';
import { iou } from '../math/boxes.js';
import type { RgbImage } from '../io/image.js';
import type { Face } from '../detect/face.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ARTIFACTS = path.join(repo, '.cache', 'artifacts');
setNumThreads(1);

let dir: string;
let server: StaticServer;
let browser: Browser;
let page: Page;
let model: InceptionResnetV1;
const images: { name: string; img: RgbImage }[] = [];

async function decodeLikePil(bytes: Uint8Array, source: string): Promise<RgbImage> {
  const { data, info } = await sharp(bytes, { ignoreIcc: true }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length), source };
}
const png = (img: RgbImage): Promise<Buffer> => sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).png().toBuffer();

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'facenet-web-'));
  const build = spawnSync(process.execPath, [path.join(repo, 'scripts/build-web.mjs'), path.relative(repo, path.join(dir, 'web'))], { cwd: repo, encoding: 'utf8' });
  assert.equal(build.status, 0, build.stderr);
  // A small model with random weights and batch-norm statistics (the fold is then not an identity).
  manualSeed(3);
  model = new InceptionResnetV1({ variant: 'inception-resnet-v1-tiny' });
  noGrad(() => {
    for (const [k, t] of model.stateDict()) {
      if (k.endsWith('running_var')) t.copy_(tidy(() => rand(t.shape).add(0.5)));
      else if (k.endsWith('running_mean')) t.copy_(tidy(() => randn(t.shape).mul(0.1)));
    }
  });
  model.eval();
  await saveModel(model, path.join(dir, 'tiny.safetensors'), { threshold: 1.0 });
  const models = path.join(dir, 'models');
  await exportModelFile(path.join(dir, 'tiny.safetensors'), path.join(models, 'model.onnx'));
  await exportModelFile(path.join(dir, 'tiny.safetensors'), path.join(models, 'model-pixels.onnx'), { includePreprocessing: true });
  await exportMtcnnFiles(models, { home: path.join(dir, 'home'), mirror: ZOO });
  await writeFile(path.join(models, 'corrupt.onnx'), Buffer.from('this is not protobuf at all \xff\xff\xff\xff'));
  // Ten of the 47 fixture images (the Node ORT test covers all 47), as PNG so both sides see the same pixels.
  const fixture = JSON.parse(await readFile(path.join(FIXTURES, 'mtcnn', 'detections.json'), 'utf8')) as { images: { image: string }[] };
  const chosen = [...fixture.images.filter((r) => !r.image.startsWith('lfw-')).slice(0, 4), ...fixture.images.filter((r) => r.image.startsWith('lfw-')).slice(0, 6)];
  const archived = await readArchiveFiles(path.join(ZOO, 'lfw', 'lfw-deepfunneled.tgz'), chosen.map((r) => r.image).filter((n) => n.startsWith('lfw-')));
  await mkdir(path.join(dir, 'images'));
  for (const [i, r] of chosen.entries()) {
    const img = await decodeLikePil(archived.get(r.image) ?? (await readFile(path.join(ZOO, r.image))), r.image);
    const name = `img${i}.png`;
    await writeFile(path.join(dir, 'images', name), await png(img));
    images.push({ name, img });
  }
  server = await serveStatic({ '/web/': path.join(dir, 'web'), '/models/': models, '/images/': path.join(dir, 'images') });
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${server.url}/web/demo/index.html?models=/models/`);
  await page.waitForFunction(`/pick two photos|error/.test(document.getElementById('verdict')?.textContent ?? '')`, undefined, { timeout: 120_000 });
});

/**
 * Runs an async function body in the page with `args` bound. A string, not a closure: the test
 * runner's TypeScript transform decorates closures with helpers that do not exist in the page.
 */
function inPage<T>(body: string, args: unknown = null): Promise<T> {
  return page.evaluate(`(async (args) => { ${body} })(${JSON.stringify(args)})`) as Promise<T>;
}

after(async () => {
  await browser?.close();
  await server?.close();
  model?.dispose();
  await rm(dir, { recursive: true, force: true });
});

test('the demo page loads the models in the page, cross-origin isolated (wasm threads)', async () => {
  assert.match((await page.textContent('#verdict')) ?? '', /pick two photos/);
  assert.equal(await page.evaluate('crossOriginIsolated'), true);
  assert.match((await page.textContent('#runtime')) ?? '', /threads/);
});

test("embeddings computed in the page match our engine's to 1e-3 (float32 and uint8-input exports)", async (t) => {
  const size = model.config.inputSize;
  const faces = images.slice(0, 5).map(({ img }, i) => {
    // deterministic size x size crops of the photos: the same pixels on both sides
    const data = new Uint8Array(size * size * 3);
    for (let y = 0; y < size; y++) data.set(img.data.subarray(((y + i) * img.width + i) * 3, ((y + i) * img.width + i + size) * 3), y * size * 3);
    return { width: size, height: size, data, source: `face${i}` };
  });
  const x = new Float32Array(faces.length * 3 * size * size);
  faces.forEach((f, i) => standardizeInto(f.data, size, size, 'fixed', x, i * 3 * size * size));
  const ours = noGrad(() => tidy(() => model.forward(tensor(x, [faces.length, 3, size, size])).toFloat32()));
  for (const file of ['model.onnx', 'model-pixels.onnx']) {
    const theirs = await inPage<{ embs: number[][]; compare: { distance: number; isMatch: boolean | null } }>(
      `const { FaceNetWeb } = await import('/web/facenet-web.js');
       const fn = await FaceNetWeb.load({ model: '/models/' + args.file, mtcnn: '/models/' });
       const embs = await fn.embed(args.faces.map((f) => ({ ...f, data: new Uint8Array(f.data) })));
       const c = fn.compare(embs[0], embs[1]);
       await fn.dispose();
       return { embs: embs.map((e) => Array.from(e)), compare: c };`,
      { file, faces: faces.map((f) => ({ ...f, data: Array.from(f.data) })) },
    );
    const d = model.config.embeddingSize;
    let worst = 0;
    theirs.embs.forEach((e: number[], i: number) => e.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - ours[i * d + k]!)))));
    assert.equal(theirs.embs.length, faces.length);
    t.diagnostic(`${file}: page vs ours, max abs diff ${worst}`);
    assert.ok(worst <= 1e-3, `${file}: max abs diff ${worst}`);
    let sq = 0;
    for (let k = 0; k < d; k++) sq += (ours[k]! - ours[d + k]!) ** 2;
    assert.ok(Math.abs(theirs.compare.distance - Math.sqrt(sq)) <= 1e-3);
    assert.equal(theirs.compare.isMatch, sq < 1.0);
  }
});

test("detections in the page (decoded from PNG by the browser) match our detector's: same counts, IoU >= 0.99", async (t) => {
  const detector = await MtcnnDetector.load({ home: path.join(dir, 'home'), mirror: ZOO });
  const found = await inPage<Face[][]>(
    `const { FaceNetWeb } = await import('/web/facenet-web.js');
     const fn = await FaceNetWeb.load({ model: '/models/model.onnx', mtcnn: '/models/' });
     const out = [];
     for (const n of args) out.push(await fn.detect(await (await fetch('/images/' + n)).blob()));
     await fn.dispose();
     return out;`,
    images.map((i) => i.name),
  );
  let worst = 1;
  let total = 0;
  images.forEach(({ img }, i) => {
    const mine = detector.detect(img, { order: 'probability' });
    assert.equal(found[i]!.length, mine.length, `${img.source}: page ${found[i]!.length} faces, ours ${mine.length}`);
    mine.forEach((f, k) => {
      const o = iou(f.box, found[i]![k]!.box);
      worst = Math.min(worst, o);
      assert.ok(o >= 0.99, `${img.source} face ${k}: IoU ${o}`);
    });
    total += mine.length;
  });
  detector.dispose();
  t.diagnostic(`${total} faces on ${images.length} images, worst IoU ${worst}`);
  assert.ok(total >= 10, `${total} faces`);
});

test('the demo compares two photos with no server round trip; screenshot saved', async () => {
  const before = new Set<string>();
  page.on('request', (r) => before.add(new URL(r.url()).pathname));
  const multi = images.findIndex((i) => /multiface/.test(i.img.source));
  await page.setInputFiles('#file-a', path.join(dir, 'images', images[multi >= 0 ? multi : 0]!.name));
  await page.setInputFiles('#file-b', path.join(dir, 'images', images[4]!.name));
  await page.waitForFunction(`/distance|no face|error/.test(document.getElementById('verdict')?.textContent ?? '')`, undefined, { timeout: 60_000 });
  const verdict = (await page.textContent('#verdict')) ?? '';
  assert.match(verdict, /distance \d+\.\d+, cosine similarity -?\d+\.\d+: (same person|different people)/);
  assert.match((await page.textContent('#info-a')) ?? '', /[1-9]\d* face\(s\)/);
  assert.deepEqual([...before].filter((p) => !p.startsWith('/web/')), [], 'the page fetched something while comparing');
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'web-demo.png'), fullPage: true });
});

test('a corrupt .onnx rejects with a clear error; a non-MTCNN file in its place too', async () => {
  const errors = await inPage<string[]>(
    `const { FaceNetWeb } = await import('/web/facenet-web.js');
     const msg = (p) => p.then(() => 'resolved', (e) => e.name + ': ' + e.message);
     return [
       await msg(FaceNetWeb.load({ model: '/models/corrupt.onnx', mtcnn: '/models/' })),
       await msg(FaceNetWeb.load({ model: '/models/model.onnx', mtcnn: { pnet: '/models/model.onnx', rnet: '/models/rnet.onnx', onet: '/models/onet.onnx' } })),
       await msg(FaceNetWeb.load({ model: '/models/missing.onnx', mtcnn: '/models/' })),
     ];`,
  );
  assert.match(errors[0]!, /FacenetError: \/models\/corrupt\.onnx is not an ONNX model|FacenetError: .*corrupt\.onnx is not a valid ONNX model/);
  assert.match(errors[1]!, /is not the MTCNN pnet/);
  assert.match(errors[2]!, /missing\.onnx: HTTP 404/);
});
