/** Reads the three MTCNN thresholds from text such as "0.6,0.7,0.7" (command lines, config files). */
import { FacenetError } from '../errors.js';

export function parseThresholds(text: string): [number, number, number] {
  const parts = text.split(/[,\s]+/).filter((s) => s.length > 0);
  const values = parts.map(Number);
  if (values.length !== 3 || !values.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)) {
    throw new FacenetError('BAD_ARGUMENT', `thresholds must be three numbers in [0, 1] for P-Net, R-Net and O-Net, such as 0.6,0.7,0.7; got '${text}'`);
  }
  return values as [number, number, number];
}
