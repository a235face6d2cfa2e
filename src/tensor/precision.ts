/**
 * Numeric precision of the networks' compute: 'fp32' everywhere, or 'bf16' (bfloat16 activations
 * and convolution / matmul compute on the CPU's matrix units, float32 where it matters: see
 * InceptionResnetV1.setPrecision). 'auto' picks bf16 where the CPU has native bf16 matrix
 * instructions (Intel AMX-BF16 or AVX512-BF16: every Xeon since Sapphire Rapids, AMD Zen 4/5),
 * else fp32. This file is the one place that decides it.
 */
import { readFileSync } from 'node:fs';
import { FacenetError } from '../errors.js';

export type Precision = 'fp32' | 'bf16';
export type PrecisionOption = Precision | 'auto';
export const PRECISION_CHOICES: readonly PrecisionOption[] = ['fp32', 'bf16', 'auto'];

/** The tensor dtype a precision computes in. */
export function computeDtype(p: Precision): 'float32' | 'bfloat16' {
  return p === 'bf16' ? 'bfloat16' : 'float32';
}

/**
 * Validates a precision given by a user (`source` names the option or field for the message).
 * fp16 is refused: on CPU, libtorch has no fast float16 convolutions (oneDNN runs them, if at all,
 * by converting to float32), and float16's 5-bit exponent would need loss scaling in training.
 */
export function parsePrecision(value: unknown, source = 'precision'): PrecisionOption {
  if (value === 'fp32' || value === 'bf16' || value === 'auto') return value;
  const v = String(value).toLowerCase();
  if (v === 'fp16' || v === 'float16' || v === 'half') {
    throw new FacenetError(
      'BAD_ARGUMENT',
      `${source}: fp16 is not supported on CPU: libtorch has no fast float16 convolutions there and float16 training ` +
        `needs loss scaling; use bf16 (same speed-up on CPUs with AMX/AVX512-BF16, float32's range) or fp32`,
    );
  }
  throw new FacenetError('BAD_ARGUMENT', `${source}: unknown precision '${String(value)}' (expected one of: fp32, bf16, auto)`);
}

/** Native bf16 matrix support from /proc/cpuinfo's text: the flags it found (empty: none). */
export function bf16FlagsIn(cpuinfo: string): string[] {
  const line = cpuinfo.split('\n').find((l) => /^(flags|Features)\s*:/.test(l));
  if (!line) return [];
  const flags = new Set(line.slice(line.indexOf(':') + 1).trim().split(/\s+/));
  return ['amx_bf16', 'avx512_bf16'].filter((f) => flags.has(f));
}

/** The bf16 matrix flags of this machine's CPU ([] where there are none or /proc/cpuinfo is unreadable). */
export function cpuBf16Flags(): string[] {
  try {
    return bf16FlagsIn(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return [];
  }
}

export interface ResolvedPrecision {
  precision: Precision;
  /** Set when bf16 was asked for on a CPU without native bf16: it works, emulated, slowly. */
  warning: string | null;
}

/**
 * 'auto' -> bf16 where the CPU has native bf16 matrix instructions, else fp32; an explicit choice
 * stays, with a warning when bf16 will be emulated. `flags` defaults to this machine's.
 */
export function resolvePrecision(option: PrecisionOption | undefined, flags: string[] = cpuBf16Flags()): ResolvedPrecision {
  const o = option === undefined ? 'fp32' : parsePrecision(option);
  if (o === 'auto') return { precision: flags.length > 0 ? 'bf16' : 'fp32', warning: null };
  if (o === 'bf16' && flags.length === 0) {
    return {
      precision: 'bf16',
      warning: 'precision bf16: this CPU has no native bf16 matrix instructions (amx_bf16 / avx512_bf16), so bf16 is emulated and will be slower than fp32; use fp32 or auto',
    };
  }
  return { precision: o, warning: null };
}
