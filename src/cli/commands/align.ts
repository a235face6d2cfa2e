/**
 * `facenet align INPUT_DIR OUTPUT_DIR`: facenet's align_dataset_mtcnn.py (see src/align/align-dataset.ts):
 * aligned PNG crops in the same class-per-folder layout, bounding_boxes_XXXXX.txt, failures.jsonl;
 * resumable, Ctrl-C stops cleanly after the current image.
 */
import { defineCommand } from '../define-command.js';
import { NETWORK_OPTIONS, networkOptions } from '../network-options.js';
import { ProgressBar } from '../progress.js';
import { alignDataset, ALIGN_MODES, DEFAULT_ALIGN_OPTIONS, type AlignMode } from '../../align/index.js';
import { MtcnnDetector, parseThresholds, DEFAULT_DETECT_OPTIONS } from '../../detect/index.js';
import { MTCNN_WEIGHTS, type MtcnnWeights } from '../../models/mtcnn/index.js';

const spec = {
  command: 'align',
  json: 'print a JSON summary on stdout',
  summary:
    "Detect, crop and resize every face of a class-per-folder dataset, as facenet's align_dataset_mtcnn.py: " +
    'OUTPUT_DIR/<class>/<name>.png, bounding_boxes_XXXXX.txt and failures.jsonl. A rerun skips images already aligned.',
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
  return 0;
});
