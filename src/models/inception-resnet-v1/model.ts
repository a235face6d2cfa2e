/**
 * Inception-ResNet-v1 (Szegedy et al. 2016) as facenet trains it and facenet-pytorch publishes it:
 * stem, 5x Block35 (scale 0.17), Reduction-A, 10x Block17 (0.10), Reduction-B, 5x Block8 (0.20),
 * a last Block8 without ReLU, global average pool, dropout, bottleneck linear without bias,
 * BatchNorm1d (the "prelogits"), then L2 normalisation (the embedding) and an optional logits head.
 */
import { Tensor, PackedConv2d, adaptiveAvgPool2d, autocast, dropout, maxPool2d, normalize, noGrad, tidy, type Dtype, type MemoryFormat, type Precision } from '../../tensor/index.js';
import { Module, Conv2d, BatchNorm, Linear, Sequential, foldBatchNorm, xavierUniform, type Layer } from '../../nn/index.js';
import { BasicConv2d, Block35, Block17, Block8, Mixed6a, Mixed7a, inDtype, type BlockSettings } from './blocks.js';
import { MIN_INPUT_SIZE, channels, resolveConfig, type InceptionResnetV1Config } from './config.js';
import { FacenetError } from '../../errors.js';

export interface InceptionResnetV1Output {
  /** Bottleneck output after batch norm, before normalisation: [N, embeddingSize]. */
  prelogits: Tensor;
  /** L2-normalised prelogits: [N, embeddingSize]. */
  embeddings: Tensor;
  /** Class scores from the prelogits when the model has a logits head: [N, numClasses]. */
  logits: Tensor | null;
}

export class InceptionResnetV1 extends Module {
  readonly config: Readonly<InceptionResnetV1Config>;
  private readonly stem: Layer[];
  private readonly body: Layer[];
  private readonly lastLinear: Linear;
  private readonly lastBn: BatchNorm;
  private readonly logitsHead: Linear | null;
  private memoryFormat: MemoryFormat = 'contiguous';
  private computePrecision: Precision = 'fp32';

  constructor(config: Partial<InceptionResnetV1Config> = {}) {
    super();
    const c = resolveConfig(config);
    this.config = Object.freeze({ ...c });
    const s: BlockSettings = { width: c.width, bnEps: c.bnEps, bnMomentum: c.bnMomentum };
    const w = (n: number) => channels(n, c.width);
    const stemOut = w(256);
    this.stem = [
      this.registerModule('conv2d_1a', new BasicConv2d(3, w(32), 3, 2, 0, s)),
      this.registerModule('conv2d_2a', new BasicConv2d(w(32), w(32), 3, 1, 0, s)),
      this.registerModule('conv2d_2b', new BasicConv2d(w(32), w(64), 3, 1, 1, s)),
      { forward: (x: Tensor) => maxPool2d(x, 3, { stride: 2 }) }, // maxpool_3a
      this.registerModule('conv2d_3b', new BasicConv2d(w(64), w(80), 1, 1, 0, s)),
      this.registerModule('conv2d_4a', new BasicConv2d(w(80), w(192), 3, 1, 0, s)),
      this.registerModule('conv2d_4b', new BasicConv2d(w(192), stemOut, 3, 2, 0, s)),
    ];
    const [r1, r2, r3] = c.repeats;
    const repeat1 = this.registerModule('repeat_1', new Sequential(Array.from({ length: r1 }, () => new Block35(stemOut, 0.17, s))));
    const mixed6a = this.registerModule('mixed_6a', new Mixed6a(stemOut, s));
    const c17 = mixed6a.outChannels;
    const repeat2 = this.registerModule('repeat_2', new Sequential(Array.from({ length: r2 }, () => new Block17(c17, 0.1, s))));
    const mixed7a = this.registerModule('mixed_7a', new Mixed7a(c17, s));
    const c8 = mixed7a.outChannels;
    const repeat3 = this.registerModule('repeat_3', new Sequential(Array.from({ length: r3 }, () => new Block8(c8, 0.2, true, s))));
    const block8 = this.registerModule('block8', new Block8(c8, 1.0, false, s));
    this.body = [repeat1, mixed6a, repeat2, mixed7a, repeat3, block8];
    this.lastLinear = this.registerModule('last_linear', new Linear(c8, c.embeddingSize, { bias: false }));
    this.lastBn = this.registerModule('last_bn', new BatchNorm(c.embeddingSize, { eps: c.bnEps, momentum: c.bnMomentum }));
    this.logitsHead = c.numClasses ? this.registerModule('logits', new Linear(c.embeddingSize, c.numClasses)) : null;
  }

  /** Feature channels before the bottleneck (1792 for the reference width). */
  get featureChannels(): number {
    return this.lastLinear.weight.shape[1]!;
  }

  /**
   * Runs the convolutions in channels_last layout (oneDNN's fast path on CPU). Call before creating
   * an optimiser: the conv weights are replaced by re-laid-out copies.
   */
  setMemoryFormat(format: MemoryFormat): this {
    this.memoryFormat = format;
    for (const [, m] of this.namedModules()) if (m instanceof Conv2d) m.setMemoryFormat(format);
    this.stateChanged();
    return this;
  }

