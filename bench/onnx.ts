/**
 * ONNX suite: the exported Inception-ResNet-v1 (src/export) on onnxruntime-node against our
 * engine on the same weights, in the same process and the same run, and the same graph on
 * onnxruntime-web in headless Chromium (the facenet/web bundle, wasm SIMD, threads when the page
 * is cross-origin isolated):
 *
 *   1. embedding throughput, batch 16 (images/s), 160x160;
 *   2. batch-1 latency (ms per image);
 *   3. in-browser embedding through FaceNetWeb.embed, batch 16 and batch 1 (images/s and ms),
 *      timed inside the page (standardisation in TypeScript included, as for a user).
 *
 * Node cases alternate ours and ORT sample by sample (the order rotating each turn, after a 30 ms
 * idle gap so the other side's worker threads have gone quiet) and report each side's median and
 * the median of the per-turn ratios. ratio = ort_ms / ours_ms: above 1, ours is faster. Both sides
 * get `--threads` intra-op threads. The model has random weights: speed does not depend on them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { manualSeed, noGrad, randn, setNumThreads, tensor, tidy } from '../src/tensor/index.js';
import { InceptionResnetV1 } from '../src/models/inception-resnet-v1/model.js';
import { encodeModel, exportInceptionResnetV1, exportMtcnnFiles } from '../src/export/index.js';
import { ZOO } from '../src/test-support/shared.js';
import { serveStatic } from '../src/test-support/static-server.js';
import { launchChromium } from '../src/test-support/browser.js';
import type { SuiteOptions } from './suite-options.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..');
const IDLE_GAP_MS = 30;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round = (x: number, digits = 4): number => Number(x.toPrecision(digits));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runOnnxSuite(o: SuiteOptions): Promise<void> {
  setNumThreads(o.threads);
  manualSeed(1);
  const model = new InceptionResnetV1().initLikeFacenet();
  model.eval();
  model.setMemoryFormat('channels_last');
  const bytes = encodeModel(exportInceptionResnetV1(model));
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: o.threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const samples = o.quick ? 5 : 15;
  o.emit({ suite: 'onnx', meta: true, threads: o.threads, onnxruntime_node: ort.env.versions?.node ?? null, model: 'inception-resnet-v1 160px, random weights', onnx_bytes: bytes.length, samples });

  for (const batch of [16, 1]) {
    const x = tidy(() => randn([batch, 3, 160, 160]).toFloat32());
    const ours = async (): Promise<number> => {
      const t = performance.now();
      noGrad(() => tidy(() => model.forward(tensor(x, [batch, 3, 160, 160])).toFloat32()));
      return performance.now() - t;
    };
    const feed = { input: new ort.Tensor('float32', x, [batch, 3, 160, 160]) };
    const theirs = async (): Promise<number> => {
      const t = performance.now();
      await session.run(feed);
      return performance.now() - t;
    };
    for (let i = 0; i < 2; i++) {
      await ours();
      await theirs();
    }
    const a: number[] = [];
    const b: number[] = [];
    for (let turn = 0; turn < samples; turn++) {
      const order = turn % 2 ? [theirs, ours] : [ours, theirs];
      for (const f of order) {
        await sleep(IDLE_GAP_MS);
        (f === ours ? a : b).push(await f());
      }
    }
    const ms = median(a);
    const ortMs = median(b);
    o.emit({
      suite: 'onnx',
      case: batch === 16 ? 'embedding-b16' : 'latency-b1',
      batch,
      threads: o.threads,
      ours_ms: round(ms),
      ort_ms: round(ortMs),
      ours_img_s: round((1000 * batch) / ms),
      ort_img_s: round((1000 * batch) / ortMs),
      ratio: round(ortMs / ms, 3),
      ratio_paired: round(median(a.map((v, i) => b[i]! / v)), 3),
    });
  }
  await session.release();
  model.dispose();
  await browserCase(o, bytes, samples);
}

async function browserCase(o: SuiteOptions, bytes: Uint8Array, samples: number): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'facenet-bench-web-'));
  try {
    const build = spawnSync(process.execPath, [path.join(REPO, 'scripts/build-web.mjs'), path.relative(REPO, path.join(dir, 'web'))], { cwd: REPO, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`web build failed: ${build.stderr}`);
    await writeFile(path.join(dir, 'model.onnx'), bytes);
    await exportMtcnnFiles(dir, { home: path.join(dir, 'home'), mirror: ZOO });
    const server = await serveStatic({ '/web/': path.join(dir, 'web'), '/models/': dir });
    let browser;
    try {
      browser = await launchChromium();
    } catch (e) {
      o.emit({ suite: 'onnx', case: 'browser', error: `no Chromium: ${(e as Error).message.split('\n')[0]}` });
      await server.close();
      return;
    }
    try {
      const page = await browser.context.newPage();
      await page.goto(`${server.url}/web/demo/index.html?models=/models/`);
      // Strings, not closures (the TypeScript loader's helpers do not exist in the page).
      const timing = (await page.evaluate(`({ isolated: crossOriginIsolated, threads: Math.min(4, navigator.hardwareConcurrency) })`)) as { isolated: boolean; threads: number };
      const res = (await page.evaluate(`(async () => {
        const mod = await import('/web/facenet-web.js');
        const t0 = performance.now();
        const fn = await mod.FaceNetWeb.load({ model: '/models/model.onnx', mtcnn: '/models/' });
        const loadMs = performance.now() - t0;
        const face = () => { const d = new Uint8Array(160 * 160 * 3); for (let i = 0; i < d.length; i++) d[i] = (i * 31) & 255; return { width: 160, height: 160, data: d, source: 'x' }; };
        const results = {};
        for (const batch of [16, 1]) {
          const faces = Array.from({ length: batch }, face);
          await fn.embed(faces); await fn.embed(faces);
          const ms = [];
          for (let i = 0; i < ${samples}; i++) { const t = performance.now(); await fn.embed(faces); ms.push(performance.now() - t); }
          ms.sort((a, b) => a - b);
          results[batch] = ms[ms.length >> 1];
        }
        await fn.dispose();
        return { loadMs, results };
      })()`)) as { loadMs: number; results: Record<string, number> };
      const version = await browser.context.browser()?.version();
      for (const batch of [16, 1]) {
        const ms = res.results[String(batch)]!;
        o.emit({
          suite: 'onnx',
          case: batch === 16 ? 'browser-embedding-b16' : 'browser-latency-b1',
          batch,
          chromium: version ?? null,
          cross_origin_isolated: timing.isolated,
          wasm_threads: timing.isolated ? timing.threads : 1,
          browser_ms: round(ms),
          browser_img_s: round((1000 * batch) / ms),
          load_ms: round(res.loadMs),
        });
      }
    } finally {
      await browser.close();
      await server.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
