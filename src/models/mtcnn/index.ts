/** MTCNN networks and their weights. The detection pipeline that runs them is in src/detect/. */
export { PNet, type PNetOutput } from './pnet.js';
export { RNet, type RNetOutput } from './rnet.js';
export { ONet, type ONetOutput } from './onet.js';
export {
  loadMtcnnNets,
  convertFacenetNpy,
  readMtcnnStateDict,
  resolveMtcnnFile,
  MTCNN_WEIGHTS,
  type MtcnnWeights,
  type MtcnnNetName,
  type MtcnnNets,
  type LoadMtcnnOptions,
} from './weights.js';
