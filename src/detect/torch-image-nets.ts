/**
 * The libtorch side of the pipeline's seam (MtcnnImageNets, mtcnn-pipeline.ts): our PNet / RNet /
 * ONet for one image. P-Net levels come from the image's summed-area table when it has one, else
 * from libtorch's interpolate (pyramid-source.ts), and run through pnetLevel's stripes.
 * Call inside noGrad(); dispose() frees the pyramid source.
 */
import { tensor, tidy } from '../tensor/index.js';
import type { MtcnnNets } from '../models/mtcnn/index.js';
import type { RgbImage } from '../io/image.js';
import type { SummedAreaTable } from '../math/area-resize.js';
import type { MtcnnImageNets } from './mtcnn-pipeline.js';
import { pnetLevel } from './proposal-stage.js';
import { summedAreaSource, tensorSource, type PyramidSource } from './pyramid-source.js';

export function torchImageNets(nets: MtcnnNets, img: RgbImage, table: SummedAreaTable | null, source: PyramidSource | null = null): MtcnnImageNets & { dispose(): void } {
  let levels: PyramidSource | null = source;
  const src = (): PyramidSource => (levels ??= table ? summedAreaSource(img, table) : tensorSource(img));
  return {
    pnet(hs, ws) {
      const level = src().level(hs, ws);
      try {
        return pnetLevel(nets.pnet, level);
      } finally {
        level.dispose();
      }
    },
    rnet: (crops, count) =>
      tidy(() => {
        const o = nets.rnet.forward(tensor(crops, [count, 3, 24, 24]));
        return { prob: o.prob.toFloat32(), reg: o.reg.toFloat32() };
      }),
    onet: (crops, count) =>
      tidy(() => {
        const o = nets.onet.forward(tensor(crops, [count, 3, 48, 48]));
        return { prob: o.prob.toFloat32(), reg: o.reg.toFloat32(), landmarks: o.landmarks.toFloat32() };
      }),
    dispose() {
      levels?.dispose();
      levels = null;
    },
  };
}
