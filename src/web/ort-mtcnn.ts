/**
 * The onnxruntime side of the MTCNN pipeline's seam (MtcnnImageNetsAsync): the three exported nets
 * (src/export/mtcnn.ts) as InferenceSessions, for one image. Written against onnxruntime-common's
 * API, so the same code runs on onnxruntime-node (parity tests, bench) and onnxruntime-web (the
 * browser entry); the caller passes its runtime's Tensor class. No Node imports.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { RgbImage } from '../io/image.js';
import type { SummedAreaTable } from '../math/area-resize.js';
import type { MtcnnImageNetsAsync } from '../detect/mtcnn-pipeline.js';
import { standardizedLevel } from '../detect/pyramid-level.js';

export interface MtcnnSessions {
  pnet: InferenceSession;
  rnet: InferenceSession;
  onet: InferenceSession;
}

/** The runtime's Tensor constructor (onnxruntime-node's or onnxruntime-web's). */
export type OrtTensorClass = new (type: 'float32', data: Float32Array, dims: readonly number[]) => Tensor;

const f32 = (t: Tensor | undefined, what: string): Float32Array => {
  if (!t || !(t.data instanceof Float32Array)) throw new Error(`MTCNN session gave no float32 output '${what}'`);
  return t.data;
};

/** The values as a Float32Array of its own buffer (a subarray view is copied). */
const own = (a: Float32Array): Float32Array => (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : a.slice());

export function ortImageNets(s: MtcnnSessions, T: OrtTensorClass, img: RgbImage, table: SummedAreaTable | null): MtcnnImageNetsAsync {
  return {
    async pnet(hs, ws) {
      const out = await s.pnet.run({ input: new T('float32', standardizedLevel(img, table, hs, ws), [1, 3, hs, ws]) });
      const [, , ph, pw] = out['prob']!.dims as number[];
      const plane = ph! * pw!;
      // channel 1 of the [1, 2, ph, pw] softmax: the face probability
      return { prob: f32(out['prob'], 'prob').slice(plane, 2 * plane), reg: f32(out['reg'], 'reg'), ph: ph!, pw: pw! };
    },
    async rnet(crops, count) {
      const out = await s.rnet.run({ input: new T('float32', own(crops), [count, 3, 24, 24]) });
      return { prob: f32(out['prob'], 'prob'), reg: f32(out['reg'], 'reg') };
    },
    async onet(crops, count) {
      const out = await s.onet.run({ input: new T('float32', own(crops), [count, 3, 48, 48]) });
      return { prob: f32(out['prob'], 'prob'), reg: f32(out['reg'], 'reg'), landmarks: f32(out['landmarks'], 'landmarks') };
    },
  };
}
