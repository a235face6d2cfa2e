/** Autograd scopes and explicit gradients. */
import { native } from './native.js';
import { Tensor } from './tensor.js';

/** Runs fn with gradient recording off (inference, optimiser updates), restoring the previous mode. */
export function noGrad<T>(fn: () => T): T {
  const prev = native.setGradEnabled(false);
  try {
    return fn();
  } finally {
    native.setGradEnabled(prev);
  }
}

/**
 * Runs fn in mixed precision, as torch.autocast('cpu', dtype=torch.bfloat16) does: convolutions
 * and matmuls (linear, matmul, mm, bmm) take their inputs cast to bfloat16 and compute in it,
 * forward and backward, while float32 parameters stay the master copy (the casts are recorded by
 * autograd, so their gradients arrive in float32). Other ops run in the dtype of their inputs.
 * The previous state is restored afterwards; the outermost scope frees libtorch's cache of cast
 * weights.
 */
export function autocast<T>(dtype: 'bfloat16', fn: () => T): T {
  const [enabled, prevDtype] = native.autocastEnter(dtype);
  try {
    return fn();
  } finally {
    native.autocastExit(enabled, prevDtype);
  }
}

/** Whether an autocast() scope is active on this thread. */
export function isAutocastEnabled(): boolean {
  return native.autocastEnabled();
}

export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}

/**
 * Gradients of outputs with respect to inputs (torch.autograd.grad); null for an input that did
 * not take part when allowUnused is set.
 */
export function grad(
  outputs: Tensor[],
  inputs: Tensor[],
  o: { gradOutputs?: Tensor[]; retainGraph?: boolean; createGraph?: boolean; allowUnused?: boolean } = {},
): (Tensor | null)[] {
  const hs = native.autogradGrad(
    outputs.map((t) => t.handle),
    inputs.map((t) => t.handle),
    o.gradOutputs ? o.gradOutputs.map((t) => t.handle) : null,
    o.retainGraph ?? null,
    o.createGraph ?? false,
    o.allowUnused ?? false,
  );
  return hs.map((h) => (h === null ? null : new Tensor(h)));
}
