/**
 * The lifecycle shared by the three MTCNN nets: an optional inference layout (re-laid-out copies of
 * the weights, see inference-weights.ts) built by prepareInference(), rebuilt after weight loads
 * (stateChanged) and freed with the module.
 */
import { Module } from '../../nn/index.js';
import { disposeParams, type ConvParams } from './inference-weights.js';

export abstract class InferenceLayoutModule<F extends Record<string, ConvParams>> extends Module {
  protected fused: F | null = null;

  /** The net's own layout, built from its current weights. */
  protected abstract buildInference(): F;

  /** Builds the inference layout; forward() uses it from then on. */
  prepareInference(): this {
    this.releaseInference();
    this.fused = this.buildInference();
    return this;
  }

  private releaseInference(): void {
    if (this.fused) disposeParams(Object.values(this.fused));
    this.fused = null;
  }

  /** loadStateDict calls this after overwriting the weights: rebuild the inference layout from the new values. */
  override stateChanged(): void {
    super.stateChanged();
    if (this.fused) this.prepareInference();
  }

  override dispose(): void {
    this.releaseInference();
    super.dispose();
  }
}
