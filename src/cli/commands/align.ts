/**
 * `facenet align INPUT_DIR OUTPUT_DIR`: facenet's align_dataset_mtcnn.py (see src/align/align-dataset.ts):
 * aligned PNG crops in the same class-per-folder layout, bounding_boxes_XXXXX.txt, failures.jsonl;
 * resumable, Ctrl-C stops cleanly after the current image.
 */
import { defineCommand } from '../define-command.js';
import { NETWORK_OPTIONS, networkOptions } from '../network-options.js';
import { ProgressBar } from '../progress.js';
import { alignDataset, ALIGN_MODES, DEFAULT_ALIGN_OPTIONS, type AlignMode, type AlignSummary } from '../../align/index.js';
import { MtcnnDetector, parseThresholds, DEFAULT_DETECT_OPTIONS } from '../../detect/index.js';
import { MTCNN_WEIGHTS, type MtcnnWeights } from '../../models/mtcnn/index.js';

const spec = {
  command: 'align',
  json: 'print a JSON summary on stdout',
  summary:
    "Detect, crop and resize every face of a class-per-folder dataset, as facenet's align_dataset_mtcnn.py: " +
    'OUTPUT_DIR/<class>/<name>.png, bounding_boxes_XXXXX.txt and failures.jsonl. A rerun skips images already aligned ' +
    '(with the same settings: they are recorded in align-settings.json). Exit codes: 0 every image aligned; ' +
    '3 some images failed (no face, unreadable, write errors: see failures.jsonl), the others were aligned; ' +
    '1 no image could be aligned, or failures.jsonl could not be written; 2 bad arguments or settings; 130 interrupted.',
  positionals: [
    { name: 'inputDir', help: 'dataset folder: one sub-folder of images per class' },
    { name: 'outputDir', help: 'where the aligned images go (same class folders)' },
  ],
  flags: {
    imageSize: { type: 'number', integer: true, min: 1, max: 4096, default: DEFAULT_ALIGN_OPTIONS.imageSize, help: 'side of the aligned square image, in pixels' },
    margin: { type: 'number', min: 0, default: DEFAULT_ALIGN_OPTIONS.margin, help: "pixels added around the box in total on each axis, half per side (--align box)" },
    align: {
      type: 'string',
      choices: ALIGN_MODES,
      default: DEFAULT_ALIGN_OPTIONS.mode,
      help: "'box': facenet's box + margin crop, bilinear resize; 'similarity': 5-landmark similarity warp onto the ArcFace template",
    },
    detectMultipleFaces: { type: 'boolean', help: 'write every face as <name>_<i>.png instead of the most central large one' },
    randomOrder: { type: 'boolean', help: 'shuffle the images of each class (so several processes can share the work)' },
    minFaceSize: { type: 'number', min: 1, default: DEFAULT_DETECT_OPTIONS.minFaceSize, help: 'smallest face searched for, in pixels' },
    thresholds: { type: 'string', default: DEFAULT_DETECT_OPTIONS.thresholds.join(','), help: 'P-Net, R-Net and O-Net probability thresholds' },
    factor: { type: 'number', min: 0.01, max: 0.99, default: DEFAULT_DETECT_OPTIONS.factor, help: 'scale step of the image pyramid' },
    weights: { type: 'string', choices: MTCNN_WEIGHTS, default: 'facenet-pytorch', help: 'MTCNN weights (same values either way)' },
    overwrite: { type: 'boolean', help: 'realign every image, also those already aligned (needed to change --image-size, --margin, --align in an existing folder)' },
    ...NETWORK_OPTIONS,
  },
} as const;

export const alignCommand = defineCommand(spec, async (args, { io }) => {
  const f = args.flags;
  const { inputDir, outputDir } = args.positionals;
  const detect = { minFaceSize: f.minFaceSize, thresholds: parseThresholds(f.thresholds), factor: f.factor };
  const detector = await MtcnnDetector.load({ weights: f.weights as MtcnnWeights, detect, ...networkOptions(f) });
  const bar = new ProgressBar({ label: 'align', unit: 'img', stream: io.stderr });
  let summary;
  try {
    summary = await alignDataset(detector, inputDir, outputDir, {
      imageSize: f.imageSize,
      margin: f.margin,
      mode: f.align as AlignMode,
      detectMultipleFaces: f.detectMultipleFaces,
      randomOrder: f.randomOrder,
      overwrite: f.overwrite,
      signal: io.signal,
      onProgress: (p) => {
        bar.setTotal(p.total);
        bar.update(p.done, { aligned: p.aligned, failed: p.failed });
      },
      onFailure: (x) => bar.log(`align: ${x.file}: ${x.reason}${x.reason === 'no face' ? '' : `: ${x.message}`}`),
    });
  } finally {
    bar.finish();
    detector.dispose();
  }
  if (f.json) {
    io.stdout.write(JSON.stringify(summary) + '\n');
  } else {
    // facenet's closing lines, then where the logs are.
    io.stdout.write(`Total number of images: ${summary.images}\n`);
    io.stdout.write(`Number of successfully aligned images: ${summary.aligned}\n`);
    io.stdout.write(
      `skipped (already aligned): ${summary.skipped}, no face: ${summary.noFace}, other failures: ${summary.failed}; ` +
        `${summary.processed} images in ${summary.seconds.toFixed(1)} s (${summary.imagesPerSecond.toFixed(1)} img/s)\n` +
        `bounding boxes: ${summary.boundingBoxesFile}\nfailures: ${summary.failuresFile}\n`,
    );
    if (summary.emptyClasses.length > 0) io.stdout.write(`class folders without images: ${summary.emptyClasses.join(', ')}\n`);
  }
  if (summary.interrupted) {
    io.stderr.write('align: interrupted; rerun the same command to continue where it stopped\n');
    return 130;
  }
  return alignExitCode(summary, io.stderr);
});

/** Exit code 0 / 3 / 1 as the help text documents, with a summary on stderr that cannot be missed. */
export const ALIGN_EXIT = { ok: 0, someFailed: 3, noneAligned: 1 } as const;

function alignExitCode(s: AlignSummary, stderr: NodeJS.WritableStream): number {
  const failed = s.failed + s.noFace;
  if (s.failuresLogError) {
    stderr.write(`align: ERROR: ${s.failuresLogError}; the list of failed images on disk is incomplete\n`);
    return ALIGN_EXIT.noneAligned;
  }
  if (s.processed > 0 && s.aligned === 0 && s.skipped === 0) {
    stderr.write(`align: FAILED: none of the ${s.processed} images could be aligned (${s.noFace} without a face, ${s.failed} other failures; see ${s.failuresFile})\n`);
    return ALIGN_EXIT.noneAligned;
  }
  if (failed > 0) {
    stderr.write(`align: ${failed} of ${s.processed + s.skipped} images failed (${s.noFace} without a face, ${s.failed} other failures; see ${s.failuresFile}); the others are aligned (exit code 3)\n`);
    return ALIGN_EXIT.someFailed;
  }
  return ALIGN_EXIT.ok;
}
