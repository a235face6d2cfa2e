/**
 * The two published MTCNN weight sets and how they become P-Net, R-Net and O-Net:
 *
 * - 'facenet-pytorch': pnet.pt, rnet.pt, onet.pt (torch.save state dicts, loaded by name);
 * - 'facenet': det1.npy, det2.npy, det3.npy (numpy-pickled dicts layer -> {weights, biases} or
 *   {alpha}), the original release. Conv kernels there are HWIO for a network fed transposed
 *   images; facenet-pytorch converted them with permute(3, 2, 1, 0), i.e. to OIHW with kh and kw
 *   swapped, so that the nets take images the usual way round. Dense weights are [in, out] and
 *   are transposed. The converted values equal the .pt files exactly (checked in the tests).
 *
 * Files are found by asset name (src/io/asset-registry.ts: cache -> FACENET_MIRROR -> upstream,
 * sha256-checked), or in a folder the caller names.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { FacenetError } from '../../errors.js';
import { resolveAsset, type ResolveAssetOptions } from '../../io/assets.js';
import { getAsset } from '../../io/asset-registry.js';
import { readTorchStateDict } from '../../io/torch-file.js';
import { readNpyObject } from '../../io/npy.js';
import type { RawTensor } from '../../io/raw-tensor.js';
import { loadStateDict, type Module } from '../../nn/index.js';
import { PNet } from './pnet.js';
import { RNet } from './rnet.js';
import { ONet } from './onet.js';

export type MtcnnWeights = 'facenet-pytorch' | 'facenet';
export const MTCNN_WEIGHTS: readonly MtcnnWeights[] = ['facenet-pytorch', 'facenet'];
export type MtcnnNetName = 'pnet' | 'rnet' | 'onet';

export interface MtcnnNets {
  pnet: PNet;
  rnet: RNet;
  onet: ONet;
}

export interface LoadMtcnnOptions extends ResolveAssetOptions {
  /** Which published weight set (default 'facenet-pytorch'; both hold the same values). */
  weights?: MtcnnWeights;
  /**
   * A folder holding the three files (pnet.pt, rnet.pt, onet.pt or det1.npy, det2.npy, det3.npy);
   * when set, the asset cache and mirrors are not used.
   */
  weightsDir?: string;
}

const ASSET_IDS: Record<MtcnnWeights, Record<MtcnnNetName, string>> = {
  'facenet-pytorch': { pnet: 'mtcnn-pnet', rnet: 'mtcnn-rnet', onet: 'mtcnn-onet' },
  facenet: { pnet: 'mtcnn-det1', rnet: 'mtcnn-det2', onet: 'mtcnn-det3' },
};

/** facenet layer name -> facenet-pytorch module name, per network. */
const NPY_LAYERS: Record<MtcnnNetName, Record<string, string>> = {
  pnet: { conv1: 'conv1', PReLU1: 'prelu1', conv2: 'conv2', PReLU2: 'prelu2', conv3: 'conv3', PReLU3: 'prelu3', 'conv4-1': 'conv4_1', 'conv4-2': 'conv4_2' },
  rnet: {
    conv1: 'conv1', prelu1: 'prelu1', conv2: 'conv2', prelu2: 'prelu2', conv3: 'conv3', prelu3: 'prelu3',
    conv4: 'dense4', prelu4: 'prelu4', 'conv5-1': 'dense5_1', 'conv5-2': 'dense5_2',
  },
  onet: {
    conv1: 'conv1', prelu1: 'prelu1', conv2: 'conv2', prelu2: 'prelu2', conv3: 'conv3', prelu3: 'prelu3',
    conv4: 'conv4', prelu4: 'prelu4', conv5: 'dense5', prelu5: 'prelu5', 'conv6-1': 'dense6_1', 'conv6-2': 'dense6_2', 'conv6-3': 'dense6_3',
  },
};

function permuted(t: RawTensor, order: readonly number[], what: string): RawTensor {
  if (t.dtype !== 'float32' || !(t.data instanceof Float32Array)) {
    throw new FacenetError('BAD_FILE', `${what}: expected float32 values, got ${t.dtype}`);
  }
  const shape = t.shape;
  const rank = shape.length;
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const outShape = order.map((o) => shape[o]!);
  const out = new Float32Array(t.data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let k = 0; k < out.length; k++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += idx[d]! * strides[order[d]!]!;
    out[k] = t.data[src]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < outShape[d]!) break;
      idx[d] = 0;
    }
  }
  return { dtype: 'float32', shape: outShape, data: out };
}

function isRaw(v: unknown): v is RawTensor {
  return typeof v === 'object' && v !== null && 'dtype' in v && 'shape' in v && 'data' in v;
}

/**
 * Converts the dict in facenet's det1/2/3.npy into a state dict with facenet-pytorch's key names
 * and layouts: conv weights HWIO -> permute(3, 2, 1, 0), dense [in, out] -> [out, in], PReLU alpha as is.
 */
