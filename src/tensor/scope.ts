/**
 * Memory scopes: `tidy(fn)` frees every tensor created while fn runs, except those it returns
 * (tf.tidy's contract). Tensors created outside any scope live until dispose() or, as a safety
 * net, until the garbage collector finalises their handle.
 *
 * The scope stack is the tensor layer's one piece of process state, like libtorch's own grad mode:
 * a scope is a dynamic extent of synchronous code, so it cannot be passed around as a value
 * without threading it through every op.
 */

export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
}

const stack: Set<Disposable>[] = [];

/** Called by every new Tensor: records it in the innermost open scope. */
export function track(t: Disposable): void {
  const top = stack[stack.length - 1];
  if (top) top.add(t);
}

/** Removes a tensor from every open scope, so it survives them (model parameters, caches). */
export function keep<T extends Disposable>(t: T): T {
  for (const s of stack) s.delete(t);
  return t;
}

function collect(value: unknown, out: Set<Disposable>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 4) return;
  if (typeof (value as Disposable).dispose === 'function' && 'isDisposed' in (value as object)) {
    out.add(value as Disposable);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, out, depth + 1);
  } else if (value instanceof Map) {
    for (const v of value.values()) collect(v, out, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, out, depth + 1);
  }
}

/**
 * Runs fn and frees every tensor created inside it except the tensors in its result (a tensor, or
 * arrays / plain objects / Maps of tensors); those move to the enclosing scope. fn must be
 * synchronous: a Promise result is refused because the scope would close before it settles.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  stack.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    stack.pop();
    for (const t of scope) t.dispose();
    throw e;
  }
  stack.pop();
  if (result instanceof Promise) {
    for (const t of scope) t.dispose();
    throw new TypeError('tidy(fn): fn must be synchronous (it returned a Promise)');
  }
  const kept = new Set<Disposable>();
  collect(result, kept);
  const parent = stack[stack.length - 1];
  for (const t of scope) {
    if (kept.has(t)) parent?.add(t);
    else t.dispose();
  }
  return result;
}

/** Disposes a tensor or any nesting of arrays / objects of tensors. */
export function dispose(value: unknown): void {
  const all = new Set<Disposable>();
  collect(value, all);
  for (const t of all) t.dispose();
}
