/**
 * FaceNetWeb: the browser's FaceNet, with the Node facade's shape (detect, align, embed, faces,
 * compare, dispose) on onnxruntime-web (wasm, SIMD; threads when the page is cross-origin
 * isolated) and the models written by `facenet export`:
 *
 *   import { FaceNetWeb } from 'facenet/web';
 *   const fn = await FaceNetWeb.load({ model: '/models/model.onnx', mtcnn: '/models/' });
 *   const [a] = await fn.faces(fileA), [b] = await fn.faces(fileB);
 *   fn.compare(a.embedding, b.embedding);   // { distance, similarity, isMatch }
 *
 * Detection runs the same pipeline code as Node (src/detect/mtcnn-pipeline.ts) with the nets on
 * onnxruntime (ort-mtcnn.ts). No Node module, no native addon, no sharp: images are decoded by the
 * browser (browser-image.ts). The wasm files are loaded from `wasmPaths` (default: the folder of
 * this bundle), never from a CDN.
 */
import * as ort from 'onnxruntime-web/wasm';
import type { InferenceSession } from 'onnxruntime-common';
import type { RgbImage } from '../io/image.js';
import { FacenetError } from '../errors.js';
import { DEFAULT_DETECT_OPTIONS, resolveDetectOptions, type DetectOptions } from '../detect/options.js';
import { pipelineTable, runMtcnnAsync } from '../detect/mtcnn-pipeline.js';
import type { Face } from '../detect/face.js';
import { marginCropBox } from '../math/box-pad.js';
import { estimateNorm } from '../math/similarity-transform.js';
import { warpAffineBilinear } from '../math/warp-affine.js';
import { compareEmbeddings, type Comparison } from '../math/compare-embeddings.js';
import { standardizeInto } from '../embed/standardize.js';
import type { Standardization } from '../models/inception-resnet-v1/config.js';
import { checkModelStructure } from '../export/onnx-check.js';
import { decodeModel } from '../export/onnx-graph.js';
import { ortImageNets, type MtcnnSessions } from './ort-mtcnn.js';
import { cropResize, toRgbImage, type WebImageInput } from './browser-image.js';

export type ModelSource = string | URL | ArrayBuffer | Uint8Array;

export interface FaceNetWebOptions {
  /** The embedding model from `facenet export` (with or without --include-preprocessing). */
  model: ModelSource;
  /** The three nets from `facenet export --mtcnn`: a folder URL holding pnet/rnet/onet.onnx, or each one. */
  mtcnn: string | URL | { pnet: ModelSource; rnet: ModelSource; onet: ModelSource };
  /** Where onnxruntime-web's .wasm files are served (default: beside this bundle). */
  wasmPaths?: string;
  /** wasm threads (default: up to 4 when the page is cross-origin isolated, else 1). */
  threads?: number;
  detect?: Partial<DetectOptions>;
  /** Crop for embedding: facenet's box + margin (default 44, as compare.py) or 'similarity'. */
  alignment?: { margin?: number; mode?: 'box' | 'similarity' };
  /** Squared-distance threshold for isMatch (default: the model's, from its metadata). */
  threshold?: number;
}

export interface EmbeddedFace {
  face: Face;
  aligned: RgbImage;
  embedding: Float32Array;
}

interface EmbeddingModel {
  session: InferenceSession;
  inputSize: number;
  standardization: Standardization;
  /** true when the graph takes uint8 NHWC images (exported with --include-preprocessing). */
  takesPixels: boolean;
  embeddingSize: number;
  threshold: number | null;
}

const name = (s: ModelSource): string => (typeof s === 'string' || s instanceof URL ? String(s) : '<bytes>');

