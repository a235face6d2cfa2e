/**
 * Module: a tree of named parameters, buffers and child modules, as torch.nn.Module. Names are
 * dotted paths ("repeat_1.0.branch0.conv.weight") so PyTorch state dicts load without renaming.
 * Constructors only allocate tensors; loading weights is an explicit, separate step.
 */
import { Tensor, keep, noGrad } from '../tensor/index.js';

export abstract class Module {
  private readonly ownParameters = new Map<string, Tensor>();
  private readonly ownBuffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();
  private isTraining = true;
  private readonly derivedValues = new Map<string, { dispose(): void }>();

  /** Registers a trainable tensor: it becomes a leaf with requiresGrad and outlives tidy() scopes. */
  protected registerParameter(name: string, t: Tensor): Tensor {
    keep(t);
    noGrad(() => t.requiresGrad_(true));
    this.ownParameters.set(name, t);
    return t;
  }

  /**
   * Swaps a registered parameter for another tensor (e.g. the same values in channels_last layout).
   * Do it before an optimiser is created over the parameters: the optimiser holds the old tensor.
   */
  protected replaceParameter(name: string, t: Tensor): Tensor {
    const old = this.ownParameters.get(name);
    this.registerParameter(name, t);
    if (old && old !== t) old.dispose();
    return t;
  }

  /** Registers persistent state that is not trained (batch-norm running statistics). */
  protected registerBuffer(name: string, t: Tensor): Tensor {
    keep(t);
    this.ownBuffers.set(name, t);
    return t;
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  get training(): boolean {
    return this.isTraining;
  }

  /** Sets training mode (dropout active, batch norm uses and updates batch statistics) recursively. */
  train(on = true): this {
    this.dropDerived();
    this.isTraining = on;
    for (const c of this.children.values()) c.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /**
   * Called (recursively) after the module's tensors were overwritten, e.g. by loadStateDict: a
   * module that caches values derived from its weights drops them here.
   */
  stateChanged(): void {
    this.dropDerived();
    for (const c of this.children.values()) c.stateChanged();
  }

  /**
   * A value derived from this module's tensors (e.g. eval-mode weights with batch norm folded in),
   * built on first use and cached; dropped by train(), by weight loads (stateChanged) and by
   * dispose(), so it never goes stale and is freed with the module.
   */
  protected derived<T extends { dispose(): void }>(key: string, build: () => T): T {
    let value = this.derivedValues.get(key) as T | undefined;
    if (value === undefined) {
      value = build();
      this.derivedValues.set(key, value);
    }
    return value;
  }

  private dropDerived(): void {
    for (const v of this.derivedValues.values()) v.dispose();
    this.derivedValues.clear();
  }

  *namedChildren(): IterableIterator<[string, Module]> {
    yield* this.children.entries();
  }

  *namedModules(prefix = ''): IterableIterator<[string, Module]> {
    yield [prefix, this];
    for (const [n, c] of this.children) yield* c.namedModules(prefix ? `${prefix}.${n}` : n);
  }

  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [p, m] of this.namedModules(prefix)) {
      for (const [n, t] of m.ownParameters) out.push([p ? `${p}.${n}` : n, t]);
    }
    return out;
  }

  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [p, m] of this.namedModules(prefix)) {
      for (const [n, t] of m.ownBuffers) out.push([p ? `${p}.${n}` : n, t]);
    }
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Parameters and buffers by dotted name, in registration order (the tensors themselves, not copies). */
  stateDict(): Map<string, Tensor> {
    const sd = new Map<string, Tensor>();
    for (const [p, m] of this.namedModules()) {
      for (const [n, t] of m.ownParameters) sd.set(p ? `${p}.${n}` : n, t);
      for (const [n, t] of m.ownBuffers) sd.set(p ? `${p}.${n}` : n, t);
    }
    return sd;
  }

  /** Number of trainable values. */
  parameterCount(): number {
    return this.parameters().reduce((n, t) => n + t.size, 0);
  }

  /** Frees every parameter and buffer. The module must not be used afterwards. */
  dispose(): void {
    for (const [, m] of this.namedModules()) m.dropDerived();
    for (const t of this.stateDict().values()) if (!t.isDisposed) t.dispose();
  }
}
