/**
 * The training set of a run: the class-per-folder dataset scanned (paths only; images stay on disk
 * and are streamed batch by batch), filtered by a minimum image count, and split into training and
 * validation images as train_softmax's --validation_set_split_ratio does (facenet.split_dataset,
 * SPLIT_IMAGES). Labels are class indices in the training set, as facenet's.
 */
import { FacenetError } from '../errors.js';
import { Rng } from '../math/rng.js';
import { filterMinImages, scanImageFolder, splitDataset, type ImageClass } from './image-folder.js';
import { mixSeed, STREAM } from './sample-order.js';

export interface TrainingSetOptions {
  dataDir: string;
  /** Drop classes with fewer images (0 keeps all). */
  minImagesPerClass: number;
  /** Fraction of each class's images held out for validation (0: none, facenet's default). */
  validationSetSplitRatio: number;
  /** facenet's --min_nrof_val_images_per_class (compared with the training share, as facenet does). */
  minNrofValImagesPerClass: number;
  seed: number;
}

/** Images as parallel arrays: paths[i] has label labels[i]. */
export interface LabelledImages {
  paths: string[];
  labels: Int32Array;
}

export interface TrainingSet extends LabelledImages {
  root: string;
  classNames: string[];
  /** For every class, the indices into paths of its images (triplet sampling draws from these). */
  classImages: number[][];
  val: LabelledImages;
  /** Class folders left out because they had no images or too few. */
  droppedClasses: number;
}

function flatten(classes: readonly ImageClass[]): LabelledImages & { classImages: number[][] } {
  const paths: string[] = [];
  const labels: number[] = [];
  const classImages: number[][] = [];
  classes.forEach((c, label) => {
    classImages.push(c.paths.map((_, i) => paths.length + i));
    for (const p of c.paths) {
      paths.push(p);
      labels.push(label);
    }
  });
  return { paths, labels: Int32Array.from(labels), classImages };
}

/** Scans and prepares the dataset; a folder without two usable classes is a clear error. */
export async function loadTrainingSet(o: TrainingSetOptions): Promise<TrainingSet> {
  const scanned = await scanImageFolder(o.dataDir);
  const found = scanned.classes.length;
  const filtered = o.minImagesPerClass > 0 ? filterMinImages(scanned, o.minImagesPerClass) : scanned;
  let train = filtered.classes;
  let val: ImageClass[] = [];
  if (o.validationSetSplitRatio > 0) {
    const rng = new Rng(mixSeed(o.seed, STREAM.split));
    const split = splitDataset(filtered, o.validationSetSplitRatio, o.minNrofValImagesPerClass, 'SPLIT_IMAGES', () => rng.next());
    train = split.train.classes;
    val = split.val.classes;
  }
  if (train.length < 2) {
    const why =
      found < 2
        ? `it has ${found} class folder${found === 1 ? ` ('${scanned.classes[0]!.name}')` : 's'} with images`
        : `only ${train.length} of its ${found} classes remain after --min-images-per-class ${o.minImagesPerClass}` +
          (o.validationSetSplitRatio > 0 ? ` and the validation split (ratio ${o.validationSetSplitRatio})` : '');
    throw new FacenetError(
      'BAD_ARGUMENT',
      `dataset folder ${o.dataDir} cannot train a face recognizer: ${why}; it needs at least 2 classes (one sub-folder of aligned face images per person)`,
    );
  }
  const flat = flatten(train);
  // Validation labels are the training labels of the same classes (split_dataset keeps the order).
  const valFlat = flatten(val);
  return {
    root: o.dataDir,
    classNames: train.map((c) => c.name),
    paths: flat.paths,
    labels: flat.labels,
    classImages: flat.classImages,
    val: { paths: valFlat.paths, labels: valFlat.labels },
    droppedClasses: scanned.emptyClasses.length + found - train.length,
  };
}
