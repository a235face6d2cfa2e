/**
 * The project's known downloadable assets: where each lives in the cache/mirror (relPath), where it
 * comes from upstream, and its sha256 where a fixed copy is known. Paths and hashes follow the
 * offline mirror's layout (see the zoo README), so FACENET_MIRROR can point at such a folder.
 */

import { FacenetError } from '../errors.js';
import type { AssetRef } from './assets.js';

const FACENET_RAW = 'https://raw.githubusercontent.com/davidsandberg/facenet/master';
const FACENET_PYTORCH_RAW = 'https://raw.githubusercontent.com/timesler/facenet-pytorch/master';
const FACENET_PYTORCH_RELEASE = 'https://github.com/timesler/facenet-pytorch/releases/download/v2.2.9';

export const ASSETS = {
  'mtcnn-det1': {
    id: 'mtcnn-det1',
    relPath: 'mtcnn/det1.npy',
    url: `${FACENET_RAW}/src/align/det1.npy`,
    sha256: '3285cf7a3de2651c5784cb9e32013f5919aae95fd1ed1bc371dd9691affb39af',
  },
  'mtcnn-det2': {
    id: 'mtcnn-det2',
    relPath: 'mtcnn/det2.npy',
    url: `${FACENET_RAW}/src/align/det2.npy`,
    sha256: '716b8b83e42476791c9096f14dbb09fefc88bf5c7ec876b1683f9acd52b3f39c',
  },
  'mtcnn-det3': {
    id: 'mtcnn-det3',
    relPath: 'mtcnn/det3.npy',
    url: `${FACENET_RAW}/src/align/det3.npy`,
    sha256: '396ead803d85d3443307ff8f45fb6aed2536579b415a4f4d4cb8f93ea6b1476a',
  },
  'mtcnn-pnet': {
    id: 'mtcnn-pnet',
    relPath: 'mtcnn/pnet.pt',
    url: `${FACENET_PYTORCH_RAW}/data/pnet.pt`,
    sha256: 'a2a71925e0b9996a42f63e47efc1ca19043e69558b5c523b978d611dfae49c8f',
  },
  'mtcnn-rnet': {
    id: 'mtcnn-rnet',
    relPath: 'mtcnn/rnet.pt',
    url: `${FACENET_PYTORCH_RAW}/data/rnet.pt`,
    sha256: 'bbb937de72efc9ef83b186c49f5f558467a1d7e3453a8ece0d71a886633f6a86',
  },
  'mtcnn-onet': {
    id: 'mtcnn-onet',
    relPath: 'mtcnn/onet.pt',
    url: `${FACENET_PYTORCH_RAW}/data/onet.pt`,
    sha256: '165bfbe42940416ccfb977545cf0e976d5bf321f67083ae2aaaa5c764280118d',
  },
  'lfw-deepfunneled': {
    id: 'lfw-deepfunneled',
    relPath: 'lfw/lfw-deepfunneled.tgz',
    url: 'http://vis-www.cs.umass.edu/lfw/lfw-deepfunneled.tgz',
    // No sha256: the known copy (9bee1f91...) was re-packed, so its hash differs from upstream's,
    // and pinning either one would reject the other, equally valid, archive.
  },
  'lfw-pairs': {
    id: 'lfw-pairs',
    relPath: 'lfw/pairs.txt',
    url: 'http://vis-www.cs.umass.edu/lfw/pairs.txt',
    sha256: 'ea42330c62c92989f9d7c03237ed5d591365e89b3e649747777b70e692dc1592',
  },
  'lr-retrain-tripletloss': {
    id: 'lr-retrain-tripletloss',
    relPath: 'facenet-data/learning_rate_retrain_tripletloss.txt',
    url: `${FACENET_RAW}/data/learning_rate_retrain_tripletloss.txt`,
    sha256: '9458915628c09ba3fc49e879030e6240a114bdd694a89d53f99eca10bb6ce819',
  },
  'lr-classifier-casia': {
    id: 'lr-classifier-casia',
    relPath: 'facenet-data/learning_rate_schedule_classifier_casia.txt',
    url: `${FACENET_RAW}/data/learning_rate_schedule_classifier_casia.txt`,
    sha256: '5972bbcd5f76d84a0d24c359ce438c7a16ebf4b2e53de48470ed301a55b366c3',
  },
  'lr-classifier-msceleb': {
    id: 'lr-classifier-msceleb',
    relPath: 'facenet-data/learning_rate_schedule_classifier_msceleb.txt',
    url: `${FACENET_RAW}/data/learning_rate_schedule_classifier_msceleb.txt`,
    sha256: '415b3d44d374ae4545ed2e696566e5b74f984eec54f91827d76632f6a95d21d0',
  },
  'lr-classifier-vggface2': {
    id: 'lr-classifier-vggface2',
    relPath: 'facenet-data/learning_rate_schedule_classifier_vggface2.txt',
    url: `${FACENET_RAW}/data/learning_rate_schedule_classifier_vggface2.txt`,
    sha256: 'dfd03916fa4e56dac8419a52dbeeface0f3d52bc89821ab3cbdd407900c1f263',
  },
  // Pretrained facenet-pytorch InceptionResnetV1 state_dicts (legacy torch.save format). Their
  // sha256 is not recorded because no copy was reachable to hash.
  vggface2: {
    id: 'vggface2',
    relPath: 'models/20180402-114759-vggface2.pt',
    url: `${FACENET_PYTORCH_RELEASE}/20180402-114759-vggface2.pt`,
  },
  'casia-webface': {
    id: 'casia-webface',
    relPath: 'models/20180408-102900-casia-webface.pt',
    url: `${FACENET_PYTORCH_RELEASE}/20180408-102900-casia-webface.pt`,
  },
} as const satisfies Record<string, AssetRef>;

export type AssetId = keyof typeof ASSETS;

export function isAssetId(id: string): id is AssetId {
  return Object.prototype.hasOwnProperty.call(ASSETS, id);
}

/** The registry entry for `id`; BAD_ARGUMENT (listing the known ids) for an unknown one. */
export function getAsset(id: string): AssetRef {
  if (!isAssetId(id)) {
    throw new FacenetError('BAD_ARGUMENT', `unknown asset "${id}"; known assets: ${Object.keys(ASSETS).join(', ')}`);
  }
  return ASSETS[id];
}
