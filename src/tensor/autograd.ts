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
