/**
 * classifier.py's split_dataset: classes with at least minImages images are kept; of each, a random
 * trainPerClass images train and the rest test.
 */
import type { ImageDataset } from '../data/image-folder.js';
import { shuffled, type Random } from '../math/shuffle.js';

export function splitPerClass(ds: ImageDataset, minImages: number, trainPerClass: number, random: Random): { train: ImageDataset; test: ImageDataset } {
  const train: ImageDataset = { classes: [] };
  const test: ImageDataset = { classes: [] };
  for (const cls of ds.classes) {
    if (cls.paths.length < minImages) continue;
    const paths = shuffled(cls.paths, random);
    train.classes.push({ name: cls.name, paths: paths.slice(0, trainPerClass) });
    test.classes.push({ name: cls.name, paths: paths.slice(trainPerClass) });
  }
  return { train, test };
}
