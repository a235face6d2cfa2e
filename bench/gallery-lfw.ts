/**
 * End to end on LFW through the CLI: `node --import tsx bench/gallery-lfw.ts [--people 150] [--unknown 150]`.
 *
 * Takes the first P people (alphabetically) with >= 2 images, enrolls each from their first
 * image (`facenet gallery enroll --from-folders --largest-face`), identifies up to 3 of their other
 * images, and identifies one image each of U people never enrolled (`facenet gallery identify
 * --json`, every face; the face nearest the image centre is the query's). Prints JSON lines:
 * rank-1 accuracy of the enrolled people, and for thresholds chosen on the distances, the
 * unknown-rejection rate against the accepted-correct rate (no calibrated threshold needed).
 *
 * Model: whatever FACENET_LFW_MODEL names; default a random-weight tiny model written here,
 * because no trained model is on this machine. Its figures measure plumbing, not recognition.
 */
import { execFileSync, execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InceptionResnetV1 } from '../src/models/inception-resnet-v1/model.js';
import { saveModel } from '../src/models/model-file.js';
import { manualSeed } from '../src/tensor/index.js';
import { ZOO } from '../src/test-support/shared.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cache = path.join(root, '.cache', 'gallery-lfw');
const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const P = arg('people', 150);
const U = arg('unknown', 150);
const emit = (x: unknown) => process.stdout.write(JSON.stringify(x) + '\n');

mkdirSync(cache, { recursive: true });
const lfw = path.join(cache, 'lfw-deepfunneled');
if (!existsSync(lfw)) execFileSync('tar', ['xzf', path.join(ZOO, 'lfw', 'lfw-deepfunneled.tgz'), '-C', cache]);
let model = process.env['FACENET_LFW_MODEL'];
let modelNote = 'given by FACENET_LFW_MODEL';
if (!model) {
  model = path.join(cache, 'random-tiny.safetensors');
  modelNote = 'inception-resnet-v1-tiny with RANDOM weights (seed 1): no trained model on this machine';
  if (!existsSync(model)) {
    manualSeed(1);
    const m = new InceptionResnetV1({ variant: 'inception-resnet-v1-tiny' });
    await saveModel(m, model, { note: 'random weights' });
    m.dispose();
  }
}
const people = readdirSync(lfw).filter((d) => !d.startsWith('.')).sort();
const imagesOf = (p: string) => readdirSync(path.join(lfw, p)).filter((f) => f.endsWith('.jpg')).sort();
const multi = people.filter((p) => imagesOf(p).length >= 2).slice(0, P);
const single = people.filter((p) => imagesOf(p).length === 1).slice(0, U);
const work = path.join(cache, `run-${P}-${U}`);
rmSync(work, { recursive: true, force: true });
mkdirSync(path.join(work, 'enroll'), { recursive: true });
const queries: { file: string; truth: string | null }[] = [];
for (const p of multi) {
  const [first, ...rest] = imagesOf(p);
  mkdirSync(path.join(work, 'enroll', p));
  copyFileSync(path.join(lfw, p, first!), path.join(work, 'enroll', p, first!));
  for (const f of rest.slice(0, 3)) queries.push({ file: path.join(lfw, p, f), truth: p });
}
for (const p of single) queries.push({ file: path.join(lfw, p, imagesOf(p)[0]!), truth: null });
const db = path.join(work, 'lfw.db');
const cli = (args: string[]) => promisify(execFile)(process.execPath, [path.join(root, 'bin', 'facenet.js'), ...args], { maxBuffer: 1 << 28, env: { ...process.env, FACENET_MIRROR: process.env['FACENET_MIRROR'] ?? ZOO } });
const t0 = performance.now();
await cli(['gallery', 'create', db, '--model', model]);
const enrolled = JSON.parse((await cli(['gallery', 'enroll', db, '--from-folders', path.join(work, 'enroll'), '--largest-face', '--json'])).stdout) as { enrolled: unknown[]; failures: unknown[] };
const tEnroll = performance.now() - t0;
writeFileSync(path.join(work, 'queries.txt'), queries.map((q) => q.file).join('\n') + '\n');
const t1 = performance.now();
const out = JSON.parse((await cli(['gallery', 'identify', db, ...queries.map((q) => q.file), '--k', '1', '--threshold', '4', '--json'])).stdout) as { query: string; box: number[]; matches: { subject: string; distance: number }[] }[];
const tIdentify = performance.now() - t1;
// per query image, the face nearest the centre (LFW crops are centred on their person)
const best = new Map<string, { subject: string; distance: number; off: number }>();
for (const e of out) {
  const [x1, y1, x2, y2] = e.box as [number, number, number, number];
  const off = Math.hypot((x1 + x2) / 2 - 125, (y1 + y2) / 2 - 125);
  const m = e.matches[0];
  if (!m) continue;
  const prev = best.get(e.query);
  if (!prev || off < prev.off) best.set(e.query, { subject: m.subject, distance: m.distance, off });
}
const known = queries.filter((q) => q.truth !== null);
const unknown = queries.filter((q) => q.truth === null);
const knownRes = known.map((q) => ({ q, r: best.get(q.file) }));
const unknownRes = unknown.map((q) => ({ q, r: best.get(q.file) }));
const rank1 = knownRes.filter((x) => x.r && x.r.subject === x.q.truth).length;
emit({ bench: 'gallery-lfw', model: modelNote, people_enrolled: enrolled.enrolled.length, enroll_failures: enrolled.failures.length, known_queries: known.length, known_without_face: knownRes.filter((x) => !x.r).length, unknown_queries: unknown.length, unknown_without_face: unknownRes.filter((x) => !x.r).length, rank1_accuracy: rank1 / known.length, chance_rank1: 1 / enrolled.enrolled.length, enroll_s: Math.round(tEnroll / 100) / 10, identify_s: Math.round(tIdentify / 100) / 10 });
// Rejection trade-off: thresholds at quantiles of the unknowns' best distances (squared L2).
const ud = unknownRes.filter((x) => x.r).map((x) => x.r!.distance ** 2).sort((a, b) => a - b);
for (const target of [0.5, 0.9, 0.99]) {
  const t = ud[Math.min(ud.length - 1, Math.floor((1 - target) * ud.length))]!;
  const rejected = ud.filter((d) => d >= t).length / ud.length;
  const accepted = knownRes.filter((x) => x.r && x.r.subject === x.q.truth && x.r.distance ** 2 < t).length / known.length;
  emit({ bench: 'gallery-lfw', threshold_sq_l2: Number(t.toPrecision(4)), unknown_rejection_rate: rejected, known_identified_correctly_and_accepted: accepted });
}
