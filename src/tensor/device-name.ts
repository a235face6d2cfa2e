/** Device names (no engine needed: the CLI's option checks use this before the addon loads). */
import { FacenetError } from '../errors.js';

export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

/** Parses a device name; throws BAD_ARGUMENT for anything but cpu, cuda, cuda:N. */
export function parseDevice(spec: string): Device {
  if (spec === 'cpu' || spec === 'cuda') return spec;
  const m = /^cuda:(\d+)$/.exec(spec);
  if (m) return `cuda:${Number(m[1])}`;
  throw new FacenetError('BAD_ARGUMENT', `--device must be cpu, cuda or cuda:N, got '${spec}'`);
}

