/**
 * `device`: where networks run. 'cpu', 'cuda' (GPU 0) or 'cuda:N'. This version runs every network
 * on the CPU: asking for CUDA is a clear error, whether the addon was built without CUDA (how to
 * build it against a CUDA libtorch) or with it (the CUDA path itself is not implemented yet).
 */
import { FacenetError } from '../errors.js';
import { native } from './native.js';
import { parseDevice } from './device-name.js';

export { parseDevice, type Device } from './device-name.js';

export const CUDA_BUILD_HINT =
  "build the native addon against a CUDA libtorch on a machine with an NVIDIA GPU: LIBTORCH=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))') npm run build:native " +
  '(PyTorch with CUDA installed; scripts/gpu-check.sh does it)';

/** The device to run on, checked against this build and machine. */
export function resolveDevice(spec: string | undefined, facts = { cuda: native.cudaIsAvailable(), count: native.cudaDeviceCount(), libtorch: native.libtorchVersion }): 'cpu' {
  const d = parseDevice(spec ?? 'cpu');
  if (d === 'cpu') return 'cpu';
  if (!facts.cuda) {
    throw new FacenetError('NO_DEVICE', `--device ${d}: this build of the native addon links libtorch ${facts.libtorch} without CUDA (or no GPU is visible); ${CUDA_BUILD_HINT}`);
  }
  const index = d === 'cuda' ? 0 : Number(d.slice(5));
  if (index >= facts.count) throw new FacenetError('NO_DEVICE', `--device ${d}: this machine has ${facts.count} CUDA device(s) (cuda:0 .. cuda:${facts.count - 1})`);
  throw new FacenetError('NO_DEVICE', `--device ${d}: the addon sees ${facts.count} CUDA device(s), but this version runs networks on the CPU only (models, batches and optimiser state on the GPU are not implemented yet); use --device cpu`);
}
