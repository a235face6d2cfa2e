/**
 * The ANN index on real face embeddings: `node --import tsx bench/gallery-ann-lfw.ts --model M
 * --lfw-dir ALIGNED [--embeddings E.npy]` (defaults: the demo's model and aligned LFW in
 * .cache/demo).
 *
 * All of LFW is embedded by the model (`facenet embed`, cached). Queries: the last image of every
 * person with >= 2 images; the gallery: every other image (the single-image people stay in as
 * distractors). For each ANN setting, the index is built (timed) and every query is identified
 * through it and by the exact scan; recall@1 is the share of queries whose best face is the exact
 * scan's, and rank-1 the share whose best subject is the query's person (both ways). JSON lines.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGallery, type AnnSettings, type Gallery, type Identification } from '../src/gallery/index.js';
import { readNpy } from '../src/io/npy.js';
import { setNumThreads } from '../src/tensor/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argOf = (name: string, d: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : d;
};
const model = argOf('model', path.join(root, '.cache/demo/run/model.safetensors'));
const lfwDir = argOf('lfw-dir', path.join(root, '.cache/demo/lfw-aligned-128'));
const cache = path.join(root, '.cache', 'gallery-ann-lfw');
const embeddings = argOf('embeddings', path.join(cache, 'lfw.npy'));
const emit = (x: unknown) => process.stdout.write(JSON.stringify(x) + '\n');

mkdirSync(cache, { recursive: true });
if (!existsSync(embeddings)) {
  if (!existsSync(model) || !existsSync(lfwDir)) throw new Error(`no ${embeddings}, and no model (${model}) or aligned LFW (${lfwDir}) to make it: run \`npm run demo\` first`);
  process.stderr.write(`embedding ${lfwDir} with ${model}\n`);
  execFileSync(process.execPath, [path.join(root, 'bin/facenet.js'), 'embed', lfwDir, '--model', model, '--out', embeddings, '--precision', 'fp32'], { stdio: 'inherit' });
}
setNumThreads(1); // one query at a time, one core: the latency a server thread sees
const npy = await readNpy(embeddings);
const [rows, dim] = npy.shape as [number, number];
const data = npy.data as Float32Array;
const sidecar = JSON.parse(readFileSync(embeddings.replace(/\.npy$/, '.json'), 'utf8')) as { images: string[] };
const person = sidecar.images.map((im) => path.basename(path.dirname(im)));
const rowsOf = new Map<string, number[]>();
person.forEach((p, r) => rowsOf.set(p, [...(rowsOf.get(p) ?? []), r]));
const queryRows: number[] = [];
const galleryRows = new Map<string, number[]>();
for (const [p, rs] of rowsOf) {
  if (rs.length >= 2) queryRows.push(rs[rs.length - 1]!);
  galleryRows.set(p, rs.length >= 2 ? rs.slice(0, -1) : rs);
}
const row = (r: number) => data.subarray(r * dim, (r + 1) * dim);
const dir = path.join(os.tmpdir(), `facenet-ann-lfw-${process.pid}`);
mkdirSync(dir, { recursive: true });
const g: Gallery = await createGallery(path.join(dir, 'lfw.db'), { modelId: 'bench', dim, model: 'bench', threshold: null });
try {
  await g.enrollMany([...galleryRows].map(([subject, rs]) => ({ subject, embeddings: rs.map(row) })));
  const queries = queryRows.map(row);
  const truth = queryRows.map((r) => person[r]!);
  emit({ bench: 'gallery-ann-lfw', meta: true, model, rows, dim, gallery_faces: g.size, gallery_subjects: galleryRows.size, queries: queries.length, loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100) });
  const identifyEach = async (exact: boolean) => {
    const out: Identification[] = [];
    const ms: number[] = [];
    for (const q of queries) {
      const t0 = performance.now();
      const [r] = await g.identifyEmbeddings([q], { k: 1, exact });
      ms.push(performance.now() - t0);
      out.push(r!);
    }
    ms.sort((a, b) => a - b);
    return { out, p50: Math.round(ms[ms.length >> 1]! * 1000) / 1000 };
  };
  const exact = await identifyEach(true);
  const rank1 = (res: Identification[]) => res.filter((r, i) => r.matches[0]?.subject === truth[i]).length / res.length;
  const settings: AnnSettings[] = [{}, { expansionSearch: 16 }, { connectivity: 8, expansionSearch: 16 }, { quantization: 'f32' }];
  for (const s of settings) {
    const t0 = performance.now();
    const status = await g.buildAnnIndex(s);
    const buildS = (performance.now() - t0) / 1000;
    const ann = await identifyEach(false);
    const same = ann.out.filter((r, i) => r.matches[0]?.faceId === exact.out[i]!.matches[0]?.faceId).length;
    emit({ bench: 'gallery-ann-lfw', settings: status!.settings, build_s: Math.round(buildS * 100) / 100, recall_at_1: same / queries.length, recall_misses: queries.length - same, rank1_exact: rank1(exact.out), rank1_ann: rank1(ann.out), query_p50_ms_exact: exact.p50, query_p50_ms_ann: ann.p50 });
  }
} finally {
  await g.close();
  rmSync(dir, { recursive: true, force: true });
}
