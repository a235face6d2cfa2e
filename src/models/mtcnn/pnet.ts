/**
 * MTCNN P-Net (Zhang et al. 2016), the proposal network: a 12x12 fully convolutional face/non-face
 * classifier with box regression, run over every level of the image pyramid. Layer names follow
 * facenet-pytorch's PNet (conv1, prelu1, …, conv4_1, conv4_2) so its pnet.pt loads without renaming.
 *
 * The published weights come from Caffe through facenet, whose detector feeds images with height
 * and width swapped. facenet-pytorch transposes the kernels instead (see weights.ts), so this
 * network takes images the usual way round: [N, 3, H, W], RGB, (x - 127.5) / 128.
 */
import { Tensor, maxPool2d, softmax } from '../../tensor/index.js';
import { Module, Conv2d, PReLU } from '../../nn/index.js';
import type { MemoryFormat } from '../../tensor/index.js';

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

  /** Lays the conv weights out for `format` (channels_last is oneDNN's fast path on CPU). */
  setMemoryFormat(format: MemoryFormat): this {
    for (const c of [this.conv1, this.conv2, this.conv3, this.conv4_1, this.conv4_2]) c.setMemoryFormat(format);
    return this;
  }

  /** x: [N, 3, H, W] standardised, H and W >= 12. Call inside tidy(): intermediates are left to the scope. */
  forward(x: Tensor): PNetOutput {
    let h = this.prelu1.forward(this.conv1.forward(x)); // [N, 10, H-2, W-2]
    h = maxPool2d(h, 2, { stride: 2, ceilMode: true }); // [N, 10, ceil((H-2)/2), …]
    h = this.prelu2.forward(this.conv2.forward(h)); // [N, 16, …-2]
    h = this.prelu3.forward(this.conv3.forward(h)); // [N, 32, H', W']
    const prob = softmax(this.conv4_1.forward(h), 1); // [N, 2, H', W']
    const reg = this.conv4_2.forward(h); // [N, 4, H', W']
    return { reg, prob };
  }
}
