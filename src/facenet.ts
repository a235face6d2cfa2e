/**
 * FaceNet: the one object an application needs to find, align, embed and compare faces.
 *
 *   const fn = await FaceNet.load({ model: 'vggface2' });
 *   const faces = await fn.faces('group.jpg');   // [{ face, aligned, embedding }], [] when none
 *   const { distance, isMatch } = fn.compare(faces[0].embedding, faces[1].embedding);
 *   fn.dispose();
 *
 * Inputs are paths, encoded bytes or decoded RGB pixels; outputs are plain data (numbers, typed
 * arrays), never tensors.
 */
import { MtcnnDetector, type Face, type MtcnnLoadOptions } from './detect/index.js';
import { alignFace, type AlignFaceOptions } from './align/index.js';
import { decodeImage, type ImageInput, type RgbImage } from './io/image.js';
import { Embedder, type FlipMode } from './embed/embedder.js';
import { loadFaceModel, type LoadFaceModelOptions } from './models/registry.js';
import type { InceptionResnetV1 } from './models/inception-resnet-v1/model.js';
import type { ModelFacts } from './models/model-file.js';
import { useAllCores, type Precision } from './tensor/index.js';
import { FacenetError } from './errors.js';

export interface FaceNetOptions extends LoadFaceModelOptions {
  /** 'vggface2', 'casia-webface', a .safetensors model from `facenet train`, or a facenet-pytorch .pt. */
  model: string;
  detector?: MtcnnLoadOptions;
  /** Crop for embedding: facenet's box + margin (default margin 44, as compare.py) or 'similarity'. */
  alignment?: Partial<Omit<AlignFaceOptions, 'imageSize'>>;
  flip?: FlipMode;
  batchSize?: number;
  /** Use every core for libtorch (default true). */
  allCores?: boolean;
  /** Called with non-fatal notes (e.g. bf16 on a CPU without native bf16); default: process.emitWarning. */
  onWarning?: (message: string) => void;
}

export interface EmbeddedFace {
  face: Face;
  aligned: RgbImage;
  /** Unit-length embedding (twice the model's size with flip 'concat'). */
  embedding: Float32Array;
}

export interface Comparison {
  /** Plain Euclidean distance, as compare.py prints. */
  distance: number;
  /** Cosine similarity. */
  similarity: number;
  /** distance² below the model's stored threshold; null when the model has none. */
  isMatch: boolean | null;
}

export class FaceNet {
  private constructor(
    private readonly detector: MtcnnDetector,
    readonly model: InceptionResnetV1,
    readonly modelId: string,
    readonly facts: ModelFacts,
    private readonly embedder: Embedder,
    private readonly alignment: Partial<AlignFaceOptions>,
  ) {}

  static async load(o: FaceNetOptions): Promise<FaceNet> {
    if (o.allCores ?? true) useAllCores();
    // precision (fp32 | bf16 | auto) applies to the embedding network; MTCNN stays fp32 (see README)
    const m = await loadFaceModel(o.model, o);
    for (const w of m.warnings) (o.onWarning ?? ((msg: string) => process.emitWarning(msg)))(w);
    let detector: MtcnnDetector;
    try {
      detector = await MtcnnDetector.load({ ...o.detector, home: o.detector?.home ?? o.home, mirror: o.detector?.mirror ?? o.mirror });
    } catch (e) {
      m.model.dispose();
      throw e;
    }
    const embedder = new Embedder(m.model, { batchSize: o.batchSize ?? 16, flip: o.flip ?? 'none' });
    return new FaceNet(detector, m.model, m.id, m.facts, embedder, { margin: 44, mode: 'box', ...o.alignment, imageSize: m.model.config.inputSize });
  }

  /** The embedding network's compute precision ('fp32' or 'bf16'). */
  get precision(): Precision {
    return this.model.precision;
  }

  /** Faces in an image, most confident first; always an array. */
  async detect(image: ImageInput | RgbImage): Promise<Face[]> {
    return this.detector.detect(await toRgb(image), { order: 'probability' });
  }

  /** The face cropped (or warped) to the model's input size. */
  async align(image: ImageInput | RgbImage, face: Face): Promise<RgbImage> {
    return alignFace(await toRgb(image), face, this.alignment);
  }

  /** Embeddings of aligned faces, one Float32Array each. */
  async embed(faces: readonly RgbImage[]): Promise<Float32Array[]> {
    const flat = await this.embedder.embed(faces);
    const d = this.embedder.dim;
    return faces.map((_, i) => flat.slice(i * d, (i + 1) * d));
  }

  /** Detect, align and embed every face of an image. */
  async faces(image: ImageInput | RgbImage): Promise<EmbeddedFace[]> {
    const img = await toRgb(image);
    const found = await this.detect(img);
    const aligned = await Promise.all(found.map((f) => alignFace(img, f, this.alignment)));
    const embeddings = await this.embed(aligned);
    return found.map((face, i) => ({ face, aligned: aligned[i]!, embedding: embeddings[i]! }));
  }

  compare(a: Float32Array, b: Float32Array): Comparison {
    if (a.length !== b.length) throw new FacenetError('SHAPE_MISMATCH', `embeddings of different sizes: ${a.length} and ${b.length}`);
    let sq = 0;
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < a.length; i++) {
      sq += (a[i]! - b[i]!) ** 2;
      dot += a[i]! * b[i]!;
      na += a[i]! ** 2;
      nb += b[i]! ** 2;
    }
    const threshold = typeof this.facts.threshold === 'number' ? this.facts.threshold : null;
    return { distance: Math.sqrt(sq), similarity: dot / Math.sqrt(na * nb || 1), isMatch: threshold === null ? null : sq < threshold };
  }

  dispose(): void {
    this.detector.dispose();
    this.model.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.dispose();
  }
}

async function toRgb(image: ImageInput | RgbImage): Promise<RgbImage> {
  if (typeof image === 'object' && 'source' in image && 'data' in image && (image as RgbImage).data instanceof Uint8Array && !('channels' in image)) return image as RgbImage;
  return decodeImage(image as ImageInput);
}
