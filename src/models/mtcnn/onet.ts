/**
 * MTCNN O-Net, the output network: 48x48 crops -> face probability, box regression and five
 * landmarks. Layer names follow facenet-pytorch's ONet (conv1…conv4, prelu1…prelu5, dense5,
 * dense6_1, dense6_2, dense6_3). As in R-Net, the flatten before dense5 is in (w, h, c) order.
 */
import { Tensor, conv2d, maxPool2d, softmax } from '../../tensor/index.js';
import { Conv2d, Linear, Module, PReLU } from '../../nn/index.js';
import { InferenceLayout, convParams, convPrelu, denseAsConv, stackedHeads } from './inference-weights.js';

export interface ONetOutput {
  /** Box regression: [N, 4]. */
  reg: Tensor;
  /** Landmarks as fractions of the box: x of the five points, then their y: [N, 10]. */
  landmarks: Tensor;
  /** Softmax over (non-face, face): [N, 2]. */
  prob: Tensor;
}

export class ONet extends Module {
  private readonly conv1 = this.registerModule('conv1', new Conv2d(3, 32, { kernel: 3 }));
  private readonly prelu1 = this.registerModule('prelu1', new PReLU(32));
  private readonly conv2 = this.registerModule('conv2', new Conv2d(32, 64, { kernel: 3 }));
  private readonly prelu2 = this.registerModule('prelu2', new PReLU(64));
  private readonly conv3 = this.registerModule('conv3', new Conv2d(64, 64, { kernel: 3 }));
  private readonly prelu3 = this.registerModule('prelu3', new PReLU(64));
  private readonly conv4 = this.registerModule('conv4', new Conv2d(64, 128, { kernel: 2 }));
  private readonly prelu4 = this.registerModule('prelu4', new PReLU(128));
  private readonly dense5 = this.registerModule('dense5', new Linear(1152, 256));
  private readonly prelu5 = this.registerModule('prelu5', new PReLU(256));
  private readonly dense6_1 = this.registerModule('dense6_1', new Linear(256, 2));
  private readonly dense6_2 = this.registerModule('dense6_2', new Linear(256, 4));
  private readonly dense6_3 = this.registerModule('dense6_3', new Linear(256, 10));

  /**
   * The inference layout (inference-weights.ts): channels_last convs, dense5 as a 3x3 conv over
   * conv4's map (which also replaces the (w, h, c) flatten), the three heads stacked into one 1x1 conv.
   */
  private layout() {
    return this.derived('inference', () =>
      new InferenceLayout({
        c1: convParams(this.conv1),
        c2: convParams(this.conv2),
        c3: convParams(this.conv3),
        c4: convParams(this.conv4),
        d5: denseAsConv(this.dense5, 128, 3, 3),
        heads: stackedHeads([this.dense6_1, this.dense6_2, this.dense6_3]),
      }),
    ).params;
  }

  /** x: [N, 3, 48, 48] standardised. Call inside tidy(). */
  forward(x: Tensor): ONetOutput {
    const f = this.layout();
    let h = convPrelu(x.contiguous('channels_last'), f.c1, this.prelu1); // [N, 32, 46, 46]
    h = maxPool2d(h, 3, { stride: 2, ceilMode: true }); // [N, 32, 23, 23]
    h = maxPool2d(convPrelu(h, f.c2, this.prelu2), 3, { stride: 2, ceilMode: true }); // [N, 64, 10, 10]
    h = maxPool2d(convPrelu(h, f.c3, this.prelu3), 2, { stride: 2, ceilMode: true }); // [N, 64, 4, 4]
    h = convPrelu(convPrelu(h, f.c4, this.prelu4), f.d5, this.prelu5); // [N, 256, 1, 1]
    const heads = conv2d(h, f.heads.weight, f.heads.bias).flatten(1); // [N, 16]: face logits, regression, landmarks
    return { prob: softmax(heads.slice(1, 0, 2), 1), reg: heads.slice(1, 2, 6), landmarks: heads.slice(1, 6, 16) };
  }
}