export function convertFacenetNpy(net: MtcnnNetName, dict: unknown, source: string): Map<string, RawTensor> {
  if (typeof dict !== 'object' || dict === null || Array.isArray(dict)) {
    throw new FacenetError('BAD_FILE', `${source}: expected a dict of layers (facenet's det*.npy format)`);
  }
  const layers = dict as Record<string, unknown>;
  const table = NPY_LAYERS[net];
  const out = new Map<string, RawTensor>();
  for (const [npyName, ptName] of Object.entries(table)) {
    const layer = layers[npyName];
    if (typeof layer !== 'object' || layer === null) {
      throw new FacenetError('BAD_FILE', `${source}: layer '${npyName}' is missing (is this the ${net} file?)`);
    }
    const entries = layer as Record<string, unknown>;
    if (ptName.startsWith('prelu')) {
      const alpha = entries['alpha'];
      if (!isRaw(alpha)) throw new FacenetError('BAD_FILE', `${source}: layer '${npyName}' has no 'alpha'`);
      out.set(`${ptName}.weight`, alpha);
      continue;
    }
    const w = entries['weights'];
    const b = entries['biases'];
    if (!isRaw(w) || !isRaw(b)) throw new FacenetError('BAD_FILE', `${source}: layer '${npyName}' lacks 'weights' or 'biases'`);
    const what = `${source} ${npyName}`;
    if (w.shape.length === 4) out.set(`${ptName}.weight`, permuted(w, [3, 2, 1, 0], what));
    else if (w.shape.length === 2) out.set(`${ptName}.weight`, permuted(w, [1, 0], what));
    else throw new FacenetError('BAD_FILE', `${what}: weights of rank ${w.shape.length}, expected 4 (conv) or 2 (dense)`);
    out.set(`${ptName}.bias`, b);
  }
  const extra = Object.keys(layers).filter((k) => !(k in table));
  if (extra.length > 0) throw new FacenetError('BAD_FILE', `${source}: unexpected layers ${extra.join(', ')} (is this the ${net} file?)`);
  return out;
}

/** The file of one net in a weight set: its path after resolution (download, mirror, cache or folder). */
export async function resolveMtcnnFile(net: MtcnnNetName, opts: LoadMtcnnOptions = {}): Promise<string> {
  const weights = opts.weights ?? 'facenet-pytorch';
  const asset = getAsset(ASSET_IDS[weights][net]);
  if (opts.weightsDir === undefined) return resolveAsset(asset, opts);
  const file = path.join(opts.weightsDir, path.basename(asset.relPath));
  try {
    await access(file);
  } catch {
    throw new FacenetError(
      'ASSET_MISSING',
      `MTCNN ${net} weights (${weights}) not found: ${file} does not exist. Download ${path.basename(asset.relPath)} ` +
        `from ${asset.url ?? '(no upstream address)'} into ${opts.weightsDir}, or leave the weights folder unset to use the asset cache ` +
        '(FACENET_HOME) and FACENET_MIRROR.',
    );
  }
  return file;
}

/** Reads one net's weights as a state dict with facenet-pytorch's names. */
export async function readMtcnnStateDict(net: MtcnnNetName, file: string, weights: MtcnnWeights): Promise<Map<string, RawTensor>> {
  if (weights === 'facenet') return convertFacenetNpy(net, await readNpyObject(file), file);
  return readTorchStateDict(file);
}

function load<M extends Module>(m: M, sd: Map<string, RawTensor>, source: string): M {
  loadStateDict(m, sd, { source });
  m.eval();
  return m;
}

/** Builds the three nets and loads a published weight set into them (eval mode). */
export async function loadMtcnnNets(opts: LoadMtcnnOptions = {}): Promise<MtcnnNets> {
  const weights = opts.weights ?? 'facenet-pytorch';
  if (!MTCNN_WEIGHTS.includes(weights)) {
    throw new FacenetError('BAD_ARGUMENT', `unknown MTCNN weights '${String(weights)}'; use one of ${MTCNN_WEIGHTS.join(', ')}`);
  }
  const files = {
    pnet: await resolveMtcnnFile('pnet', opts),
    rnet: await resolveMtcnnFile('rnet', opts),
    onet: await resolveMtcnnFile('onet', opts),
  };
  const nets: MtcnnNets = { pnet: new PNet(), rnet: new RNet(), onet: new ONet() };
  try {
    for (const net of ['pnet', 'rnet', 'onet'] as const) {
      load(nets[net], await readMtcnnStateDict(net, files[net], weights), files[net]);
    }
  } catch (err) {
    nets.pnet.dispose();
    nets.rnet.dispose();
    nets.onet.dispose();
    throw err;
  }
  return nets;
}
