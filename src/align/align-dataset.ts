/**
 * alignDataset: facenet's align_dataset_mtcnn.py on our detector. For every image of a
 * class-per-folder tree, detect faces, keep the one facenet keeps (or all of them), crop and
 * resize it (alignFace), and write <output>/<class>/<stem>.png (<stem>_<i>.png for every face with
 * detectMultipleFaces). Like facenet it writes bounding_boxes_XXXXX.txt in the output folder (a new
 * random name per run): `<output png> x1 y1 x2 y2` per written face, the output path alone for an
 * image without a face (unreadable images get no line, as in facenet).
 *
 * Beyond facenet:
 * - failures.jsonl lists every image without an aligned face and why (see failures-log.ts);
 * - resumable: an image whose output exists is skipped (with detectMultipleFaces, <stem>_0.png,
 *   which is written last); PNGs are written atomically (temp file + rename), so an interrupted run
 *   never leaves a half file; `signal` stops the run between images;
 * - the next images are decoded (libvips, on libuv's threads) and the previous face is resized and
 *   written while the current image is detected, so decoding and encoding overlap the networks;
 * - a per-image problem (unreadable file, failed write, …) is recorded and the run goes on.
 * Deliberate difference: image paths are sorted (src/io/image-folder.ts); facenet keeps
 * os.listdir's order unless --random_order.
 */