async function bytesOf(s: ModelSource): Promise<Uint8Array> {
  if (s instanceof Uint8Array) return s;
  if (s instanceof ArrayBuffer) return new Uint8Array(s);
  let res: Response;
  try {
    res = await fetch(s);
  } catch (e) {
    throw new FacenetError('NOT_FOUND', `cannot fetch ${name(s)}: ${(e as Error).message}`, { cause: e });
  }
  if (!res.ok) throw new FacenetError('NOT_FOUND', `cannot fetch ${name(s)}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Fetches, checks (onnx-check.ts) and opens one model; a file that is not a valid ONNX model rejects with BAD_FILE. */
async function openModel(s: ModelSource, threads: number): Promise<{ session: InferenceSession; meta: Record<string, string> }> {
  const bytes = await bytesOf(s);
  let problems: string[];
  let meta: Record<string, string>;
  try {
    const model = decodeModel(bytes);
    problems = checkModelStructure(model);
    meta = Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  } catch (e) {
    throw new FacenetError('BAD_FILE', `${name(s)} is not an ONNX model (${(e as Error).message}); export one with \`facenet export\``, { cause: e });
  }
  if (problems.length) throw new FacenetError('BAD_FILE', `${name(s)} is not a valid ONNX model: ${problems.slice(0, 3).join('; ')}`);
  try {
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], intraOpNumThreads: threads, graphOptimizationLevel: 'all' });
    return { session: session as unknown as InferenceSession, meta };
  } catch (e) {
    throw new FacenetError('BAD_FILE', `onnxruntime-web cannot load ${name(s)}: ${(e as Error).message}`, { cause: e });
  }
}

function defaultWasmPaths(): string {
  return new URL('./', import.meta.url).href;
}

export class FaceNetWeb {
  private disposed = false;

  private constructor(
    private readonly nets: MtcnnSessions,
    private readonly model: EmbeddingModel,
    readonly options: Readonly<DetectOptions>,
    private readonly alignment: { margin: number; mode: 'box' | 'similarity' },
  ) {}

  static async load(o: FaceNetWebOptions): Promise<FaceNetWeb> {
    const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
    const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
    const threads = o.threads ?? (isolated ? Math.max(1, Math.min(4, cores)) : 1);
    ort.env.wasm.wasmPaths = o.wasmPaths ?? defaultWasmPaths();
    ort.env.wasm.numThreads = threads;
    ort.env.wasm.simd = true;
    const detect = resolveDetectOptions(o.detect ?? {}, DEFAULT_DETECT_OPTIONS);
    const m = typeof o.mtcnn === 'string' || o.mtcnn instanceof URL ? mtcnnUrls(o.mtcnn) : o.mtcnn;
    const [pnet, rnet, onet, emb] = await Promise.all([openModel(m.pnet, threads), openModel(m.rnet, threads), openModel(m.onet, threads), openModel(o.model, threads)]);
    for (const [which, net] of [['pnet', pnet], ['rnet', rnet], ['onet', onet]] as const) {
      if (net.meta['facenet.kind'] !== `mtcnn-${which}`) throw new FacenetError('BAD_FILE', `${name(m[which])} is not the MTCNN ${which} from \`facenet export --mtcnn\` (kind '${net.meta['facenet.kind'] ?? 'none'}')`);
    }
    if (emb.meta['facenet.kind'] !== 'embedding') throw new FacenetError('BAD_FILE', `${name(o.model)} is not an embedding model from \`facenet export\``);
    const threshold = o.threshold ?? (emb.meta['facenet.threshold'] ? Number(emb.meta['facenet.threshold']) : null);
    const model: EmbeddingModel = {
      session: emb.session,
      inputSize: Number(emb.meta['facenet.input_size']),
      standardization: (emb.meta['facenet.standardization'] ?? 'fixed') as Standardization,
      takesPixels: emb.session.inputNames[0] === 'image',
      embeddingSize: Number(emb.meta['facenet.embedding_size']),
      threshold,
    };
    return new FaceNetWeb({ pnet: pnet.session, rnet: rnet.session, onet: onet.session }, model, detect, { margin: o.alignment?.margin ?? 44, mode: o.alignment?.mode ?? 'box' });
  }

  /** Side of the model's square input in pixels. */
  get inputSize(): number {
    return this.model.inputSize;
  }

