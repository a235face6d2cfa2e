/**
 * Inception-ResNet-v1 configurations. One code path builds every variant: the reference network
 * (facenet / facenet-pytorch) and smaller ones for CPU training, which change only repeats, width
 * and input size.
 */
import { FacenetError } from '../../errors.js';

/** How pixels in [0, 255] become network inputs. The model config carries it so inference cannot silently differ from training. */
export type Standardization =
  | 'fixed' // (x - 127.5) / 128: facenet's --use_fixed_image_standardization, the 2018 models, facenet-pytorch
  | 'prewhiten'; // (x - mean) / max(std, 1/sqrt(N)) per image: facenet's default (older models)

export interface InceptionResnetV1Config {
  /** Variant name recorded in checkpoints. */
  variant: string;
  /** Side of the square RGB input. */
  inputSize: number;
  embeddingSize: number;
  /** Repeats of Block35, Block17 and Block8 (the reference: 5, 10, 5). */
  repeats: [number, number, number];
  /** Channel multiplier for every convolution (1 = reference widths). */
  width: number;
  /** Keep probability of the dropout before the bottleneck (facenet's keep_probability; facenet-pytorch uses 0.4). */
  keepProbability: number;
  /** Classes of the logits head; null for an embedding-only model. */
  numClasses: number | null;
  standardization: Standardization;
  /** Batch-norm epsilon: 0.001 in the reference (not PyTorch's 1e-5). */
  bnEps: number;
  /** Batch-norm momentum (torch convention): 0.1 as facenet-pytorch; facenet's TF decay 0.995 is momentum 0.005. */
  bnMomentum: number;
}

export const REFERENCE_CONFIG: Readonly<InceptionResnetV1Config> = Object.freeze({
  variant: 'inception-resnet-v1',
  inputSize: 160,
  embeddingSize: 512,
  repeats: [5, 10, 5] as [number, number, number],
  width: 1,
  keepProbability: 0.4,
  numClasses: null,
  standardization: 'fixed',
  bnEps: 0.001,
  bnMomentum: 0.1,
});

/** Named variants. 'small' is the CPU-training config: a third of the blocks, half the width, 112 px. */
export const VARIANTS: Readonly<Record<string, Partial<InceptionResnetV1Config>>> = Object.freeze({
  'inception-resnet-v1': {},
  'inception-resnet-v1-small': { variant: 'inception-resnet-v1-small', repeats: [2, 4, 2], width: 0.5, inputSize: 112, embeddingSize: 128 },
  'inception-resnet-v1-tiny': { variant: 'inception-resnet-v1-tiny', repeats: [1, 1, 1], width: 0.25, inputSize: 96, embeddingSize: 64 },
});

/** Smallest input the stem and the two reductions accept (the last reduction needs a 3x3 map). */
export const MIN_INPUT_SIZE = 75;

export function resolveConfig(overrides: Partial<InceptionResnetV1Config> & { variant?: string } = {}): InceptionResnetV1Config {
  const name = overrides.variant ?? REFERENCE_CONFIG.variant;
  const preset = VARIANTS[name];
  const c: InceptionResnetV1Config = { ...REFERENCE_CONFIG, ...(preset ?? {}), ...overrides, variant: name };
  if (!preset && !overrides.repeats) {
    throw new FacenetError('BAD_ARGUMENT', `unknown model variant '${name}' (known: ${Object.keys(VARIANTS).join(', ')})`);
  }
  if (!(c.inputSize >= MIN_INPUT_SIZE)) throw new FacenetError('BAD_ARGUMENT', `inputSize ${c.inputSize} is too small: Inception-ResNet-v1 needs at least ${MIN_INPUT_SIZE}`);
  if (!(c.width > 0)) throw new FacenetError('BAD_ARGUMENT', `width must be > 0, got ${c.width}`);
  if (!(c.keepProbability > 0 && c.keepProbability <= 1)) throw new FacenetError('BAD_ARGUMENT', `keepProbability must be in (0, 1], got ${c.keepProbability}`);
  if (!Number.isInteger(c.embeddingSize) || c.embeddingSize < 1) throw new FacenetError('BAD_ARGUMENT', `embeddingSize must be a positive integer`);
  return c;
}

/** A reference channel count scaled by the width multiplier (multiples of 8, at least 8). */
export function channels(reference: number, width: number): number {
  if (width === 1) return reference;
  return Math.max(8, Math.round((reference * width) / 8) * 8);
}