import { access, mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { FacenetError } from '../errors.js';
import { acquireDirLock } from '../io/dir-lock.js';
import { fsError } from '../io/fs-errors.js';
import { claimAlignSettings } from './align-settings.js';
import { decodeImageFile, encodePng, type RgbImage } from '../io/image.js';
import { PrefetchQueue } from '../io/prefetch-queue.js';
import { scanImageFolder } from '../io/image-folder.js';
import { createRandom, shuffled } from '../math/shuffle.js';
import type { DetectOptions, Face, MtcnnDetector } from '../detect/index.js';
import { alignFace, faceCropBox, resolveAlignOptions, type AlignFaceOptions } from './align-face.js';
import { selectCentralFace } from './select-face.js';
import { FailuresLog, type AlignFailure, type AlignFailureReason } from './failures-log.js';

export interface AlignDatasetOptions extends Partial<AlignFaceOptions> {
  /** Write every detected face as <stem>_<i>.png (facenet's --detect_multiple_faces). */
  detectMultipleFaces?: boolean;
  /** Realign every image, also those already aligned, and record the new settings (default false). */
  overwrite?: boolean;
  /** Shuffle the images of each class (facenet's --random_order), with this seed (default: time-based). */
  randomOrder?: boolean;
  seed?: number;
  /** Detection options for every image (default: the detector's). */
  detect?: Partial<DetectOptions>;
  /** Stops the run between two images; the summary then has interrupted: true. */
  signal?: AbortSignal;
  onProgress?: (p: AlignProgress) => void;
  /** Called for each image that yields no aligned face. */
  onFailure?: (f: AlignFailure) => void;
  /** Images decoded ahead of the one being detected (default 2). */
  prefetch?: number;
}

export interface AlignProgress {
  /** Images finished or skipped so far, and in all. */
  done: number;
  total: number;
  skipped: number;
  aligned: number;
  failed: number;
}

export interface AlignSummary {
  inputDir: string;
  outputDir: string;
  /** Images found. */
  images: number;
  /** Images whose output existed from an earlier run. */
  skipped: number;
  /** Images handled in this run. */
  processed: number;
  /** Images with at least one aligned face written in this run. */
  aligned: number;
  /** Face images written in this run. */
  faces: number;
  noFace: number;
  /** Images that failed for another reason (unreadable, write error, …). */
  failed: number;
  interrupted: boolean;
  seconds: number;
  imagesPerSecond: number;
  boundingBoxesFile: string;
  failuresFile: string;
  /** Class folders without any image. */
  emptyClasses: string[];
  /** Why failures.jsonl could not be written (the list of failures is then incomplete on disk), or null. */
  failuresLogError: string | null;
}

interface Item {
  file: string;
  out: string;
  /** The file that marks the image as done (out, or <stem>_0.png with multiple faces). */
  marker: string;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

function numberedPath(out: string, i: number): string {
  const ext = path.extname(out);
  return `${out.slice(0, out.length - ext.length)}_${i}${ext}`;
}

export async function alignDataset(
  detector: MtcnnDetector,
  inputDir: string,
  outputDir: string,
  options: AlignDatasetOptions = {},
): Promise<AlignSummary> {
  const t0 = performance.now();
  const align = resolveAlignOptions(options);
  const multiple = options.detectMultipleFaces ?? false;
  const prefetch = Math.max(1, Math.floor(options.prefetch ?? 2));
  const scan = await scanImageFolder(inputDir);

  try {
    await mkdir(outputDir, { recursive: true });
  } catch (e) {
    throw new FacenetError('BAD_FILE', `cannot create the output folder ${outputDir}: ${message(e)}`, { cause: e });
  }
  // One run per folder at a time (two would redo the same images and race on the logs).
  const lock = await acquireDirLock(outputDir, 'facenet align', '.facenet-align.lock');
  try {
    await claimAlignSettings(outputDir, { imageSize: align.imageSize, margin: align.margin, mode: align.mode, detectMultipleFaces: multiple }, options.overwrite ?? false);
  } catch (e) {
    lock.release();
    throw e;
  }
  const boundingBoxesFile = path.join(outputDir, `bounding_boxes_${String(Math.floor(Math.random() * 100000)).padStart(5, '0')}.txt`);
  let bbox;
  try {
    bbox = await open(boundingBoxesFile, 'a');
  } catch (e) {
    lock.release();
    throw new FacenetError('BAD_FILE', `cannot write into the output folder ${outputDir}: ${message(e)}`, { cause: e });
  }
  const failures = await FailuresLog.open(path.join(outputDir, 'failures.jsonl'));
  let failuresLogError: string | null = null;
  // A failed write of the failures log is remembered and reported, never swallowed (full disk).
  const flushFailures = (force = false): Promise<void> =>
    failures.flush(force).catch((e: unknown) => {
      failuresLogError = (fsError(e, failures.path, 'write the failures log') ?? (e as Error)).message;
    });

  // Work list, in facenet's order: classes by name, then images (sorted, or shuffled per class).
  const random = options.randomOrder ? createRandom(options.seed ?? Date.now()) : null;
  const all: Item[] = [];
  const outputs = new Map<string, string>();
  let skipped = 0;
  let failed = 0;
  const fail = (file: string, reason: AlignFailureReason, msg: string): void => {
    const f = { file, reason, message: msg };
    failures.record(f);
    options.onFailure?.(f);
  };
  for (const cls of scan.classes) {
    const paths = random ? shuffled(cls.paths, random) : cls.paths;
    for (const file of paths) {
      const out = path.join(outputDir, cls.name, `${path.parse(file).name}.png`);
      all.push({ file, out, marker: multiple ? numberedPath(out, 0) : out });
    }
  }
  const done = options.overwrite ? all.map(() => false) : await Promise.all(all.map((it) => exists(it.marker)));
  const work: Item[] = [];
  all.forEach((it, k) => {
    if (done[k]) {
      skipped++;
      return;
    }
    const first = outputs.get(it.out);
    if (first !== undefined) {
      // e.g. a.jpg and a.png in one class: facenet would silently keep whichever came first.
      failed++;
      fail(it.file, 'duplicate output', `its output ${it.out} is also the output of ${first}; rename one of them`);
      return;
    }
    outputs.set(it.out, it.file);
    work.push(it);
  });

  const total = all.length;
  let processed = 0;
  let aligned = 0;
  let facesWritten = 0;
  let noFace = 0;
  let interrupted = false;
  const duplicates = total - skipped - work.length;
  const progress = (): void =>
    options.onProgress?.({ done: skipped + duplicates + processed, total, skipped, aligned, failed: failed + noFace });

  // While one image is detected, the next `prefetch` decode (libvips, on libuv's threads).
  const queue = new PrefetchQueue((i) => decodeImageFile(work[i]!.file), prefetch, 0, work.length);

  // Writes the faces of one image and its log lines; never rejects.
  const finish = async (it: Item, img: RgbImage, faces: Face[]): Promise<void> => {
    const chosen = multiple ? faces : [faces[selectCentralFace(faces, img.width, img.height)]!];
    const files = chosen.map((_, i) => (multiple ? numberedPath(it.out, i) : it.out));
    let crops: RgbImage[];
    try {
      crops = await Promise.all(chosen.map((f) => alignFace(img, f, align)));
    } catch (e) {
      failed++;
      fail(it.file, 'error', `cannot crop the face: ${message(e)}`);
      return;
    }
    try {
      // Highest index first, so that the marker (<stem>_0.png) appears only when all are written.
      for (let i = crops.length - 1; i >= 0; i--) await encodePng(crops[i]!, files[i]!);
    } catch (e) {
      failed++;
      fail(it.file, 'write failed', fsError(e, it.out, 'write the aligned face')?.message ?? message(e));
      return;
    }
    const lines = chosen.map((f, i) => `${files[i]} ${faceCropBox(img, f, align.margin).join(' ')}\n`).join('');
    await bbox.write(lines).catch(() => undefined);
    aligned++;
    facesWritten += chosen.length;
    failures.succeeded(it.file);
  };

  let pending: Promise<void> = Promise.resolve();
  try {
    progress();
    for (let k = 0; k < work.length; k++) {
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      const it = work[k]!;
      let img: RgbImage;
      try {
        img = (await queue.take()).value;
      } catch (error) {
        await pending;
        failed++;
        processed++;
        fail(it.file, 'unreadable', message(error));
        progress();
        continue;
      }
      let faces: Face[];
      try {
        faces = detector.detect(img, { ...options.detect, order: 'probability' }); // facenet's order: by score
      } catch (e) {
        await pending;
        failed++;
        processed++;
        fail(it.file, 'error', `face detection failed: ${message(e)}`);
        progress();
        continue;
      }
      await pending; // the previous image's writes, done while this one was detected
      processed++;
      if (faces.length === 0) {
        noFace++;
        fail(it.file, 'no face', 'no face found');
        await bbox.write(`${it.out}\n`).catch(() => undefined);
        pending = Promise.resolve();
      } else {
        pending = finish(it, img, faces);
      }
      await flushFailures();
      progress();
    }
    await pending;
    progress();
  } finally {
    queue.close();
    await bbox.close().catch(() => undefined);
    await flushFailures(true);
    lock.release();
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    inputDir,
    outputDir,
    images: total,
    skipped,
    processed,
    aligned,
    faces: facesWritten,
    noFace,
    failed,
    interrupted,
    seconds,
    imagesPerSecond: seconds > 0 ? processed / seconds : 0,
    boundingBoxesFile,
    failuresFile: failures.path,
    failuresLogError,
    emptyClasses: scan.emptyClasses,
  };
}
