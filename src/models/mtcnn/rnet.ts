/**
 * MTCNN R-Net, the refinement network: 24x24 crops -> face probability and box regression.
 * Layer names follow facenet-pytorch's RNet (conv1…conv3, prelu1…prelu4, dense4, dense5_1, dense5_2).
 *
 * The flatten in front of dense4 reads the conv3 output as [N, W, H, C] (permute(0, 3, 2, 1)), the
 * order in which facenet's Caffe-derived graph, fed transposed crops, flattened it; the dense
 * weights were trained for that order.
 */
import { Tensor, conv2d, maxPool2d, softmax } from '../../tensor/index.js';
import { Conv2d, Linear, Module, PReLU } from '../../nn/index.js';
import { InferenceLayout, convParams, convPrelu, denseAsConv, stackedHeads } from './inference-weights.js';

export interface RNetOutput {
  /** Box regression: [N, 4]. */
  reg: Tensor;
  /** Softmax over (non-face, face): [N, 2]. */
  prob: Tensor;
}

export class RNet extends Module {
  private readonly conv1 = this.registerModule('conv1', new Conv2d(3, 28, { kernel: 3 }));
  private readonly prelu1 = this.registerModule('prelu1', new PReLU(28));
  private readonly conv2 = this.registerModule('conv2', new Conv2d(28, 48, { kernel: 3 }));
  private readonly prelu2 = this.registerModule('prelu2', new PReLU(48));
  private readonly conv3 = this.registerModule('conv3', new Conv2d(48, 64, { kernel: 2 }));
  private readonly prelu3 = this.registerModule('prelu3', new PReLU(64));
  private readonly dense4 = this.registerModule('dense4', new Linear(576, 128));
  private readonly prelu4 = this.registerModule('prelu4', new PReLU(128));
  private readonly dense5_1 = this.registerModule('dense5_1', new Linear(128, 2));
  private readonly dense5_2 = this.registerModule('dense5_2', new Linear(128, 4));

  /**
   * The inference layout (inference-weights.ts): channels_last convs, dense4 as a 3x3 conv over
   * conv3's map (which also replaces the (w, h, c) flatten), dense5_1 and dense5_2 stacked into one
   * 1x1 conv.
   */
  private layout() {
    return this.derived('inference', () =>
      new InferenceLayout({
        c1: convParams(this.conv1),
        c2: convParams(this.conv2),
        c3: convParams(this.conv3),
        d4: denseAsConv(this.dense4, 64, 3, 3),
        heads: stackedHeads([this.dense5_1, this.dense5_2]),
      }),
    ).params;
  }

  /** x: [N, 3, 24, 24] standardised. Call inside tidy(). */
  forward(x: Tensor): RNetOutput {
    const f = this.layout();
    let h = convPrelu(x.contiguous('channels_last'), f.c1, this.prelu1); // [N, 28, 22, 22]
    h = maxPool2d(h, 3, { stride: 2, ceilMode: true }); // [N, 28, 11, 11]
    h = maxPool2d(convPrelu(h, f.c2, this.prelu2), 3, { stride: 2, ceilMode: true }); // [N, 48, 4, 4]
    h = convPrelu(convPrelu(h, f.c3, this.prelu3), f.d4, this.prelu4); // [N, 128, 1, 1]
    const heads = conv2d(h, f.heads.weight, f.heads.bias).flatten(1); // [N, 6]: face logits, regression
    return { prob: softmax(heads.slice(1, 0, 2), 1), reg: heads.slice(1, 2, 6) };
  }
}
