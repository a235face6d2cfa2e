/**
 * Embedder: aligned face images in, unit-length embeddings out, in batches. Resizes images that
 * are not the model's input size and standardises them the way the model's config says.
 */
import { tensor, tidy, noGrad, normalize, resolvePrecision, type Precision, type PrecisionOption } from '../tensor/index.js';
import type { RgbImage } from '../io/image.js';
import { assertRgbImage, resizeBilinear } from '../io/image.js';
import type { InceptionResnetV1 } from '../models/inception-resnet-v1/model.js';
import { standardizeInto } from './standardize.js';
import { cropOrPad } from './crop-or-pad.js';
import { FacenetError } from '../errors.js';

/**
 * Flip test: 'concat' appends the embedding of the mirrored image (facenet's
 * --use_flipped_images; doubles the dimension, halves stay unit length); 'sum' adds the two and
 * re-normalises (insightface's way; same dimension).
 */
export type FlipMode = 'none' | 'concat' | 'sum';

/**
 * How an image that is not inputSize x inputSize becomes one: 'crop' centre-crops (or zero-pads)
 * it, as facenet's evaluation pipeline does (tf.image.resize_image_with_crop_or_pad, e.g. 160 px
 * from 182 px aligned faces); 'resize' rescales it with a bilinear filter, as compare.py does.
 */
export type FitMode = 'crop' | 'resize';

export interface EmbedderOptions {
  batchSize?: number;
  /**
   * Compute precision; sets it on the model (InceptionResnetV1.setPrecision). Default: the model's
   * current one. 'auto' = bf16 where the CPU has native bf16 matrix support.
   */
  precision?: PrecisionOption;
  flip?: FlipMode;
  fit?: FitMode;
}

export class Embedder {
  readonly batchSize: number;
  readonly flip: FlipMode;
  readonly inputSize: number;
  readonly fit: FitMode;

  constructor(
    private readonly model: InceptionResnetV1,
    options: EmbedderOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 16;
    this.flip = options.flip ?? 'none';
    this.inputSize = model.config.inputSize;
    this.fit = options.fit ?? 'crop';
    if (options.precision !== undefined) model.setPrecision(resolvePrecision(options.precision).precision);
    if (!(Number.isInteger(this.batchSize) && this.batchSize >= 1)) throw new FacenetError('BAD_ARGUMENT', `batchSize must be a positive integer, got ${this.batchSize}`);
  }

  /** The precision the embeddings are computed in (outputs are float32 either way). */
  get precision(): Precision {
    return this.model.precision;
  }

  /** Length of one output row. */
  get dim(): number {
    return this.model.config.embeddingSize * (this.flip === 'concat' ? 2 : 1);
  }

  /** The image at exactly inputSize x inputSize (see FitMode). */
  async prepare(img: RgbImage): Promise<RgbImage> {
    assertRgbImage(img, 'embed');
    const s = this.inputSize;
    if (img.width === s && img.height === s) return img;
    return this.fit === 'resize' ? resizeBilinear(img, s, s) : cropOrPad(img, s);
  }

  /** Embeds prepared (inputSize-square) images: rows of dim floats, row-major [N, dim]. */
  embedPrepared(images: readonly RgbImage[]): Float32Array {
    const out = new Float32Array(images.length * this.dim);
    for (let start = 0; start < images.length; start += this.batchSize) {
      const batch = images.slice(start, start + this.batchSize);
      out.set(this.embedBatch(batch), start * this.dim);
    }
    return out;
  }

  async embed(images: readonly RgbImage[]): Promise<Float32Array> {
    return this.embedPrepared(await Promise.all(images.map((i) => this.prepare(i))));
  }

  private forward(batch: readonly RgbImage[], flip: boolean) {
    const s = this.inputSize;
    const plane = 3 * s * s;
    const input = new Float32Array(batch.length * plane);
    batch.forEach((img, i) => {
      assertRgbImage(img, 'embed');
      if (img.width !== s || img.height !== s) throw new FacenetError('BAD_ARGUMENT', `${img.source}: expected ${s}x${s}, got ${img.width}x${img.height}`);
      standardizeInto(img.data, s, s, this.model.config.standardization, input, i * plane, flip);
    });
    return this.model.forward(tensor(input, [batch.length, 3, s, s]));
  }

  private embedBatch(batch: readonly RgbImage[]): Float32Array {
    return noGrad(() =>
      tidy(() => {
        const plain = this.forward(batch, false);
        if (this.flip === 'none') return plain.toFloat32();
        const mirrored = this.forward(batch, true);
        if (this.flip === 'sum') return normalize(plain.add(mirrored), { dim: 1 }).toFloat32();
        const d = this.model.config.embeddingSize;
        const a = plain.toFloat32();
        const b = mirrored.toFloat32();
        const rows = new Float32Array(batch.length * 2 * d);
        for (let i = 0; i < batch.length; i++) {
          rows.set(a.subarray(i * d, (i + 1) * d), i * 2 * d);
          rows.set(b.subarray(i * d, (i + 1) * d), i * 2 * d + d);
        }
        return rows;
      }),
    );
  }
}
