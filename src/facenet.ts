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
import { assertRgbImage, decodeImage, type ImageInput, type RgbImage } from './io/image.js';
import { Embedder, type FlipMode } from './embed/embedder.js';
import { loadFaceModel, type LoadFaceModelOptions } from './models/registry.js';
import type { InceptionResnetV1 } from './models/inception-resnet-v1/model.js';
import type { ModelFacts } from './models/model-file.js';
import type { Precision } from './tensor/index.js';
import { FacenetError } from './errors.js';
import { compareEmbeddings, type Comparison } from './math/compare-embeddings.js';

export type { RuntimeOptions, Precision, PrecisionOption } from './tensor/index.js';
/** Checks engine settings (the device) before a long-lived service starts; throws what FaceNet.load would. */
export { applyRuntimeOptions as checkRuntimeOptions } from './tensor/index.js';

export interface FaceNetOptions extends LoadFaceModelOptions {
  /** 'vggface2', 'casia-webface', a .safetensors model from `facenet train`, or a facenet-pytorch .pt. */
  model: string;
  detector?: MtcnnLoadOptions;
  /** Crop for embedding: facenet's box + margin (default margin 44, as compare.py) or 'similarity'. */
  alignment?: Partial<Omit<AlignFaceOptions, 'imageSize'>>;
  flip?: FlipMode;
  batchSize?: number;
  /** libtorch threads (RuntimeOptions); default 0 = every core. */
  threads?: number;
  /** @deprecated use `threads` (false = leave the engine's thread count as it is). */
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

export type { Comparison };

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
    const threads = o.threads ?? (o.allCores === false ? undefined : 0);
    // precision (fp32 | bf16 | auto) applies to the embedding network; MTCNN stays fp32 (see README)
    const m = await loadFaceModel(o.model, { ...o, ...(threads !== undefined ? { threads } : {}) });
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

  /** `threshold` (squared L2) overrides the model's stored one. */
  compare(a: Float32Array, b: Float32Array, threshold: number | null = this.threshold): Comparison {
    return compareEmbeddings(a, b, threshold);
  }

  /** The squared-L2 same-person threshold stored in the model file (`facenet validate --save-threshold`), or null. */
  get threshold(): number | null {
    return typeof this.facts.threshold === 'number' ? this.facts.threshold : null;
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
  if (typeof image === 'string' || image instanceof Uint8Array) return decodeImage(image);
  if (typeof image !== 'object' || image === null) {
    throw new FacenetError(
      'BAD_ARGUMENT',
      `expected an image: a file path, encoded image bytes, raw pixels { data, width, height, channels: 3 } or an RgbImage, got ${image === null ? 'null' : typeof image}`,
    );
  }
  if ('channels' in image) return decodeImage(image);
  assertRgbImage(image, 'image');
  return image;
}
