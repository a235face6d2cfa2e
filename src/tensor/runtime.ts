/** Engine facts and settings: threads, devices, live-tensor accounting. */
import os from 'node:os';
import { native, ompWaitPolicy } from './native.js';
import { parsePrecision, type PrecisionOption } from './precision.js';
import { FacenetError } from '../errors.js';
import { resolveDevice } from './device.js';

/** Sets libtorch's intra-op threads; more than the machine's cores is refused (they only wait on each other). */
export function setNumThreads(n: number): void {
  const cores = os.availableParallelism();
  if (Number.isInteger(n) && n > cores) {
    throw new FacenetError('BAD_ARGUMENT', `threads: ${n} is more than the ${cores} cores of this machine; use --threads ${cores} or fewer (0: all cores)`);
  }
  native.setNumThreads(n);
}
export function getNumThreads(): number {
  return native.getNumThreads();
}
/**
 * Debian's libtorch starts with one OpenMP thread here (omp_get_max_threads() is 1 on this
 * machine), so callers that want all cores ask for them explicitly.
 */
export function useAllCores(): number {
  const n = os.availableParallelism();
  native.setNumThreads(n);
  return n;
}
/**
 * Engine settings every network-running entry point accepts (FaceNet.load, loadFaceModel,
 * MtcnnDetector.load, train). The CLI's NETWORK_OPTIONS (src/cli/network-options.ts) has one flag
 * per key, so a new setting is one key here, its handling in applyRuntimeOptions, and one row there.
 */
export interface RuntimeOptions {
  /** libtorch intra-op threads; 0 = every core; unset = leave the engine as it is. */
  threads?: number;
  /** Where networks run: 'cpu' (default), 'cuda', 'cuda:N' (see src/tensor/device.ts). */
  device?: string;
  /**
   * Compute precision of the embedding network: 'fp32', 'bf16' or 'auto' (bf16 where the CPU has
   * native bf16 matrix support; see precision.ts). Unset: the entry point's default (fp32 for
   * inference, auto for training). loadFaceModel / train apply it per model; MTCNN always runs
   * fp32 (bf16 measured only ~8% faster on P-Net's 3-32-channel convolutions, too few channels
   * for the matrix units, so not worth re-validating its detections).
   */
  precision?: PrecisionOption;
}

/** Applies `o` to the engine (process-wide: libtorch has one thread pool); checks the precision's spelling. */
export function applyRuntimeOptions(o: RuntimeOptions): void {
  if (o.device !== undefined) resolveDevice(o.device);
  if (o.precision !== undefined) parsePrecision(o.precision, 'precision');
  if (o.threads === undefined) return;
  if (o.threads === 0) useAllCores();
  else setNumThreads(o.threads);
}

export function cudaAvailable(): boolean {
  return native.cudaIsAvailable();
}
export function cudaDeviceCount(): number {
  return native.cudaDeviceCount();
}
/** 'cuda' when the linked libtorch has a usable GPU, else 'cpu'. */
export function defaultDevice(): string {
  return native.cudaIsAvailable() ? 'cuda' : 'cpu';
}
/** Number of tensor handles not yet disposed or finalised, and the bytes they hold. */
export function liveTensors(): { count: number; bytes: number } {
  return native.liveTensors();
}
export function libtorchVersion(): string {
  return native.libtorchVersion;
}
/**
 * The glibc malloc settings the addon made when it loaded (no mmap()ed blocks, heap trimmed past
 * trimThreshold bytes), so that libtorch's large temporaries are reused instead of coming back as
 * fresh pages every call; null when malloc was left alone
 * (non-glibc, MALLOC_* or GLIBC_TUNABLES in the environment, or FACENET_MALLOC_TUNING=0).
 */
export function mallocTuning(): { mmapMax: number; trimThreshold: number } | null {
  return native.mallocTuning;
}
export function parallelInfo(): string {
  return native.parallelInfo();
}

/** The OpenMP wait policy libtorch was loaded with and why (src/tensor/omp-wait-policy.ts). */
export function ompWaitPolicyInfo(): { policy: string; why: string } {
  return { ...ompWaitPolicy };
}
