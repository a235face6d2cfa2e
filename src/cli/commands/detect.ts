/**
 * `facenet detect IMAGE... [--json] [--draw DIR]`: MTCNN faces (box, probability, five landmarks)
 * of each image. By default a readable table; --json prints one array whose entries have the
 * schema of fixtures/mtcnn/detections.json's images ({image, width, height, faces: [{box, prob,
 * landmarks}]}). Folders are expanded to the images inside them. An image that cannot be read is
 * reported on stderr (and left out of the JSON) and the others go on; the exit code is then 1.
 */
import path from 'node:path';
import { defineCommand } from '../define-command.js';
import { checkOutputDir } from '../../io/output-path.js';
import { NETWORK_OPTIONS, networkOptions } from '../network-options.js';
import type { CliIO } from '../command.js';
import { listImages } from '../../embed/list-images.js';
import { decodeImageFile, type RgbImage } from '../../io/image.js';
import { PrefetchQueue } from '../../io/prefetch-queue.js';
import { MtcnnDetector, drawFaces, drawOutputPaths, parseThresholds, DEFAULT_DETECT_OPTIONS, type Face } from '../../detect/index.js';
import { MTCNN_WEIGHTS, type MtcnnWeights } from '../../models/mtcnn/index.js';

const spec = {
  command: 'detect',
  summary: 'Detect faces (MTCNN): boxes, probabilities and five landmarks per face',
  json: 'print one JSON array: {image, width, height, faces: [{box, prob, landmarks}]} per image',
  positionals: [{ name: 'images', help: 'image files, or folders of images', variadic: true }],
  flags: {
    draw: { type: 'string', valueName: 'dir', help: 'write annotated copies (boxes and landmarks) into this folder as <name>.png' },
    minFaceSize: { type: 'number', min: 1, default: DEFAULT_DETECT_OPTIONS.minFaceSize, help: 'smallest face searched for, in pixels' },
    thresholds: { type: 'string', default: DEFAULT_DETECT_OPTIONS.thresholds.join(','), help: 'P-Net, R-Net and O-Net probability thresholds' },
    factor: { type: 'number', min: 0.01, max: 0.99, default: DEFAULT_DETECT_OPTIONS.factor, help: 'scale step of the image pyramid' },
    weights: { type: 'string', choices: MTCNN_WEIGHTS, default: 'facenet-pytorch', help: "MTCNN weights: facenet-pytorch's pnet/rnet/onet.pt or facenet's det1-3.npy (same values)" },
    ...NETWORK_OPTIONS,
  },
} as const;

/** The JSON form of one image's result, rounded as the reference fixture (1e-3 px, 1e-6 probability). */
export interface DetectionRecord {
  image: string;
  width: number;
  height: number;
  faces: Face[];
}

const r3 = (v: number): number => Math.round(v * 1000) / 1000;

export function toRecord(image: string, img: RgbImage, faces: readonly Face[]): DetectionRecord {
  return {
    image,
    width: img.width,
    height: img.height,
    faces: faces.map((f) => ({
      box: f.box.map(r3) as Face['box'],
      prob: Math.round(f.prob * 1e6) / 1e6,
      landmarks: f.landmarks.map(([x, y]) => [r3(x), r3(y)]) as Face['landmarks'],
    })),
  };
}

const LANDMARK_NAMES = ['left eye', 'right eye', 'nose', 'mouth left', 'mouth right'];

function formatTable(rec: DetectionRecord): string {
  const lines = [`${rec.image}  ${rec.width}x${rec.height}  ${rec.faces.length} face${rec.faces.length === 1 ? '' : 's'}`];
  if (rec.faces.length === 0) return lines.join('\n') + '\n';
  const pt = ([x, y]: [number, number]): string => `(${x.toFixed(1)}, ${y.toFixed(1)})`;
  const header = ['#', 'prob', 'x1', 'y1', 'x2', 'y2', ...LANDMARK_NAMES];
  const rows = rec.faces.map((f, i) => [String(i + 1), f.prob.toFixed(4), ...f.box.map((v) => v.toFixed(1)), ...f.landmarks.map(pt)]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const fmt = (cells: string[]): string => '  ' + cells.map((c, i) => (i < 6 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  lines.push(fmt(header), ...rows.map(fmt));
  return lines.join('\n') + '\n';
}

async function expand(inputs: readonly string[], io: CliIO): Promise<{ files: string[]; errors: number }> {
  const files: string[] = [];
  let errors = 0;
  for (const input of inputs) {
    try {
      files.push(...(await listImages([input])));
    } catch (e) {
      errors++;
      io.stderr.write(`facenet detect: ${(e as Error).message}\n`);
    }
  }
  return { files, errors };
}

export const detectCommand = defineCommand(spec, async (args, { io }) => {
  const f = args.flags;
  const detect = { minFaceSize: f.minFaceSize, thresholds: parseThresholds(f.thresholds), factor: f.factor };
  const { files, errors: listErrors } = await expand(args.positionals.images, io);
  let errors = listErrors;
  if (f.draw !== undefined) await checkOutputDir(f.draw, '--draw', { mkdir: true });
  const drawPaths = f.draw !== undefined ? drawOutputPaths(files, f.draw) : [];
  const detector = await MtcnnDetector.load({ weights: f.weights as MtcnnWeights, detect, ...networkOptions(f) });
  const records: DetectionRecord[] = [];
  // Decode one image ahead, on libvips' threads, while the current one is detected.
  const queue = new PrefetchQueue((i) => decodeImageFile(files[i]!), 1, 0, files.length);
  try {
    for (let i = 0; i < files.length; i++) {
      if (io.signal.aborted) break;
      const file = files[i]!;
      let img: RgbImage;
      try {
        img = (await queue.take()).value;
      } catch (error) {
        errors++;
        io.stderr.write(`facenet detect: ${(error as Error).message ?? String(error)}\n`);
        continue;
      }
      let faces: Face[];
      try {
        faces = detector.detect(img);
      } catch (e) {
        errors++;
        io.stderr.write(`facenet detect: ${file}: face detection failed: ${(e as Error).message}\n`);
        continue;
      }
      const rec = toRecord(file, img, faces);
      records.push(rec);
      if (!f.json) io.stdout.write(formatTable(rec));
      if (f.draw !== undefined) {
        const out = drawPaths[i]!;
        try {
          await drawFaces(img, faces, out);
          io.stderr.write(`detect: drew ${faces.length} face${faces.length === 1 ? '' : 's'} of ${file} into ${out}\n`);
        } catch (e) {
          errors++;
          io.stderr.write(`facenet detect: ${(e as Error).message}\n`);
        }
      }
    }
  } finally {
    queue.close();
    detector.dispose();
  }
  if (f.json) io.stdout.write(JSON.stringify(records, null, 1) + '\n');
  if (io.signal.aborted) return 130;
  return errors > 0 ? 1 : 0;
});
