/**
 * NETWORK_OPTIONS: the flags every command that runs a network takes (detect, align, compare,
 * embed, classify, validate, train), declared once.
 *
 * To add a setting to all of them (say `--precision`):
 *   1. add the key to RuntimeOptions (src/tensor/runtime.ts, or an interface the loaders extend)
 *      and handle it where the engine is set up (applyRuntimeOptions, or the model loader);
 *   2. add ONE row here.
 * Commands spread NETWORK_OPTIONS into their flags and hand `networkOptions(flags)` to the library
 * loaders (FaceNet.load, loadFaceModel, MtcnnDetector.load, train), so no command changes. The
 * `satisfies` below fails to compile when a row has no RuntimeOptions key to go to.
 */
import type { FlagSpec, ParsedFlags } from './args.js';
import type { RuntimeOptions } from '../facenet.js';

export const NETWORK_OPTIONS = {
  threads: { type: 'number', integer: true, min: 0, default: 0, help: 'libtorch threads (0: all cores)' },
  device: { type: 'string', default: 'cpu', valueName: 'cpu|cuda|cuda:N', help: 'where the network runs (this version: cpu; cuda needs a CUDA build and is not implemented yet)' },
  // no default here: inference defaults to fp32 (reproducible, parity-tested numbers), train to auto
  precision: {
    type: 'string',
    help: 'fp32 | bf16 | auto: bf16 runs the embedding network on the CPU\'s bf16 matrix units (AMX / AVX512-BF16), auto picks bf16 where the CPU has them (default fp32; train: auto; MTCNN stays fp32)',
  },
} as const satisfies Record<keyof RuntimeOptions, FlagSpec>;

export type NetworkFlags = ParsedFlags<{ command: string; flags: typeof NETWORK_OPTIONS }>;

/** The NETWORK_OPTIONS values among a command's parsed flags, as the library's RuntimeOptions. */
export function networkOptions(flags: NetworkFlags): RuntimeOptions {
  const picked: Record<string, unknown> = {};
  // flags without a default that were not given stay out (so they never override a spread default)
  for (const key of Object.keys(NETWORK_OPTIONS)) {
    const v = (flags as Record<string, unknown>)[key];
    if (v !== undefined) picked[key] = v;
  }
  return picked as RuntimeOptions;
}
