/**
 * Detection and alignment speed on LFW (not a test): `node --import tsx bench/detect.ts [options]`.
 *
 *   --images N   LFW images (250x250) for the single-stream detection rate (default 500)
 *   --align N    images for the `facenet align` timing, extrapolated to all 13,233 (default 1000; 0 skips)
 *   --full       align all of LFW instead (and report how many images had no face)
 *   --threads N  libtorch threads (default: all cores)
 *
 * Prints one JSON object per line on stdout, also appended to bench/out/detect-<date>.jsonl.
 * LFW is extracted once into .cache/lfw (git-ignored). Each line carries `other_cores`: the CPU
 * that other processes used meanwhile (0 on a quiet machine; the numbers are only comparable
 * when it is near 0).
 */
import { appendFileSync, mkdirSync, readFileSync, symlinkSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readTarEntries, extractLfwArchive, LFW_DEEPFUNNELED_IMAGES } from '../src/test-support/lfw-archive.js';
import { decodeImage, type RgbImage } from '../src/io/image.js';
import { MtcnnDetector } from '../src/detect/index.js';
import { alignDataset } from '../src/align/index.js';
import { setNumThreads, libtorchVersion, liveTensors } from '../src/tensor/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ZOO = process.env['FACENET_MIRROR'] ?? '/work/shared/zoo';
const ARCHIVE = path.join(ZOO, 'lfw', 'lfw-deepfunneled.tgz');
const LFW_DIR = path.join(ROOT, '.cache', 'lfw');

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} needs a number`);
  return v;
}
const nImages = arg('images', 500);
const nAlign = arg('align', 1000);
const full = process.argv.includes('--full');
const threads = arg('threads', os.availableParallelism());

const outDir = path.join(ROOT, 'bench', 'out');
mkdirSync(outDir, { recursive: true });
const outFile = path.join(outDir, `detect-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}Z.jsonl`);
function emit(line: Record<string, unknown>): void {
  const text = JSON.stringify({ suite: 'detect', ...line });
  process.stdout.write(text + '\n');
  appendFileSync(outFile, text + '\n');
}

/** Busy CPU seconds of the whole machine (from /proc/stat), to tell how much others used. */
function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = line as number[];
  return (user! + nice! + system! + irq! + softirq! + steal!) / 100; // USER_HZ = 100
}
function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
/** Runs fn and returns its wall time and the average number of cores other processes kept busy. */
async function measured<T>(fn: () => Promise<T> | T): Promise<{ value: T; seconds: number; otherCores: number }> {
  const m0 = machineBusySeconds();
  const c0 = ownCpuSeconds();
  const t0 = performance.now();
  const value = await fn();
  const seconds = (performance.now() - t0) / 1000;
  const other = machineBusySeconds() - m0 - (ownCpuSeconds() - c0);
  return { value, seconds, otherCores: Math.max(0, Math.round((other / seconds) * 100) / 100) };
}

setNumThreads(threads);
emit({
  meta: true,
  threads,
  cpus: os.availableParallelism(),
  cpu: os.cpus()[0]?.model,
  libtorch: libtorchVersion(),
  node: process.version,
  loadavg: os.loadavg()[0],
});

const home = mkdtempSync(path.join(os.tmpdir(), 'facenet-bench-'));
const detector = await MtcnnDetector.load({ home, mirror: ZOO });

// ---- single-stream detection on LFW's 250x250 images ----------------------------------------------
if (nImages > 0) {
  const jpegs: Buffer[] = [];
  for await (const e of readTarEntries(ARCHIVE, { filter: (p) => p.endsWith('.jpg') })) {
    jpegs.push(e.data);
    if (jpegs.length >= nImages) break;
  }
  const decoded: RgbImage[] = [];
  for (const j of jpegs) decoded.push(await decodeImage(j));
  for (const img of decoded.slice(0, 20)) detector.detect(img); // warm-up (oneDNN primitives, JIT)
  let faces = 0;
  const det = await measured(() => {
    for (const img of decoded) faces += detector.detect(img).length;
  });
  emit({
    case: 'detect, decoded 250x250 LFW images, one at a time',
    images: decoded.length,
    faces,
    img_per_s: Math.round((decoded.length / det.seconds) * 10) / 10,
    ms_per_img: Math.round((det.seconds / decoded.length) * 1000 * 10) / 10,
    other_cores: det.otherCores,
    reference: 'facenet-pytorch: 11.6 img/s one at a time on this machine (task note)',
  });
  // End to end from JPEG bytes: decode the next image (libvips threads) while this one is detected.
  const e2e = await measured(async () => {
    let next = decodeImage(jpegs[0]!);
    for (let i = 0; i < jpegs.length; i++) {
      const img = await next;
      if (i + 1 < jpegs.length) next = decodeImage(jpegs[i + 1]!);
      detector.detect(img);
    }
  });
  emit({
    case: 'decode + detect, JPEG bytes in memory, next image decoded during detection',
    images: jpegs.length,
    img_per_s: Math.round((jpegs.length / e2e.seconds) * 10) / 10,
    other_cores: e2e.otherCores,
  });
}

// ---- facenet align on LFW ----------------------------------------------------------------------
if (full || nAlign > 0) {
  const ex = await extractLfwArchive(ARCHIVE, LFW_DIR, { expectedFiles: LFW_DEEPFUNNELED_IMAGES });
  let input = LFW_DIR;
  let subset: string | null = null;
  if (!full) {
    // The first classes (in name order) holding at least nAlign images, as symlinks.
    subset = mkdtempSync(path.join(os.tmpdir(), 'facenet-bench-lfw-'));
    const { scanImageFolder } = await import('../src/data/image-folder.js');
    const scan = await scanImageFolder(LFW_DIR);
    let count = 0;
    for (const c of scan.classes) {
      if (count >= nAlign) break;
      symlinkSync(path.join(LFW_DIR, c.name), path.join(subset, c.name));
      count += c.paths.length;
    }
    input = subset;
  }
  const out = mkdtempSync(path.join(os.tmpdir(), 'facenet-bench-aligned-'));
  const run = await measured(() => alignDataset(detector, input, out, {}));
  const s = run.value;
  const perImage = run.seconds / s.processed;
  const noFaceFiles = readFileSync(s.failuresFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { file: string; reason: string })
    .filter((f) => f.reason === 'no face')
    .map((f) => path.relative(input, f.file));
  emit({
    case: full ? 'facenet align, all of LFW (182 px, margin 44)' : `facenet align, ${s.images} LFW images, extrapolated to ${LFW_DEEPFUNNELED_IMAGES}`,
    images: s.images,
    aligned: s.aligned,
    no_face: s.noFace,
    no_face_files: noFaceFiles.slice(0, 20),
    failed: s.failed,
    seconds: Math.round(run.seconds * 10) / 10,
    img_per_s: Math.round((s.processed / run.seconds) * 10) / 10,
    lfw_minutes: Math.round(((full ? run.seconds : perImage * LFW_DEEPFUNNELED_IMAGES) / 60) * 100) / 100,
    extrapolated: !full,
    extraction_seconds: ex.alreadyDone ? 0 : Math.round(ex.seconds * 10) / 10,
    other_cores: run.otherCores,
  });
  rmSync(out, { recursive: true, force: true });
  if (subset) rmSync(subset, { recursive: true, force: true });
}

detector.dispose();
rmSync(home, { recursive: true, force: true });
emit({ summary: true, live_tensors: liveTensors().count, rss_mb: Math.round(process.memoryUsage().rss / 1e6), loadavg: os.loadavg()[0], out: path.relative(ROOT, outFile) });
