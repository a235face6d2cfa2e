/**
 * MtcnnDetector: facenet-pytorch's MTCNN.detect for one decoded image, on our engine.
 *
 *   const det = await MtcnnDetector.load();           // facenet-pytorch weights, via the asset cache
 *   const faces = det.detect(await decodeImage(path)); // always an array, [] when no face
 *   det.dispose();
 *
 * Pipeline and numerics follow facenet-pytorch's models/utils/detect_face.py (float32 throughout):
 * mtcnn-pipeline.ts, with the nets on libtorch (torch-image-nets.ts). The faces come back largest box
 * first (facenet-pytorch's select_largest default) or by probability.
 *
 * Deliberate differences from facenet-pytorch: one image per call (its batching needs equal-size
 * images; alignment decodes the next image while this one is detected instead); the R-Net / O-Net
 * crops are resampled in typed arrays (same values); boxes whose crop lies outside the image are
 * dropped instead of crashing; the result is always an array of plain objects, never None.
 */
import { noGrad, applyRuntimeOptions } from '../tensor/index.js';
import { FacenetError } from '../errors.js';
import { loadMtcnnNets, type MtcnnNets, type MtcnnWeights } from '../models/mtcnn/index.js';
import { assertRgbImage, type RgbImage } from '../io/image.js';
import { DEFAULT_DETECT_OPTIONS, resolveDetectOptions, type DetectOptions, type MtcnnLoadOptions } from './options.js';
import { pipelineTable, runMtcnn } from './mtcnn-pipeline.js';
import { torchImageNets } from './torch-image-nets.js';
import type { Face } from './face.js';

export class MtcnnDetector {
  readonly options: Readonly<DetectOptions>;
  readonly weights: MtcnnWeights;
  private nets: MtcnnNets | null;

  private constructor(nets: MtcnnNets, weights: MtcnnWeights, options: DetectOptions) {
    this.nets = nets;
    this.weights = weights;
    this.options = Object.freeze(options);
  }

  /** Loads the three networks (see LoadMtcnnOptions for where the weights come from). */
  static async load(opts: MtcnnLoadOptions = {}): Promise<MtcnnDetector> {
    applyRuntimeOptions(opts);
    const options = resolveDetectOptions(opts.detect ?? {}, DEFAULT_DETECT_OPTIONS);
    const nets = await loadMtcnnNets(opts);
    return new MtcnnDetector(nets, opts.weights ?? 'facenet-pytorch', options);
  }

  /** Wraps networks the caller loaded (tests, custom weights). The detector then owns them. */
  static fromNets(nets: MtcnnNets, options: Partial<DetectOptions> = {}, weights: MtcnnWeights = 'facenet-pytorch'): MtcnnDetector {
    return new MtcnnDetector(nets, weights, resolveDetectOptions(options));
  }

  private get live(): MtcnnNets {
    if (!this.nets) throw new FacenetError('DISPOSED', 'MtcnnDetector was disposed');
    return this.nets;
  }

  /** Faces in `img` (may be empty). Per-call options override the detector's defaults. */
  detect(img: RgbImage, options: Partial<DetectOptions> = {}): Face[] {
    assertRgbImage(img, 'detect');
    const nets = this.live;
    const o = resolveDetectOptions(options, this.options);
    const table = pipelineTable(img);
    return noGrad(() => {
      const imageNets = torchImageNets(nets, img, table);
      try {
        return runMtcnn(img, o, table, imageNets);
      } finally {
        imageNets.dispose();
      }
    });
  }

  dispose(): void {
    if (!this.nets) return;
    this.nets.pnet.dispose();
    this.nets.rnet.dispose();
    this.nets.onet.dispose();
    this.nets = null;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
