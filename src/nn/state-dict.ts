/**
 * Loading named weights into a Module, with torch's strict / non-strict key matching and a report
 * of what did not fit.
 */
import { Tensor, tensor, noGrad } from '../tensor/index.js';
import type { RawTensor } from '../io/raw-tensor.js';
import { assertFiniteTensors } from '../io/tensor-integrity.js';
import { FacenetError } from '../errors.js';
import type { Module } from './module.js';

export interface LoadReport {
  loaded: string[];
  /** Keys the module has but the weights lack. */
  missing: string[];
  /** Keys in the weights the module has no place for. */
  unexpected: string[];
  /** Keys present on both sides with different shapes. */
  mismatched: { key: string; expected: number[]; got: number[] }[];
}

export interface LoadOptions {
  /** Refuse any missing, unexpected or mismatched key (default true). */
  strict?: boolean;
  /** Name of the weights' source for error messages. */
  source?: string;
}

const sameShape = (a: number[], b: number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

function toTensor(v: RawTensor | Tensor, dtype: Tensor['dtype']): Tensor {
  if (v instanceof Tensor) return v.dtype === dtype ? v : v.to(dtype);
  const t = tensor(v.data, v.shape, { dtype: v.dtype });
  if (t.dtype === dtype) return t;
  const converted = t.to(dtype);
  t.dispose();
  return converted;
}

/** Copies weights into the module's tensors in place (so optimisers holding them stay valid). */
export function loadStateDict(module: Module, weights: Map<string, RawTensor | Tensor>, options: LoadOptions = {}): LoadReport {
  const strict = options.strict ?? true;
  const own = module.stateDict();
  const report: LoadReport = { loaded: [], missing: [], unexpected: [], mismatched: [] };
  for (const key of weights.keys()) if (!own.has(key)) report.unexpected.push(key);
  for (const [key, target] of own) {
    const w = weights.get(key);
    if (w === undefined) {
      report.missing.push(key);
      continue;
    }
    if (!sameShape(target.shape, w.shape)) report.mismatched.push({ key, expected: target.shape, got: w.shape });
  }
  if (strict && (report.missing.length || report.unexpected.length || report.mismatched.length)) {
    throw new FacenetError('SHAPE_MISMATCH', describeProblems(report, options.source ?? 'weights'));
  }
  const bad = new Set(report.mismatched.map((m) => m.key));
  const raw = new Map([...weights].filter((e): e is [string, RawTensor] => !(e[1] instanceof Tensor)));
  assertFiniteTensors(raw, options.source ?? 'weights');
  noGrad(() => {
    for (const [key, target] of own) {
      const w = weights.get(key);
      if (w === undefined || bad.has(key)) continue;
      const src = toTensor(w, target.dtype);
      target.copy_(src);
      if (src !== w) src.dispose();
      report.loaded.push(key);
    }
  });
  module.stateChanged();
  return report;
}

export function describeProblems(r: LoadReport, source: string): string {
  const parts: string[] = [];
  const list = (xs: string[]) => xs.slice(0, 8).join(', ') + (xs.length > 8 ? `, … (${xs.length} in all)` : '');
  if (r.missing.length) parts.push(`missing keys: ${list(r.missing)}`);
  if (r.unexpected.length) parts.push(`unexpected keys: ${list(r.unexpected)}`);
  if (r.mismatched.length) {
    parts.push(`shape mismatches: ${list(r.mismatched.map((m) => `${m.key} expected [${m.expected}] got [${m.got}]`))}`);
  }
  return `${source} do not fit the model: ${parts.join('; ')}. Check that the weights were made for this model and configuration, or load non-strictly.`;
}
