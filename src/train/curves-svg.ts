/**
 * curves.svg: the run's loss terms, accuracies (training, validation, LFW) and learning
 * rate against the step, as one dependency-free SVG with three stacked panels. Rewritten at every
 * checkpoint, so it can be opened while the run goes on.
 */
import { escapeXml } from '../eval/roc-plot.js';
import { CURVES, type MetricHistory, type Point } from './metric-history.js';

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2'];
const WIDTH = 760;
const PANEL_HEIGHT = 220;
const MARGIN = { left: 70, right: 170, top: 30, bottom: 34 };

const LABELS: Record<string, string> = {
  loss: 'total loss',
  crossEntropy: 'cross-entropy',
  tripletLoss: 'triplet loss',
  centerLoss: 'center loss',
  prelogitsNorm: 'prelogits norm',
  regularization: 'regularisation',
  val_loss: 'validation loss',
  accuracy: 'training accuracy',
  val_accuracy: 'validation accuracy',
  lfw_accuracy: 'LFW accuracy',
  lr: 'learning rate',
};

/** Tick values: 5 or so "nice" numbers across [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function formatTick(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  return magnitude >= 1e4 || magnitude < 1e-3 ? value.toExponential(1) : String(Number(value.toPrecision(4)));
}

function panel(title: string, names: readonly string[], history: MetricHistory, top: number, yRange?: [number, number]): string {
  const lines = names.map((n) => ({ name: n, points: history.series.get(n)?.points() ?? [] })).filter((line) => line.points.length > 0);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const x0 = MARGIN.left;
  const y0 = top + MARGIN.top;
  const parts: string[] = [`<text x="${x0}" y="${top + 18}" font-size="14" font-weight="bold">${escapeXml(title)}</text>`];
  parts.push(`<rect x="${x0}" y="${y0}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  if (lines.length === 0) {
    parts.push(`<text x="${x0 + plotW / 2}" y="${y0 + plotH / 2}" text-anchor="middle" fill="#999">no data yet</text>`);
    return parts.join('\n');
  }
  const all: Point[] = lines.flatMap((line) => line.points);
  let xMin = Math.min(...all.map((p) => p.x));
  let xMax = Math.max(...all.map((p) => p.x));
  let [yMin, yMax] = yRange ?? [Math.min(...all.map((p) => p.y)), Math.max(...all.map((p) => p.y))];
  if (xMax === xMin) xMax = xMin + 1;
  if (yMax === yMin) {
    yMin -= Math.abs(yMin) * 0.1 || 0.5;
    yMax += Math.abs(yMax) * 0.1 || 0.5;
  }
  if (!yRange) yMin = Math.min(yMin, Math.max(0, yMin - 0.05 * (yMax - yMin)));
  const sx = (x: number) => x0 + ((x - xMin) / (xMax - xMin)) * plotW;
  const sy = (y: number) => y0 + plotH - ((y - yMin) / (yMax - yMin)) * plotH;
  for (const t of niceTicks(yMin, yMax)) {
    parts.push(`<line x1="${x0}" x2="${x0 + plotW}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" stroke="#eee"/>`);
    parts.push(`<text x="${x0 - 6}" y="${(sy(t) + 4).toFixed(1)}" font-size="11" text-anchor="end">${formatTick(t)}</text>`);
  }
  for (const t of niceTicks(xMin, xMax)) {
    parts.push(`<text x="${sx(t).toFixed(1)}" y="${y0 + plotH + 16}" font-size="11" text-anchor="middle">${formatTick(t)}</text>`);
  }
  parts.push(`<text x="${x0 + plotW / 2}" y="${y0 + plotH + 30}" font-size="11" text-anchor="middle">step</text>`);
  lines.forEach((line, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const svgPoints = line.points.map((p) => `${sx(p.x).toFixed(1)},${sy(Math.min(yMax, Math.max(yMin, p.y))).toFixed(1)}`).join(' ');
    if (line.points.length === 1) parts.push(`<circle cx="${svgPoints.split(',')[0]}" cy="${svgPoints.split(',')[1]}" r="3" fill="${colour}"/>`);
    else parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${svgPoints}"/>`);
    const legendY = y0 + 12 + i * 16;
    parts.push(`<line x1="${x0 + plotW + 10}" x2="${x0 + plotW + 28}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${colour}" stroke-width="2"/>`);
    parts.push(`<text x="${x0 + plotW + 32}" y="${legendY}" font-size="11">${escapeXml(LABELS[line.name] ?? line.name)}</text>`);
  });
  return parts.join('\n');
}

export function renderCurvesSvg(history: MetricHistory, title: string): string {
  const height = 3 * PANEL_HEIGHT + 30;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="20" font-size="15" text-anchor="middle">${escapeXml(title)}</text>`,
    panel('Loss', CURVES.loss, history, 30),
    panel('Accuracy', CURVES.accuracy, history, 30 + PANEL_HEIGHT, [0, 1]),
    panel('Learning rate', CURVES.learningRate, history, 30 + 2 * PANEL_HEIGHT),
    '</svg>',
    '',
  ].join('\n');
}
