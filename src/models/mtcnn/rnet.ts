/**
 * MTCNN R-Net, the refinement network: 24x24 crops -> face probability and box regression.
 * Layer names follow facenet-pytorch's RNet (conv1…conv3, prelu1…prelu4, dense4, dense5_1, dense5_2).
 *
 * The flatten in front of dense4 reads the conv3 output as [N, W, H, C] (permute(0, 3, 2, 1)), the
 * order in which facenet's Caffe-derived graph, fed transposed crops, flattened it; the dense
 * weights were trained for that order.
 */
import { Tensor, maxPool2d, softmax } from '../../tensor/index.js';
import { Module, Conv2d, Linear, PReLU } from '../../nn/index.js';
import type { MemoryFormat } from '../../tensor/index.js';

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

  setMemoryFormat(format: MemoryFormat): this {
    for (const c of [this.conv1, this.conv2, this.conv3]) c.setMemoryFormat(format);
    return this;
  }

  /** x: [N, 3, 24, 24] standardised. Call inside tidy(). */
  forward(x: Tensor): RNetOutput {
    let h = this.prelu1.forward(this.conv1.forward(x)); // [N, 28, 22, 22]
    h = maxPool2d(h, 3, { stride: 2, ceilMode: true }); // [N, 28, 11, 11]
    h = this.prelu2.forward(this.conv2.forward(h)); // [N, 48, 9, 9]
    h = maxPool2d(h, 3, { stride: 2, ceilMode: true }); // [N, 48, 4, 4]
    h = this.prelu3.forward(this.conv3.forward(h)); // [N, 64, 3, 3]
    const flat = h.permute(0, 3, 2, 1).contiguous().flatten(1); // [N, 576] in (w, h, c) order
    const f = this.prelu4.forward(this.dense4.forward(flat)); // [N, 128]
    return { reg: this.dense5_2.forward(f), prob: softmax(this.dense5_1.forward(f), 1) };
  }
}