  private live(): void {
    if (this.disposed) throw new FacenetError('DISPOSED', 'FaceNetWeb was disposed');
  }

  /** Faces in an image, most confident first; always an array. */
  async detect(image: WebImageInput, options: Partial<DetectOptions> = {}): Promise<Face[]> {
    this.live();
    const img = await toRgbImage(image);
    const o = resolveDetectOptions({ order: 'probability', ...options }, this.options);
    const table = pipelineTable(img);
    return runMtcnnAsync(img, o, table, ortImageNets(this.nets, ort.Tensor as never, img, table));
  }

  /** The face cropped (or warped) to the model's input size. */
  async align(image: WebImageInput, face: Face): Promise<RgbImage> {
    const img = await toRgbImage(image);
    const size = this.model.inputSize;
    if (this.alignment.mode === 'similarity') {
      const data = warpAffineBilinear(img.data, img.width, img.height, 3, estimateNorm(face.landmarks, size), size, size);
      return { width: size, height: size, data, source: img.source };
    }
    return cropResize(img, marginCropBox(face.box, this.alignment.margin, img.width, img.height), size);
  }

  /** Embeddings of aligned faces (each inputSize x inputSize), one Float32Array each. */
  async embed(faces: readonly WebImageInput[]): Promise<Float32Array[]> {
    this.live();
    if (faces.length === 0) return [];
    const size = this.model.inputSize;
    const imgs = await Promise.all(faces.map((f) => toRgbImage(f)));
    imgs.forEach((img, i) => {
      if (img.width !== size || img.height !== size) throw new FacenetError('BAD_ARGUMENT', `embed: face ${i} is ${img.width}x${img.height}; the model takes ${size}x${size} (use align())`);
    });
    const n = imgs.length;
    let feed: ort.Tensor;
    if (this.model.takesPixels) {
      const px = new Uint8Array(n * size * size * 3);
      imgs.forEach((img, i) => px.set(img.data, i * size * size * 3));
      feed = new ort.Tensor('uint8', px, [n, size, size, 3]);
    } else {
      const x = new Float32Array(n * 3 * size * size);
      imgs.forEach((img, i) => standardizeInto(img.data, size, size, this.model.standardization, x, i * 3 * size * size));
      feed = new ort.Tensor('float32', x, [n, 3, size, size]);
    }
    const input = this.model.session.inputNames[0]!;
    const out = await this.model.session.run({ [input]: feed as never });
    const flat = out['embeddings']!.data as Float32Array;
    const d = this.model.embeddingSize;
    return imgs.map((_, i) => flat.slice(i * d, (i + 1) * d));
  }

  /** Detect, align and embed every face of an image. */
  async faces(image: WebImageInput): Promise<EmbeddedFace[]> {
    const img = await toRgbImage(image);
    const found = await this.detect(img);
    const aligned = await Promise.all(found.map((f) => this.align(img, f)));
    const embeddings = await this.embed(aligned);
    return found.map((face, i) => ({ face, aligned: aligned[i]!, embedding: embeddings[i]! }));
  }

  /** `threshold` (squared L2) overrides the model's stored one. */
  compare(a: Float32Array, b: Float32Array, threshold: number | null = this.threshold): Comparison {
    return compareEmbeddings(a, b, threshold);
  }

  /** The squared-L2 same-person threshold from the model's metadata (or the load option), or null. */
  get threshold(): number | null {
    return this.model.threshold;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all([this.nets.pnet.release(), this.nets.rnet.release(), this.nets.onet.release(), this.model.session.release()]);
  }
}

function mtcnnUrls(base: string | URL): { pnet: string; rnet: string; onet: string } {
  const b = String(base).endsWith('/') ? String(base) : `${String(base)}/`;
  const at = (f: string): string => new URL(f, new URL(b, (globalThis as { location?: { href: string } }).location?.href ?? 'http://localhost/')).href;
  return { pnet: at('pnet.onnx'), rnet: at('rnet.onnx'), onet: at('onet.onnx') };
}
