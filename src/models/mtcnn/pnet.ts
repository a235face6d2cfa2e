/**
 * MTCNN P-Net (Zhang et al. 2016), the proposal network: a 12x12 fully convolutional face/non-face
 * classifier with box regression, run over every level of the image pyramid. Layer names follow
 * facenet-pytorch's PNet (conv1, prelu1, …, conv4_1, conv4_2) so its pnet.pt loads without renaming.
 *
 * The published weights come from Caffe through facenet, whose detector feeds images with height
 * and width swapped. facenet-pytorch transposes the kernels instead (see weights.ts), so this
 * network takes images the usual way round: [N, 3, H, W], RGB, (x - 127.5) / 128.
 */
import { Tensor, conv2d, maxPool2d, softmax } from '../../tensor/index.js';
import { Conv2d, PReLU } from '../../nn/index.js';
import { convParams, stackedHeads, type ConvParams } from './inference-weights.js';
import { InferenceLayoutModule } from './inference-layout.js';

export interface PNetOutput {
  /** Box regression (dx1, dy1, dx2, dy2 as fractions of the 12x12 window): [N, 4, H', W']. */
  reg: Tensor;
  /** Softmax over (non-face, face): [N, 2, H', W']. */
  prob: Tensor;
}

type PNetLayout = { c1: ConvParams; c2: ConvParams; c3: ConvParams; heads: ConvParams };

export class PNet extends InferenceLayoutModule<PNetLayout> {
  private readonly conv1 = this.registerModule('conv1', new Conv2d(3, 10, { kernel: 3 }));
  private readonly prelu1 = this.registerModule('prelu1', new PReLU(10));
  private readonly conv2 = this.registerModule('conv2', new Conv2d(10, 16, { kernel: 3 }));
  private readonly prelu2 = this.registerModule('prelu2', new PReLU(16));
  private readonly conv3 = this.registerModule('conv3', new Conv2d(16, 32, { kernel: 3 }));
  private readonly prelu3 = this.registerModule('prelu3', new PReLU(32));
  private readonly conv4_1 = this.registerModule('conv4_1', new Conv2d(32, 2, { kernel: 1 }));
  private readonly conv4_2 = this.registerModule('conv4_2', new Conv2d(32, 4, { kernel: 1 }));

  /**
   * Builds the inference layout (inference-weights.ts): channels_last convs, conv4_1 and conv4_2
   * stacked into one 1x1 conv. forward() uses it from then on;
   * it follows later weight loads (stateChanged).
   */
  protected buildInference(): PNetLayout {
    return {
      c1: convParams(this.conv1),
      c2: convParams(this.conv2),
      c3: convParams(this.conv3),
      heads: stackedHeads([this.conv4_1, this.conv4_2]),
    };
  }

  /** x: [N, 3, H, W] standardised, H and W >= 12. Call inside tidy(): intermediates are left to the scope. */
  forward(x: Tensor): PNetOutput {
    const f = this.fused;
    if (f) {
      const p = (t: Tensor, c: ConvParams, a: PReLU): Tensor => a.forward(conv2d(t, c.weight, c.bias));
      let h = p(x.contiguous('channels_last'), f.c1, this.prelu1);
      h = maxPool2d(h, 2, { stride: 2, ceilMode: true });
      h = p(p(h, f.c2, this.prelu2), f.c3, this.prelu3);
      const heads = conv2d(h, f.heads.weight, f.heads.bias); // [N, 6, H', W']: face logits, then regression
      return { prob: softmax(heads.slice(1, 0, 2), 1), reg: heads.slice(1, 2, 6) };
    }
    let h = this.prelu1.forward(this.conv1.forward(x)); // [N, 10, H-2, W-2]
    h = maxPool2d(h, 2, { stride: 2, ceilMode: true }); // [N, 10, ceil((H-2)/2), …]
    h = this.prelu2.forward(this.conv2.forward(h)); // [N, 16, …-2]
    h = this.prelu3.forward(this.conv3.forward(h)); // [N, 32, H', W']
    const prob = softmax(this.conv4_1.forward(h), 1); // [N, 2, H', W']
    const reg = this.conv4_2.forward(h); // [N, 4, H', W']
    return { reg, prob };
  }
}
