/**
 * MTCNN O-Net, the output network: 48x48 crops -> face probability, box regression and five
 * landmarks. Layer names follow facenet-pytorch's ONet (conv1…conv4, prelu1…prelu5, dense5,
 * dense6_1, dense6_2, dense6_3). As in R-Net, the flatten before dense5 is in (w, h, c) order.
 */
import { Tensor, maxPool2d, softmax } from '../../tensor/index.js';
import { Module, Conv2d, Linear, PReLU } from '../../nn/index.js';
import type { MemoryFormat } from '../../tensor/index.js';

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

  setMemoryFormat(format: MemoryFormat): this {
    for (const c of [this.conv1, this.conv2, this.conv3, this.conv4]) c.setMemoryFormat(format);
    return this;
  }

  /** x: [N, 3, 48, 48] standardised. Call inside tidy(). */
  forward(x: Tensor): ONetOutput {
    let h = this.prelu1.forward(this.conv1.forward(x)); // [N, 32, 46, 46]
    h = maxPool2d(h, 3, { stride: 2, ceilMode: true }); // [N, 32, 23, 23]
    h = this.prelu2.forward(this.conv2.forward(h)); // [N, 64, 21, 21]
    h = maxPool2d(h, 3, { stride: 2, ceilMode: true }); // [N, 64, 10, 10]
    h = this.prelu3.forward(this.conv3.forward(h)); // [N, 64, 8, 8]
    h = maxPool2d(h, 2, { stride: 2, ceilMode: true }); // [N, 64, 4, 4]
    h = this.prelu4.forward(this.conv4.forward(h)); // [N, 128, 3, 3]
    const flat = h.permute(0, 3, 2, 1).contiguous().flatten(1); // [N, 1152] in (w, h, c) order
    const f = this.prelu5.forward(this.dense5.forward(flat)); // [N, 256]
    return {
      reg: this.dense6_2.forward(f),
      landmarks: this.dense6_3.forward(f),
      prob: softmax(this.dense6_1.forward(f), 1),
    };
  }
}
