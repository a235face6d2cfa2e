/**
 * `facenet classify train|predict DIR`: a linear SVM on face embeddings, as facenet's classifier.py.
 * DIR is a class-per-folder tree of aligned faces; predict also takes loose image files (no
 * accuracy then).
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { defineCommand } from '../define-command.js';
import { NETWORK_OPTIONS, networkOptions } from '../network-options.js';
import type { CliIO } from '../command.js';
import { ProgressBar } from '../progress.js';
import { scanImageFolder, filterMinImages, type ImageDataset } from '../../data/image-folder.js';
import { createRandom } from '../../math/shuffle.js';
import { splitPerClass } from '../../classify/split-per-class.js';
import { SvmClassifier } from '../../classify/svm-classifier.js';
import { Embedder } from '../../embed/embedder.js';
import { embedFiles, notAlignedWarning } from '../../embed/embed-files.js';
import { checkOutputFile } from '../../io/output-path.js';
import { loadFaceModel, type FaceModel } from '../../models/registry.js';
import { FacenetError } from '../../errors.js';
import { writeFileAtomic } from '../../io/fs-util.js';

const spec = {
  command: 'classify',
  summary: 'Train or apply a linear SVM on face embeddings',
  json: 'print JSON on stdout',
  positionals: [
    { name: 'mode', help: "'train' or 'predict'" },
    { name: 'inputs', help: 'a class-per-folder directory of aligned faces (predict also takes image files)', variadic: true },
  ],
  flags: {
    model: { type: 'string', required: true, help: 'embedding model: name or file' },
    classifier: { type: 'string', required: true, help: 'classifier file (.json) to write (train) or read (predict)' },
    split: { type: 'boolean', help: 'split DIR per class: the first --nrof-train-images-per-class train, the rest test (classifier.py --use_split_dataset)' },
    minImagesPerClass: { type: 'number', integer: true, min: 1, help: 'skip classes with fewer images (default 20 with --split, else 1)' },
    nrofTrainImagesPerClass: { type: 'number', integer: true, min: 1, default: 10, help: 'train images per class with --split' },
    seed: { type: 'number', integer: true, default: 666, help: 'seed of the --split shuffle' },
    batchSize: { type: 'number', integer: true, min: 1, default: 16, help: 'images per forward pass' },
    minProbability: { type: 'number', min: 0, max: 1, default: 0, help: "predict: below this probability the answer is 'unknown'" },
    maxDistance: { type: 'number', min: 0, help: "predict: beyond this squared L2 distance to the class centroid the answer is 'unknown'" },
    ...NETWORK_OPTIONS,
  },
} as const;

interface Labelled {
  files: string[];
  labels: (string | null)[];
}

async function readInputs(inputs: readonly string[], split: boolean, minImages: number, trainPer: number, seed: number, part: 'train' | 'test'): Promise<Labelled> {
  const isDir = inputs.length === 1 && (await stat(inputs[0]!).catch(() => null))?.isDirectory();
  if (!isDir) {
    if (part === 'train') throw new FacenetError('BAD_ARGUMENT', 'classify train needs one class-per-folder directory');
    return { files: [...inputs], labels: inputs.map(() => null) };
  }
  const scanned = await scanImageFolder(inputs[0]!);
  let ds: ImageDataset = filterMinImages(scanned, minImages);
  if (split) {
    const s = splitPerClass(scanned, minImages, trainPer, createRandom(seed));
    ds = part === 'train' ? s.train : s.test;
  }
  if (ds.classes.length === 0) throw new FacenetError('BAD_ARGUMENT', `${inputs[0]}: no class has at least ${minImages} images`);
  const files: string[] = [];
  const labels: string[] = [];
  for (const c of ds.classes) for (const p of c.paths) (files.push(p), labels.push(c.name));
  return { files, labels };
}

async function embedAll(files: string[], m: FaceModel, batchSize: number, io: CliIO) {
  const embedder = new Embedder(m.model, { batchSize });
  const bar = new ProgressBar({ label: 'embed', total: files.length, unit: 'img', stream: io.stderr });
  try {
    const r = await embedFiles(files, embedder, { signal: io.signal, onProgress: (n) => bar.update(n) });
    for (const f of r.failures) io.stderr.write(`classify: skipped ${f.file}: ${f.reason}\n`);
    const notAligned = notAlignedWarning(r, m.model.config.inputSize);
    if (notAligned) io.stderr.write(`classify: ${notAligned}\n`);
    return { ...r, dim: embedder.dim };
  } finally {
    bar.finish();
  }
}

export const classifyCommand = defineCommand(spec, async (args, { io }) => {
  const f = args.flags;
  const mode = args.positionals.mode;
  if (mode !== 'train' && mode !== 'predict') throw new FacenetError('BAD_ARGUMENT', `mode must be 'train' or 'predict', got '${mode}'`);
  const minImages = f.minImagesPerClass ?? (f.split ? 20 : 1);
  const data = await readInputs(args.positionals.inputs, f.split, minImages, f.nrofTrainImagesPerClass, f.seed, mode === 'train' ? 'train' : 'test');
  let clf: SvmClassifier | null = null;
  if (mode === 'predict') {
    let text: string;
    try {
      text = await readFile(f.classifier, 'utf8');
    } catch {
      throw new FacenetError('NOT_FOUND', `classifier ${f.classifier} not found: make one with \`facenet classify train\``);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new FacenetError('BAD_FILE', `classifier ${f.classifier} is not valid JSON (${(e as Error).message}): the file is damaged; train it again with \`facenet classify train\``);
    }
    clf = SvmClassifier.fromJSON(json, f.classifier);
  } else {
    await checkOutputFile(f.classifier, '--classifier', { mkdir: true });
  }
  const m = await loadFaceModel(f.model, networkOptions(f));
  for (const w of m.warnings) io.stderr.write(`classify: ${w}\n`);
  try {
    if (clf && clf.file.model !== m.id) {
      throw new FacenetError('BAD_ARGUMENT', `${f.classifier} was trained on embeddings of ${clf.file.model}, not ${m.id}: use the same --model`);
    }
    const r = await embedAll(data.files, m, f.batchSize, io);
    if (r.aborted) return 130;
    const labelOf = new Map(data.files.map((file, i) => [file, data.labels[i]]));
    if (mode === 'train') {
      const classNames = [...new Set(r.kept.map((k) => labelOf.get(k)!))].sort();
      const index = new Map(classNames.map((c, i) => [c, i]));
      const trained = SvmClassifier.train(r.embeddings, r.kept.map((k) => index.get(labelOf.get(k)!)!), classNames as string[], { dim: r.dim, model: m.id });
      await writeFileAtomic(f.classifier, JSON.stringify(trained.toJSON()));
      trained.dispose();
      const summary = { classifier: path.resolve(f.classifier), classes: classNames.length, images: r.kept.length, skipped: r.failures.length, model: m.id };
      io.stdout.write(f.json ? JSON.stringify(summary) + '\n' : `trained a linear SVM on ${r.kept.length} images of ${classNames.length} classes; saved ${f.classifier}\n`);
      return 0;
    }
    const preds = clf!.predict(r.embeddings, { minProbability: f.minProbability, maxDistance: f.maxDistance });
    const rows = r.kept.map((file, i) => ({ file, truth: labelOf.get(file) ?? null, ...preds[i]! }));
    const labelled = rows.filter((x) => x.truth !== null);
    const correct = labelled.filter((x) => x.label === x.truth).length;
    const accuracy = labelled.length > 0 ? correct / labelled.length : null;
    if (f.json) {
      io.stdout.write(JSON.stringify({ predictions: rows, accuracy, skipped: r.failures }) + '\n');
    } else {
      // classifier.py prints '%4d  %s: %.3f' per image, then the accuracy.
      rows.forEach((x, i) => io.stdout.write(`${String(i).padStart(4)}  ${x.label}: ${x.probability.toFixed(3)}  ${path.basename(x.file)}\n`));
      if (accuracy !== null) io.stdout.write(`Accuracy: ${accuracy.toFixed(3)} (${correct}/${labelled.length})\n`);
    }
    return 0;
  } finally {
    m.model.dispose();
    clf?.dispose();
  }
});
