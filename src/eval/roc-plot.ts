/**
 * A standalone SVG of the fold-averaged ROC curve (TPR against FAR) of an LFW evaluation: axes,
 * ticks, labels, a title with the accuracy, and a marker at FAR = 1e-3 (where facenet reports VAL).
 * No dependencies; the output is a complete XML document. facenet itself draws no plot (it leaves
 * tpr/fpr to the caller), so the layout here is our own.
 */
import { FacenetError } from '../errors.js';
import { npInterp } from '../math/interp.js';
import { formatFixed } from './report-format.js';

export interface RocPlotInput {
  readonly fpr: ArrayLike<number>;
  readonly tpr: ArrayLike<number>;
  readonly accuracy_mean?: number;
  readonly accuracy_std?: number;
  readonly auc?: number;
}

export interface RocPlotOptions {
  readonly width?: number;
  readonly height?: number;
  /** Logarithmic FAR axis from `minFar` to 1 (points with FAR < minFar, e.g. 0, are left out). */
  readonly logFar?: boolean;
  /** Left end of the log axis (default 1e-4). */
  readonly minFar?: number;
  /** FAR of the marker (default 1e-3). */
  readonly markFar?: number;
  readonly title?: string;
}

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const n2 = (v: number): string => v.toFixed(2);

/** Renders the ROC curve as an SVG document string. */
export function renderRocSvg(input: RocPlotInput, options: RocPlotOptions = {}): string {
  const { fpr, tpr } = input;
  if (fpr.length !== tpr.length || fpr.length === 0) {
    throw new FacenetError('SHAPE_MISMATCH', `renderRocSvg: need as many FPR as TPR values (got ${fpr.length} and ${tpr.length})`);
  }
  const width = options.width ?? 480;
  const height = options.height ?? 400;
  const logFar = options.logFar ?? false;
  const minFar = options.minFar ?? 1e-4;
  const markFar = options.markFar ?? 1e-3;
  if (!(width > 0 && height > 0)) throw new FacenetError('BAD_ARGUMENT', `renderRocSvg: bad size ${width}x${height}`);
  if (logFar && !(minFar > 0 && minFar < 1)) throw new FacenetError('BAD_ARGUMENT', `renderRocSvg: minFar must be in (0, 1), got ${minFar}`);

  const m = { left: 60, right: 20, top: 40, bottom: 50 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const lo = Math.log10(minFar);
  const sx = (far: number): number => m.left + pw * (logFar ? (Math.log10(far) - lo) / -lo : far);
  const sy = (t: number): number => m.top + ph * (1 - t);

  const points: string[] = [];
  for (let i = 0; i < fpr.length; i++) {
    const f = fpr[i]!;
    const t = tpr[i]!;
    if (!Number.isFinite(f) || !Number.isFinite(t) || (logFar && f < minFar)) continue;
    points.push(`${n2(sx(f))},${n2(sy(t))}`);
  }

  const parts: string[] = [];
  const xTicks = logFar
    ? Array.from({ length: -Math.floor(lo) + 1 }, (_, k) => Number(`1e${Math.floor(lo) + k}`)).filter((v) => v >= minFar)
    : [0, 0.2, 0.4, 0.6, 0.8, 1];
  for (const v of xTicks) {
    const x = n2(sx(v));
    const label = logFar ? `1e${Math.round(Math.log10(v))}` : v.toFixed(1);
    parts.push(`<line class="grid" x1="${x}" y1="${m.top}" x2="${x}" y2="${m.top + ph}"/>`);
    parts.push(`<line x1="${x}" y1="${m.top + ph}" x2="${x}" y2="${m.top + ph + 5}"/>`);
    parts.push(`<text x="${x}" y="${m.top + ph + 18}" text-anchor="middle">${label}</text>`);
  }
  for (const v of [0, 0.2, 0.4, 0.6, 0.8, 1]) {
    const y = n2(sy(v));
    parts.push(`<line class="grid" x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}"/>`);
    parts.push(`<line x1="${m.left - 5}" y1="${y}" x2="${m.left}" y2="${y}"/>`);
    parts.push(`<text x="${m.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${v.toFixed(1)}</text>`);
  }

  let title = options.title;
  if (title === undefined) {
    title = 'ROC';
    if (input.accuracy_mean !== undefined) {
      title += `, accuracy ${formatFixed(input.accuracy_mean, 5)}`;
      if (input.accuracy_std !== undefined) title += ` ± ${formatFixed(input.accuracy_std, 5)}`;
    }
    if (input.auc !== undefined) title += `, AUC ${formatFixed(input.auc, 3)}`;
  }

  // The marker: TPR at FAR = markFar read off the averaged curve (linear interpolation), but only
  // where the curve has a measured point at or below markFar. With few different pairs per fold
  // the smallest FAR step is larger (1/60 pairs = 0.017): interpolating towards (0, 0) would draw
  // a TPR no threshold achieves, so the plot says that the FAR cannot be measured instead.
  const smallestFar = smallestPositive(fpr);
  let marker: string;
  if (smallestFar !== null && smallestFar <= markFar) {
    const markTpr = npInterp(markFar, fpr, tpr);
    const mx = n2(sx(markFar));
    marker =
      `<line class="mark" x1="${mx}" y1="${m.top}" x2="${mx}" y2="${m.top + ph}"/>` +
      (Number.isFinite(markTpr) ? `<circle class="mark" cx="${mx}" cy="${n2(sy(markTpr))}" r="4"/>` : '') +
      `<text x="${n2(sx(markFar) + 6)}" y="${m.top + 14}">FAR=${escapeXml(String(markFar))}: TPR ${formatFixed(markTpr, 3)}</text>`;
  } else {
    const why = smallestFar === null ? 'no false accepts at any threshold' : `the smallest FAR they measure is ${smallestFar.toPrecision(2)}`;
    marker = `<text class="unmeasured" x="${m.left + 6}" y="${m.top + 14}">FAR=${escapeXml(String(markFar))}: not measurable with these pairs (${escapeXml(why)})</text>`;
  }

  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    '<style>line{stroke:#000}.grid{stroke:#ddd}.mark{stroke:#c00;fill:#c00;stroke-dasharray:4 3}polyline{fill:none;stroke:#1f5fbf;stroke-width:2}</style>',
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="${m.top / 2 + 4}" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
    ...parts,
    `<line x1="${m.left}" y1="${m.top + ph}" x2="${m.left + pw}" y2="${m.top + ph}"/>`,
    `<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${m.top + ph}"/>`,
    `<text x="${m.left + pw / 2}" y="${height - 10}" text-anchor="middle">False accept rate (FAR)${logFar ? ', log scale' : ''}</text>`,
    `<text x="15" y="${m.top + ph / 2}" text-anchor="middle" transform="rotate(-90 15 ${m.top + ph / 2})">True accept rate (TPR)</text>`,
    `<polyline points="${points.join(' ')}"/>`,
    marker,
    '</svg>',
  ].join('\n');
}

/** The smallest FAR > 0 on the curve, or null when there is none. */
function smallestPositive(values: ArrayLike<number>): number | null {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v > 0 && v < best) best = v;
  }
  return Number.isFinite(best) ? best : null;
}
