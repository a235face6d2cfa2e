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
import { Conv2d, Module, PReLU } from '../../nn/index.js';
import { InferenceLayout, convParams, convPrelu, stackedHeads } from './inference-weights.js';

export interface PNetOutput {
  /** Box regression (dx1, dy1, dx2, dy2 as fractions of the 12x12 window): [N, 4, H', W']. */
  reg: Tensor;
  /** Softmax over (non-face, face): [N, 2, H', W']. */
  prob: Tensor;
}

export class PNet extends Module {
  private readonly conv1 = this.registerModule('conv1', new Conv2d(3, 10, { kernel: 3 }));
  private readonly prelu1 = this.registerModule('prelu1', new PReLU(10));
  private readonly conv2 = this.registerModule('conv2', new Conv2d(10, 16, { kernel: 3 }));
  private readonly prelu2 = this.registerModule('prelu2', new PReLU(16));
  private readonly conv3 = this.registerModule('conv3', new Conv2d(16, 32, { kernel: 3 }));
  private readonly prelu3 = this.registerModule('prelu3', new PReLU(32));
  private readonly conv4_1 = this.registerModule('conv4_1', new Conv2d(32, 2, { kernel: 1 }));
  private readonly conv4_2 = this.registerModule('conv4_2', new Conv2d(32, 4, { kernel: 1 }));

  /**
   * The inference layout (inference-weights.ts): channels_last convs, conv4_1 and conv4_2 stacked
   * into one 1x1 conv; the same outputs as the layers' own to float rounding.
   */
  private layout() {
    return this.derived('inference', () =>
      new InferenceLayout({ c1: convParams(this.conv1), c2: convParams(this.conv2), c3: convParams(this.conv3), heads: stackedHeads([this.conv4_1, this.conv4_2]) }),
    ).params;
  }

  /** x: [N, 3, H, W] standardised, H and W >= 12. Call inside tidy(): intermediates are left to the scope. */
  forward(x: Tensor): PNetOutput {
    const f = this.layout();
    let h = convPrelu(x.contiguous('channels_last'), f.c1, this.prelu1); // [N, 10, H-2, W-2]
    h = maxPool2d(h, 2, { stride: 2, ceilMode: true }); // [N, 10, ceil((H-2)/2), …]
    h = convPrelu(convPrelu(h, f.c2, this.prelu2), f.c3, this.prelu3); // [N, 32, H', W']
    const heads = conv2d(h, f.heads.weight, f.heads.bias); // [N, 6, H', W']: face logits, then regression
    return { prob: softmax(heads.slice(1, 0, 2), 1), reg: heads.slice(1, 2, 6) };
  }
}
