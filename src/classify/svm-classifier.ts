/**
 * A linear SVM with probability estimates on face embeddings, as facenet's classifier.py does with
 * sklearn's SVC(kernel='linear', probability=True). Both are libsvm: here its emscripten build
 * (libsvm-js, BSD-3), so training, Platt scaling and one-vs-one voting are libsvm's own code.
 */
import SVM from 'libsvm-js/asm.js';
import { FacenetError } from '../errors.js';

export interface ClassifierFile {
  format: 'facenet-ts-classifier/1';
  /** The embedding model the classifier was trained on: embeddings of another model are meaningless to it. */
  model: string;
  dim: number;
  classNames: string[];
  /** Mean embedding of each class (unit-normalised), for the distance-based 'unknown' rule. */
  centroids: number[][];
  svm: string;
}

export interface Prediction {
  /** Best class, or 'unknown' when below the probability threshold or beyond the distance threshold. */
  label: string;
  /** The best class whatever the thresholds say. */
  bestClass: string;
  probability: number;
  /** Squared L2 distance to the best class's centroid. */
  centroidDistance: number;
}

function rows(x: Float32Array, dim: number): number[][] {
  if (x.length % dim !== 0) throw new FacenetError('SHAPE_MISMATCH', `embeddings of length ${x.length} are not rows of ${dim}`);
  const out: number[][] = [];
  for (let i = 0; i < x.length; i += dim) out.push(Array.from(x.subarray(i, i + dim)));
  return out;
}

function sqDist(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s;
}

export class SvmClassifier {
  private constructor(
    private readonly svm: SVM,
    readonly file: Omit<ClassifierFile, 'svm'>,
  ) {}

  /** Trains on embeddings [N, dim] with a class index per row (indices into classNames). */
  static train(embeddings: Float32Array, labels: readonly number[], classNames: readonly string[], o: { dim: number; model: string; cost?: number }): SvmClassifier {
    const x = rows(embeddings, o.dim);
    if (x.length !== labels.length) throw new FacenetError('SHAPE_MISMATCH', `${x.length} embeddings but ${labels.length} labels`);
    const used = new Set(labels);
    if (used.size < 2) throw new FacenetError('BAD_ARGUMENT', `a classifier needs at least 2 classes with images, got ${used.size}`);
    // sklearn's SVC defaults: C = 1, tol = 1e-3, shrinking on.
    const svm = new SVM({ type: SVM.SVM_TYPES.C_SVC, kernel: SVM.KERNEL_TYPES.LINEAR, cost: o.cost ?? 1, probabilityEstimates: true, quiet: true });
    svm.train(x, [...labels]);
    const centroids = classNames.map((_, c) => {
      const mine = x.filter((_, i) => labels[i] === c);
      const m = new Array<number>(o.dim).fill(0);
      for (const r of mine) for (let j = 0; j < o.dim; j++) m[j]! += r[j]! / Math.max(mine.length, 1);
      const n = Math.hypot(...m) || 1;
      return m.map((v) => v / n);
    });
    return new SvmClassifier(svm, { format: 'facenet-ts-classifier/1', model: o.model, dim: o.dim, classNames: [...classNames], centroids });
  }

  static fromJSON(json: unknown, source = 'classifier'): SvmClassifier {
    const f = json as ClassifierFile;
    if (!f || f.format !== 'facenet-ts-classifier/1' || typeof f.svm !== 'string' || !Array.isArray(f.classNames)) {
      throw new FacenetError('BAD_FILE', `${source} is not a facenet classifier file (made by \`facenet classify train\`)`);
    }
    const { svm, ...rest } = f;
    return new SvmClassifier(SVM.load(svm), rest);
  }

  toJSON(): ClassifierFile {
    return { ...this.file, svm: this.svm.serializeModel() };
  }

  predict(embeddings: Float32Array, o: { minProbability?: number; maxDistance?: number } = {}): Prediction[] {
    const x = rows(embeddings, this.file.dim);
    if (x.length === 0) return [];
    return this.svm.predictProbability(x).map((p, i) => {
      let best = p.estimates[0]!;
      for (const e of p.estimates) if (e.probability > best.probability) best = e;
      const bestClass = this.file.classNames[best.label] ?? String(best.label);
      const centroidDistance = sqDist(x[i]!, this.file.centroids[best.label] ?? x[i]!);
      const unknown = best.probability < (o.minProbability ?? 0) || centroidDistance > (o.maxDistance ?? Infinity);
      return { label: unknown ? 'unknown' : bestClass, bestClass, probability: best.probability, centroidDistance };
    });
  }

  dispose(): void {
    this.svm.free();
  }
}