  /**
   * The compute precision (default fp32). Parameters, buffers and checkpoints stay float32 either way.
   * bf16, in eval mode: the batch-norm-folded weights are prepacked in bfloat16 for oneDNN (AMX /
   * AVX512-BF16 kernels), activations are bfloat16 from the input on, and the bottleneck's output
   * (the prelogits) is converted to float32 before the L2 normalisation and the logits head.
   * bf16, in train mode: mixed precision as torch.autocast does it: the backbone and bottleneck run
   * under autocast (convolutions and the bottleneck matmul in bfloat16, forward and backward, from
   * the float32 master weights), batch norm keeps float32 parameters and running statistics and
   * computes its statistics in float32, and the bottleneck output is converted to float32 before
   * last_bn, so prelogits, embeddings and everything downstream (heads, losses, softmax, center
   * loss) are float32. bfloat16 has float32's range, so no loss scaling is needed.
   */
  setPrecision(precision: Precision): this {
    this.computePrecision = precision;
    this.stateChanged();
    return this;
  }

  get precision(): Precision {
    return this.computePrecision;
  }

  /** facenet's initialisation for training from scratch: Xavier-uniform conv and dense weights (TF-slim's default). */
  initLikeFacenet(): this {
    noGrad(() => {
      for (const [, m] of this.namedModules()) {
        if (m instanceof Conv2d || m instanceof Linear) {
          xavierUniform(m.weight);
          m.bias?.zero_();
        }
      }
    });
    return this;
  }

  private checkInput(x: Tensor): void {
    const s = x.shape;
    if (s.length !== 4 || s[1] !== 3) {
      throw new FacenetError('SHAPE_MISMATCH', `InceptionResnetV1 expects images [N, 3, H, W], got [${s.join(', ')}]`);
    }
    if (s[2]! < MIN_INPUT_SIZE || s[3]! < MIN_INPUT_SIZE) throw new FacenetError('SHAPE_MISMATCH', `InceptionResnetV1 needs images of at least ${MIN_INPUT_SIZE}x${MIN_INPUT_SIZE}, got ${s[3]}x${s[2]}`);
  }

  /** Feature map -> pooled [N, C] features, before dropout and the bottleneck. */
  features(x: Tensor): Tensor {
    this.checkInput(x);
    let out = this.memoryFormat === 'channels_last' ? x.contiguous('channels_last') : x;
    if (this.computePrecision === 'bf16' && !this.training) {
      // bf16 inference: activations in bfloat16 from the start (the folded convolutions follow the
      // input's dtype); in training, autocast does the casts (see setPrecision)
      const cast = inDtype(out, 'bfloat16');
      if (out !== x) out.dispose();
      out = cast;
    }
    for (const layer of [...this.stem, ...this.body]) {
      const next = layer.forward(out);
      if (out !== x) out.dispose();
      out = next;
    }
    const pooled = adaptiveAvgPool2d(out, 1);
    if (out !== x) out.dispose();
    const flat = pooled.flatten(1);
    pooled.dispose();
    return flat;
  }

  /** prelogits = last_bn(last_linear(f)) in eval mode = f W'^T + b' with W' = W g/sqrt(v+eps), b' = beta - m g/sqrt(v+eps). */
  private foldBottleneck(dtype: Dtype): PackedConv2d {
    const bn = this.lastBn;
    return noGrad(() =>
      tidy(() => {
        const { weight: w, bias } = foldBatchNorm(this.lastLinear.weight, bn);
        const weight = w.reshape(w.shape[0]!, w.shape[1]!, 1, 1);
        return new PackedConv2d(inDtype(weight, dtype), bias);
      }),
    );
  }

  /** Eval-mode prelogits from pooled features [N, C]: the bottleneck and its batch norm as one op (dropout is off). */
  private evalPrelogits(f: Tensor): Tensor {
    // last_linear with last_bn folded in, as a prepacked 1x1 convolution (see BasicConv2d).
    const bottleneck = this.derived(`foldedBottleneck:${f.dtype}`, () => this.foldBottleneck(f.dtype));
    const f4 = f.reshape(f.shape[0]!, f.shape[1]!, 1, 1);
    const y = bottleneck.forward(f4);
    f4.dispose();
    const flat = y.flatten(1);
    y.dispose();
    // bf16 inference ends here: the prelogits are normalised (and scored) in float32
    const prelogits = inDtype(flat, 'float32');
    if (prelogits !== flat) flat.dispose();
    return prelogits;
  }

  /** Train-mode prelogits, float32; with bf16 the backbone and bottleneck run under autocast (see setPrecision). */
  private trainPrelogits(x: Tensor): Tensor {
    const backbone = (): Tensor => {
      const f = this.features(x);
      const dropped = dropout(f, 1 - this.config.keepProbability, this.training && this.config.keepProbability < 1);
      f.dispose();
      const out = this.lastLinear.forward(dropped);
      dropped.dispose();
      return out;
    };
    if (this.computePrecision !== 'bf16') {
      const bottleneck = backbone();
      const prelogits = this.lastBn.forward(bottleneck);
      bottleneck.dispose();
      return prelogits;
    }
    const bottleneck = autocast('bfloat16', backbone);
    const b32 = inDtype(bottleneck, 'float32');
    if (b32 !== bottleneck) bottleneck.dispose();
    const prelogits = this.lastBn.forward(b32);
    b32.dispose();
    return prelogits;
  }

  forwardAll(x: Tensor): InceptionResnetV1Output {
    let prelogits: Tensor;
    if (this.training) {
      prelogits = this.trainPrelogits(x);
    } else {
      const f = this.features(x);
      prelogits = this.evalPrelogits(f);
      f.dispose();
    }
    const embeddings = normalize(prelogits, { p: 2, dim: 1, eps: 1e-10 });
    const logits = this.logitsHead ? this.logitsHead.forward(prelogits) : null;
    return { prelogits, embeddings, logits };
  }

  /** L2-normalised embeddings [N, embeddingSize]. */
  forward(x: Tensor): Tensor {
    const { prelogits, embeddings, logits } = this.forwardAll(x);
    prelogits.dispose();
    logits?.dispose();
    return embeddings;
  }
}
