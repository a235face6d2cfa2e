/**
 * Gallery suite: `npm run bench -- --suite gallery [--quick]`.
 *
 * At 10k, 100k and 1M random unit vectors x 512 (100k is the largest with --quick): enroll
 * throughput into the SQLite store, open time (load into the search matrix), memory, and
 * identify latency (p50/p99, k=10) for one query and for a batch of 64 queries: ours (the whole
 * identifyEmbeddings call: exact matrix product in our engine, top-k, best face per subject), fp32
 * and bf16 matrices, with usearch's exact search and sqlite-vec's vec0 brute force as peers in the
 * same run, samples interleaved so that load on the machine hits both sides alike; up to 100k
 * also the ANN index (build time, one-query p50, top-1 agreement with the exact scan).
 */
import { rmSync, mkdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import usearch from 'usearch';
import { createGallery, openGallery, type Gallery } from '../src/gallery/index.js';
import { randn, normalize, setNumThreads, getNumThreads } from '../src/tensor/index.js';
import type { SuiteOptions } from './suite-options.js';

const DIM = 512;
const K = 10;

function unitRows(n: number): Float32Array {
  const out = new Float32Array(n * DIM);
  const CH = 65536;
  for (let s = 0; s < n; s += CH) {
    const m = Math.min(CH, n - s);
    const r = randn([m, DIM]);
    const u = normalize(r, { dim: 1 });
    out.set(u.data() as Float32Array, s * DIM);
    r.dispose();
    u.dispose();
  }
  return out;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

function stats(xs: number[]): { p50: number; p99: number; n: number } {
  return { p50: round(pct(xs, 50)), p99: round(pct(xs, 99)), n: xs.length };
}

function round(x: number, d = 2): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

function rows(data: Float32Array, from: number, count: number): Float32Array[] {
  return Array.from({ length: count }, (_, i) => data.subarray((from + i) * DIM, (from + i + 1) * DIM));
}

async function time(f: () => unknown): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

export async function runGallerySuite(o: SuiteOptions): Promise<void> {
  setNumThreads(o.threads);
  const sizes = o.quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
  const dir = path.join(os.tmpdir(), `facenet-bench-gallery-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  o.emit({ suite: 'gallery', meta: true, threads: getNumThreads(), dim: DIM, k: K, loadavg: os.loadavg().map((x) => round(x)), cpus: os.cpus().length, note: 'random unit vectors; ours = Gallery.identifyEmbeddings (exact, best face per subject, 2 faces per subject); peers on the same vectors and queries' });
  try {
    for (const n of sizes) await runSize(o, n, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The ANN index (usearch HNSW through Gallery.buildAnnIndex, defaults) against the exact scan, on
 * queries that are noisy copies of enrolled faces (a face seen again: cosine ~0.8 to its row),
 * since on random queries no neighbour is meaningfully nearest. Build time, one-query p50s and
 * top-1 agreement. Up to 100k only: an HNSW build over random 512-D vectors runs at ~1-2k rows/s.
 */
async function annCase(o: SuiteOptions, g: Gallery, data: Float32Array, n: number, reps: number): Promise<void> {
  const noise = unitRows(reps);
  const queries = Array.from({ length: reps }, (_, r) => {
    const row = (r * 7919) % n;
    const q = new Float32Array(DIM);
    for (let j = 0; j < DIM; j++) q[j] = data[row * DIM + j]! + 0.75 * noise[r * DIM + j]!;
    return q;
  });
  const tBuild = await time(() => g.buildAnnIndex());
  const annMs: number[] = [];
  const exactMs: number[] = [];
  let same = 0;
  await g.identifyEmbeddings([queries[0]!], { k: K });
  for (const q of queries) {
    let a: Awaited<ReturnType<Gallery['identifyEmbeddings']>> = [];
    let e: typeof a = [];
    annMs.push(await time(async () => (a = await g.identifyEmbeddings([q], { k: K }))));
    exactMs.push(await time(async () => (e = await g.identifyEmbeddings([q], { k: K, exact: true }))));
    if (a[0]?.matches[0]?.faceId === e[0]?.matches[0]?.faceId) same++;
  }
  const sa = stats(annMs);
  const se = stats(exactMs);
  o.emit({ suite: 'gallery', case: 'ann', n, precision: 'float32', settings: g.annStatus?.settings ?? null, build_s: round(tBuild / 1000, 1), build_rows_per_s: round(n / (tBuild / 1000), 0), ann_ms: sa, exact_ms: se, speedup_p50: round(se.p50 / sa.p50), top1_agreement_with_exact: `${same}/${queries.length}` });
  await g.dropAnnIndex();
}

async function runSize(o: SuiteOptions, n: number, dir: string): Promise<void> {
  const big = n >= 1_000_000;
  const data = unitRows(n);
  const queries = unitRows(64);
  const file = path.join(dir, `g-${n}.db`);
  // ---- enroll (ours: SQLite store, WAL, synchronous=FULL, 2048 faces per transaction) -------------
  let g: Gallery = await createGallery(file, { modelId: 'bench', dim: DIM, model: 'bench', threshold: null });
  const items = Array.from({ length: n }, (_, i) => ({ subject: `s${i >> 1}`, embeddings: [data.subarray(i * DIM, (i + 1) * DIM)] }));
  const tEnroll = await time(() => g.enrollMany(items, { facesPerTransaction: 2048 }));
  await g.close();
  // ---- sqlite-vec: same rows into a vec0 table, same transaction size ---------------------------
  const vecFile = path.join(dir, `vec-${n}.db`);
  const vdb = new Database(vecFile);
  sqliteVec.load(vdb);
  vdb.pragma('journal_mode = WAL');
  vdb.pragma('synchronous = FULL');
  vdb.exec(`CREATE VIRTUAL TABLE v USING vec0(embedding float[${DIM}])`);
  const ins = vdb.prepare('INSERT INTO v(rowid, embedding) VALUES (?, ?)');
  const tVecEnroll = await time(() => {
    for (let s = 0; s < n; s += 2048) {
      vdb.transaction(() => {
        for (let i = s; i < Math.min(n, s + 2048); i++) ins.run(BigInt(i + 1), Buffer.from(data.buffer, i * DIM * 4, DIM * 4));
      })();
    }
  });
  o.emit({ suite: 'gallery', case: 'enroll', n, ours_emb_per_s: round(n / (tEnroll / 1000), 0), sqlite_vec_emb_per_s: round(n / (tVecEnroll / 1000), 0), ratio_ours_vs_sqlite_vec: round(tVecEnroll / tEnroll), ours_file_bytes: statSync(file).size });
  // ---- open ---------------------------------------------------------------------------------------
  const rss0 = process.memoryUsage().rss;
  const tOpen = await time(async () => {
    g = await openGallery(file);
  });
  const rss1 = process.memoryUsage().rss;
  o.emit({ suite: 'gallery', case: 'open', n, precision: 'float32', open_ms: round(tOpen, 0), matrix_bytes: g.matrixBytes, rss_delta_bytes: rss1 - rss0, rss_bytes: rss1 });
  // ---- identify: ours fp32 vs usearch exact vs sqlite-vec, interleaved ---------------------------
  const reps1 = big ? 15 : 40;
  const reps64 = big ? 3 : 8;
  const vecReps1 = big ? 5 : 20;
  const ours1: number[] = [];
  const peer1: number[] = [];
  const vec1: number[] = [];
  const search = vdb.prepare(`SELECT rowid, distance FROM v WHERE embedding MATCH ? AND k = ${K}`);
  // warm-up (first-touch of pages, oneDNN primitive creation)
  await g.identifyEmbeddings(rows(queries, 0, 1), { k: K });
  usearch.exactSearch(data, queries.slice(0, DIM), DIM, K, usearch.MetricKind.IP, o.threads);
  let agree = 0;
  for (let r = 0; r < reps1; r++) {
    const q = rows(queries, r % 64, 1);
    const qCopy = queries.slice((r % 64) * DIM, (r % 64 + 1) * DIM); // usearch ignores subarray offsets: pass a copy
    let mine: Awaited<ReturnType<Gallery['identifyEmbeddings']>> = [];
    ours1.push(await time(async () => (mine = await g.identifyEmbeddings(q, { k: K }))));
    let theirs: { keys: BigUint64Array } | undefined;
    peer1.push(await time(() => (theirs = usearch.exactSearch(data, qCopy, DIM, K, usearch.MetricKind.IP, o.threads) as unknown as { keys: BigUint64Array })));
    // same best face? (our face ids are 1-based insertion order; usearch keys are row numbers)
    if (theirs && mine[0]?.matches[0] && Number(theirs.keys[0]) + 1 === Number(mine[0].matches[0].faceId)) agree++;
    if (r < vecReps1) vec1.push(await time(() => search.all(Buffer.from(qCopy.buffer))));
  }
  const s1 = stats(ours1);
  const p1 = stats(peer1);
  const v1 = stats(vec1);
  o.emit({ suite: 'gallery', case: 'identify', n, queries: 1, precision: 'float32', ours_ms: s1, usearch_exact_ms: p1, sqlite_vec_ms: v1, ratio_usearch_vs_ours_p50: round(p1.p50 / s1.p50), ratio_sqlite_vec_vs_ours_p50: round(v1.p50 / s1.p50), top1_agreement_with_usearch: `${agree}/${reps1}` });
  const ours64: number[] = [];
  const peer64: number[] = [];
  for (let r = 0; r < reps64; r++) {
    ours64.push(await time(() => g.identifyEmbeddings(rows(queries, 0, 64), { k: K })));
    peer64.push(await time(() => usearch.exactSearch(data, queries.slice(), DIM, K, usearch.MetricKind.IP, o.threads)));
  }
  const vec64 = big ? null : await time(() => { for (let i = 0; i < 64; i++) search.all(Buffer.from(queries.buffer, i * DIM * 4, DIM * 4)); });
  const s64 = stats(ours64);
  const p64 = stats(peer64);
  o.emit({ suite: 'gallery', case: 'identify', n, queries: 64, precision: 'float32', ours_ms: s64, usearch_exact_ms: p64, sqlite_vec_ms: vec64 === null ? null : { one_run: round(vec64) }, ratio_usearch_vs_ours_p50: round(p64.p50 / s64.p50), ratio_sqlite_vec_vs_ours: vec64 === null ? null : round(vec64 / s64.p50) });
  if (n <= 100_000) await annCase(o, g, data, n, reps1);
  await g.close();
  vdb.close();
  // ---- bf16 matrix: open + identify (same queries), against usearch exact again -------------------
  const tOpenBf = await time(async () => {
    g = await openGallery(file, { precision: 'bfloat16' });
  });
  const bf1: number[] = [];
  const bfPeer: number[] = [];
  await g.identifyEmbeddings(rows(queries, 0, 1), { k: K });
  for (let r = 0; r < reps1; r++) {
    bf1.push(await time(() => g.identifyEmbeddings(rows(queries, r % 64, 1), { k: K })));
    bfPeer.push(await time(() => usearch.exactSearch(data, queries.slice((r % 64) * DIM, (r % 64 + 1) * DIM), DIM, K, usearch.MetricKind.IP, o.threads)));
  }
  const bf64: number[] = [];
  for (let r = 0; r < reps64; r++) bf64.push(await time(() => g.identifyEmbeddings(rows(queries, 0, 64), { k: K })));
  const b1 = stats(bf1);
  const bp = stats(bfPeer);
  const b64 = stats(bf64);
  o.emit({ suite: 'gallery', case: 'identify', n, precision: 'bfloat16', open_ms: round(tOpenBf, 0), matrix_bytes: g.matrixBytes, ours_1_ms: b1, usearch_exact_1_ms: bp, ratio_usearch_vs_ours_p50: round(bp.p50 / b1.p50), ours_64_ms: b64, ratio_usearch64_vs_ours64_p50: round(p64.p50 / b64.p50) });
  await g.close();
}
