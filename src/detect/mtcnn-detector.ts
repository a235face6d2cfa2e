/**
 * MtcnnDetector: facenet-pytorch's MTCNN.detect for one decoded image, on our engine.
 *
 *   const det = await MtcnnDetector.load();           // facenet-pytorch weights, via the asset cache
 *   const faces = det.detect(await decodeImage(path)); // always an array, [] when no face
 *   det.dispose();
 *
 * Pipeline and numerics follow facenet-pytorch's models/utils/detect_face.py (float32 throughout):
 * proposal-stage.ts (P-Net), refine-stages.ts (R-Net, O-Net). The faces come back largest box
 * first (facenet-pytorch's select_largest default) or by probability.
 *
 * Deliberate differences from facenet-pytorch: one image per call (its batching needs equal-size
 * images; alignment decodes the next image while this one is detected instead); the R-Net / O-Net
 * crops are resampled in typed arrays (same values); boxes whose crop lies outside the image are
 * dropped instead of crashing; the result is always an array of plain objects, never None.
 */
import { noGrad } from '../tensor/index.js';
import { SUMMED_AREA_MAX_PIXELS, SummedAreaTable } from '../math/area-resize.js';
import { summedAreaSource, tensorSource } from './pyramid-source.js';
import { FacenetError } from '../errors.js';
import { loadMtcnnNets, type MtcnnNets, type MtcnnWeights } from '../models/mtcnn/index.js';
import { decodeImage, type ImageInput, type RgbImage } from '../io/image.js';
import { rowCount } from '../math/boxes.js';
import { DEFAULT_DETECT_OPTIONS, resolveDetectOptions, type DetectOptions, type MtcnnLoadOptions } from './options.js';
import { pyramidScales } from './pyramid.js';
import { proposalStage } from './proposal-stage.js';
import { outputStage, refineStage } from './refine-stages.js';
import type { Face, FiveLandmarks } from './face.js';

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
    const options = resolveDetectOptions(opts.detect ?? {}, DEFAULT_DETECT_OPTIONS);
    const nets = await loadMtcnnNets(opts);
    return new MtcnnDetector(nets, opts.weights ?? 'facenet-pytorch', options);
  }

  /** Wraps networks the caller loaded (tests, custom weights). The detector then owns them. */
  static fromNets(nets: MtcnnNets, options: Partial<DetectOptions> = {}, weights: MtcnnWeights = 'facenet-pytorch'): MtcnnDetector {
    nets.pnet.prepareInference();
    nets.rnet.prepareInference();
    nets.onet.prepareInference();
    return new MtcnnDetector(nets, weights, resolveDetectOptions(options));
  }

  private get live(): MtcnnNets {
    if (!this.nets) throw new FacenetError('DISPOSED', 'MtcnnDetector was disposed');
    return this.nets;
  }

  /** Faces in `img` (may be empty). Per-call options override the detector's defaults. */
  detect(img: RgbImage, options: Partial<DetectOptions> = {}): Face[] {
    const nets = this.live;
    const o = resolveDetectOptions(options, this.options);
    const { width: w, height: h } = img;
    if (!(Number.isInteger(w) && w > 0 && Number.isInteger(h) && h > 0 && img.data.length === w * h * 3)) {
      throw new FacenetError('BAD_ARGUMENT', `detect: not a valid RGB image (${w}x${h}, ${img.data.length} bytes)`);
    }
    const scales = pyramidScales(h, w, o.minFaceSize, o.factor);
    if (scales.length === 0) return [];
    return noGrad(() => {
      const table = w * h <= SUMMED_AREA_MAX_PIXELS ? new SummedAreaTable(img.data, w, h, 3) : null;
      const source = table ? summedAreaSource(img, table) : tensorSource(img);
      let proposals;
      try {
        proposals = proposalStage(nets.pnet, source, scales, o.thresholds[0]);
      } finally {
        source.dispose();
      }
      const refined = refineStage(nets.rnet, img, proposals, o.thresholds[1], table);
      const { boxes, points } = outputStage(nets.onet, img, refined, o.thresholds[2], table);
      const n = rowCount(boxes);
      const faces: Face[] = [];
      for (let i = 0; i < n; i++) {
        const b = boxes.data.subarray(i * 5, i * 5 + 5);
        const p = points.subarray(i * 10, i * 10 + 10);
        const landmarks = [0, 1, 2, 3, 4].map((k) => [p[2 * k]!, p[2 * k + 1]!]) as FiveLandmarks;
        faces.push({ box: [b[0]!, b[1]!, b[2]!, b[3]!], prob: b[4]!, landmarks });
      }
      return orderFaces(faces, o.order);
    });
  }

  /** Decodes `input` (a file path, encoded bytes or raw RGB pixels; see decodeImage) and detects its faces. */
  async detectImage(input: ImageInput, options: Partial<DetectOptions> = {}): Promise<Face[]> {
    const img = await decodeImage(input);
    return this.detect(img, options);
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

/**
 * 'area': numpy's argsort of the float32 areas, reversed (facenet-pytorch's select_largest), so
 * among equal areas the later face comes first. 'probability': most confident first.
 */
function orderFaces(faces: Face[], order: DetectOptions['order']): Face[] {
  const f = Math.fround;
  const key = (x: Face): number => (order === 'area' ? f(f(x.box[2] - x.box[0]) * f(x.box[3] - x.box[1])) : x.prob);
  const idx = faces.map((_, i) => i).sort((a, b) => key(faces[a]!) - key(faces[b]!) || a - b);
  return idx.reverse().map((i) => faces[i]!);
}
